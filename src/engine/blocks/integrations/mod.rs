//! Integration blocks: HTTP requests (through the one SSRF-safe client), email, Google Sheets,
//! AI and other forge blocks, and the client-side trackers (Chatwoot, Google Analytics, Pixel).
//!
//! Blocks that need credentials this server does not hold log what is missing and let the
//! flow continue, exactly as Typebot does when a bot is imported without its credentials.

pub mod ai;
mod email;
pub mod http;
mod trackers;

use serde_json::{Value, json};

use super::Next;
use crate::engine::EngineError;
use crate::engine::context::Turn;
use crate::engine::turn::{Log, TurnStatus};
use crate::eval::templating::substitute_value;
use crate::flow::block::{BlockKind, Bubble, Integration};
use crate::flow::options::ResponseMapping;

pub async fn execute(turn: &mut Turn<'_>, ix: u32, i: &Integration) -> Result<Next, EngineError> {
    Ok(match i {
        Integration::HttpRequest {
            long_timeout,
            options,
            webhook_id,
        } => http::execute(turn, *long_timeout, options, webhook_id.as_deref()).await,
        Integration::Email(o) => {
            email::execute(turn, o).await;
            Next::Continue
        }
        Integration::GoogleSheets(_) => {
            turn.out
                .logs
                .push(Log::error("Couldn't find credentials for Google Sheets"));
            tracing::info!("Google Sheets blocks are not supported yet; the block was skipped");
            Next::Continue
        }
        Integration::OpenAi(o) => legacy_openai(turn, ix, o).await,
        Integration::Chatwoot(o) => trackers::chatwoot(turn, o),
        Integration::GoogleAnalytics(o) => trackers::google_analytics(turn, o),
        Integration::Pixel(o) => trackers::pixel(turn, o),
        Integration::Forge {
            block_type,
            options,
        } => forge(turn, ix, block_type, options).await,
    })
}

/// The legacy OpenAI block: "Create chat completion" runs (or streams, when the player
/// streams and the next bubble shows the answer); other tasks are not supported yet.
async fn legacy_openai(turn: &mut Turn<'_>, ix: u32, options: &Value) -> Next {
    if let Err(log) = ai::prepare(turn, ai::LEGACY, options).await {
        turn.out.logs.push(log);
        return Next::Continue;
    }
    let task = options.get("task").and_then(Value::as_str);
    if !ai::is_chat(ai::LEGACY, task.or(Some("Create chat completion"))) {
        turn.out.logs.push(Log::error(format!(
            "OpenAI task \"{}\" is not supported yet",
            task.unwrap_or_default()
        )));
        return Next::Continue;
    }
    if turn.state.stream && next_bubble_streams(turn, ix, options) {
        turn.out
            .push_action("stream", Some(Value::Bool(true)), true);
        return Next::Stop(TurnStatus::WaitingAction);
    }
    ai::run(turn, ai::LEGACY, options).await;
    Next::Continue
}

/// Forge blocks (AI providers and others). Streaming actions ask the client to stream first
/// (as Typebot does, before any credential check); chat actions then run with the block's
/// credentials; other actions are not supported yet.
async fn forge(turn: &mut Turn<'_>, ix: u32, block_type: &str, options: &Value) -> Next {
    let action = options.get("action").and_then(Value::as_str);
    if action.is_none() {
        turn.out.logs.push(Log {
            status: None,
            description: format!("{block_type} is not configured"),
            details: None,
            result_only: false,
        });
        return Next::Continue;
    }
    if turn.state.stream && next_bubble_streams(turn, ix, options) {
        turn.out
            .push_action("stream", Some(Value::Bool(true)), true);
        return Next::Stop(TurnStatus::WaitingAction);
    }
    if ai::is_chat(block_type, action) {
        ai::run(turn, block_type, options).await;
        return Next::Continue;
    }
    // Without credentials, Typebot's log; with them, say plainly what is missing.
    let log = match ai::prepare(turn, block_type, options).await {
        Err(log) => log,
        Ok(_) => Log::error(format!(
            "{block_type} action \"{}\" is not supported yet",
            action.unwrap_or_default()
        )),
    };
    turn.out.logs.push(log);
    Next::Continue
}

/// After a streamed AI answer came back: the bubble that shows it (the next block, whose first
/// leaf is the answer's variable) was already shown by the player while streaming, so the walk
/// skips it (as Typebot does).
pub fn streamed_bubble_follows(turn: &Turn<'_>, ix: u32) -> bool {
    let flow = &turn.flows[turn.flows.len() - 1];
    let BlockKind::Integration(i) = &flow.block(ix).kind else {
        return false;
    };
    match i.as_ref() {
        Integration::Forge { options, .. } | Integration::OpenAi(options) => {
            turn.state.stream && next_bubble_streams(turn, ix, options)
        }
        _ => false,
    }
}

