//! Logic blocks: set variable, condition, redirect, script, typebot link, wait, A/B test,
//! jump, return, and the "wait for webhook" listener.

pub mod flow_control;
pub mod set_variable;

use serde_json::{Value, json};

use super::Next;
use crate::engine::EngineError;
use crate::engine::context::Turn;
use crate::engine::turn::{Log, TurnStatus};
use crate::eval::templating::parse_text;
use crate::flow::block::Logic;

pub async fn execute(turn: &mut Turn<'_>, ix: u32, logic: &Logic) -> Result<Next, EngineError> {
    Ok(match logic {
        Logic::SetVariable(o) => set_variable::execute(turn, o),
        Logic::Condition(items) => flow_control::condition(turn, items),
        Logic::Jump { group_id, block_id } => {
            flow_control::jump(turn, ix, group_id, block_id.as_deref())
        }
        Logic::Return => flow_control::return_to_mark(turn),
        Logic::AbTest(o) => flow_control::ab_test(o),
        Logic::TypebotLink(o) => flow_control::link(turn, ix, o).await?,
        Logic::Redirect { url, is_new_tab } => redirect(turn, url, *is_new_tab),
        Logic::Script(o) => {
            let content = o.content.clone().unwrap_or_default();
            if o.is_executed_on_client == Some(false) {
                run_server_script(turn, &content);
            } else {
                let mut payload =
                    set_variable::script_payload(&mut turn.scope(), &content, None, o.is_unsafe);
                if let Some(p) = payload.as_object_mut() {
                    p.remove("isCode");
                }
                turn.out
                    .push_action("scriptToExecute", Some(payload), false);
            }
            Next::Continue
        }
        Logic::Wait(o) => {
            let raw = match &o.seconds_to_wait_for {
                Some(Value::Number(n)) => n.to_string(),
                Some(Value::String(s)) => parse_text(s, &mut turn.scope()),
                _ => String::new(),
            };
            // Like Typebot's parseFloat: "2s" waits 2 seconds.
            let Some(seconds) = leading_number(&raw) else {
                return Ok(Next::Continue);
            };
            let pause = o.should_pause == Some(true);
            if seconds > 0.0 || pause {
                turn.out.push_action(
                    "wait",
                    Some(json!({"secondsToWaitFor": crate::eval::scope::number(seconds)})),
                    pause,
                );
                if pause {
                    return Ok(Next::Stop(TurnStatus::WaitingTime));
                }
            }
            Next::Continue
        }
        Logic::WebhookListener(_) => {
            turn.out.push_action("listenForWebhook", None, true);
            Next::Stop(TurnStatus::WaitingAction)
        }
    })
}

/// Applies the client's reply to a waiting logic block.
pub fn resume(turn: &mut Turn<'_>, logic: &Logic, text: &str) -> Result<(), EngineError> {
    match logic {
        Logic::SetVariable(o) => set_variable::resume(turn, o, text),
        Logic::WebhookListener(options) => {
            let body = serde_json::from_str::<Value>(text)
                .unwrap_or_else(|_| json!({"statusCode": 200, "data": text}));
            super::integrations::apply_mapping(turn, options.get("responseVariableMapping"), &body);
        }
        _ => {}
    }
    Ok(())
}

fn redirect(turn: &mut Turn<'_>, template: &str, is_new_tab: Option<bool>) -> Next {
    let mut url = parse_text(template, &mut turn.scope()).trim().to_string();
    if url.is_empty() {
        return Next::Continue;
    }
    let lower = url.to_ascii_lowercase();
    if ["javascript:", "data:", "vbscript:", "file:"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        // Only web, mail, phone and SMS links may be opened: never script URLs.
        turn.out.logs.push(Log::error(format!(
            "Redirect to \"{url}\" refused: only http(s), mailto, tel and sms links are allowed"
        )));
        return Next::Continue;
    }
    let known = ["http", "mailto:", "tel:", "sms:"]
        .iter()
        .any(|p| lower.starts_with(p));
    if !known && !template.trim_start().starts_with("{{") {
        url = format!("https://{url}");
    }
    let mut payload = serde_json::Map::new();
    payload.insert("url".into(), Value::String(url));
    if let Some(n) = is_new_tab {
        payload.insert("isNewTab".into(), Value::Bool(n));
    }
    turn.out
        .push_action("redirect", Some(Value::Object(payload)), false);
    Next::Continue
}

/// A server-side script: runs in the sandbox; `setVariable` calls update variables by name.
fn run_server_script(turn: &mut Turn<'_>, content: &str) {
    let mut scope = turn.scope();
    let body = crate::eval::templating::parse(
        content,
        &mut scope,
        crate::eval::templating::Opts {
            mode: crate::eval::templating::Mode::Id,
            take_latest: false,
        },
    );
    match scope.run_js(&body) {
        Ok(out) => {
            for (name, v) in &out.set_variables {
                scope.set_by_name(name, set_variable::js_to_var(v));
            }
        }
        Err(e) => turn
            .out
            .logs
            .push(Log::error("Script block failed").with_details(json!(e.to_string()))),
    }
}

/// JS `parseFloat`: the longest leading decimal number of a text (after spaces), if any.
fn leading_number(text: &str) -> Option<f64> {
    let t = text.trim_start();
    let mut end = 0;
    let mut seen_dot = false;
    for (i, c) in t.char_indices() {
        match c {
            '0'..='9' => end = i + 1,
            '.' if !seen_dot => seen_dot = true,
            '-' | '+' if i == 0 => {}
            _ => break,
        }
    }
    t[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::leading_number;

    #[test]
    fn wait_seconds_are_read_like_parse_float() {
        assert_eq!(leading_number("2s"), Some(2.0));
        assert_eq!(leading_number(" 1.5 seconds"), Some(1.5));
        assert_eq!(leading_number("-3"), Some(-3.0));
        assert_eq!(leading_number("soon"), None);
        assert_eq!(leading_number(""), None);
    }
}