/// True when the next block is a text bubble whose first leaf is exactly `{{<message var>}}`.
fn next_bubble_streams(turn: &Turn<'_>, ix: u32, options: &Value) -> bool {
    let flow = &turn.flows[turn.flows.len() - 1];
    let Some(var) = message_content_variable(options).and_then(|id| flow.variable(id)) else {
        return false;
    };
    let Some(next) = turn.after_block(ix) else {
        return false;
    };
    let BlockKind::Bubble(Bubble::Text { rich_text, .. }) = &flow.block(next.block).kind else {
        return false;
    };
    let first = rich_text
        .first()
        .and_then(|p| p.get("children"))
        .and_then(Value::as_array)
        .and_then(|c| c.first());
    first.and_then(|l| l.get("text")).and_then(Value::as_str)
        == Some(format!("{{{{{}}}}}", var.name).as_str())
}

/// Applies the reply to a waiting integration (client-side HTTP request, stream result).
pub fn resume(turn: &mut Turn<'_>, i: &Integration, text: &str) -> Result<(), EngineError> {
    match i {
        Integration::HttpRequest { options, .. } => {
            let body: Value =
                serde_json::from_str(text).map_err(|_| EngineError::InvalidClientResponse)?;
            let mapping = mapping_json(&options.response_variable_mapping);
            apply_mapping(turn, Some(&mapping), &body);
        }
        Integration::Forge { options, .. } | Integration::OpenAi(options) => {
            // A streamed answer: its text, and its token counts when the stream reported them.
            let usage = turn.out.token_usage.clone();
            ai::apply(turn, options, text, usage.as_ref());
        }
        _ => {}
    }
    Ok(())
}

/// The variable id an AI block saves the message content in: the first `responseMapping`
/// entry whose `item` is "Message content" (or unset).
fn message_content_variable(options: &Value) -> Option<&str> {
    options
        .get("responseMapping")
        .and_then(Value::as_array)
        .and_then(|m| {
            m.iter().find(|r| {
                r.get("item")
                    .or_else(|| r.get("valueToExtract"))
                    .and_then(Value::as_str)
                    .is_none_or(|i| i == "Message content")
            })
        })
        .and_then(|r| r.get("variableId"))
        .and_then(Value::as_str)
}

/// The HTTP block's response mapping in the `[{variableId, bodyPath}]` shape [`apply_mapping`]
/// reads.
fn mapping_json(mapping: &[ResponseMapping]) -> Value {
    serde_json::to_value(
        mapping
            .iter()
            .map(|m| json!({"variableId": m.variable_id, "bodyPath": m.body_path}))
            .collect::<Vec<_>>(),
    )
    .unwrap_or(Value::Null)
}

/// Maps a `{statusCode, data}` response into variables: each `bodyPath` is a JS expression
/// evaluated with `statusCode` and `data` in scope (failures are ignored, like Typebot).
pub fn apply_mapping(turn: &mut Turn<'_>, mapping: Option<&Value>, response: &Value) {
    let Some(items) = mapping.and_then(Value::as_array) else {
        return;
    };
    let status = response.get("statusCode").cloned().unwrap_or(Value::Null);
    let data = response
        .get("data")
        .cloned()
        .unwrap_or_else(|| response.clone());
    let limits = turn.engine.config.js;
    for m in items {
        let Some(var) = m.get("variableId").and_then(Value::as_str) else {
            continue;
        };
        let path = m
            .get("bodyPath")
            .and_then(Value::as_str)
            .unwrap_or("data")
            .trim();
        let path = if path.is_empty() { "data" } else { path };
        let body = format!("return {path}");
        turn.js_runs += 1;
        let params = [
            (
                "statusCode",
                crate::eval::js::JsValue::Value(status.clone()),
            ),
            ("data", crate::eval::js::JsValue::Value(data.clone())),
        ];
        if let Ok(out) = crate::eval::js::run_function_body(&body, &params, &limits) {
            turn.scope()
                .set(var, super::logic::set_variable::js_to_var(&out.value));
        }
    }
}

/// Substitutes variables in an integration's options.
pub fn substituted(turn: &mut Turn<'_>, v: &Value) -> Value {
    substitute_value(v, &mut turn.scope())
}
