//! AI blocks: the legacy `OpenAI` block ("Create chat completion") and the forge chat blocks
//! (openai, mistral, groq, together-ai, open-router, deepseek, perplexity: any OpenAI-compatible
//! API; anthropic through its messages API). Credentials come by the block's `credentialsId`
//! from [`crate::engine::CredentialSource`]; every call goes through the one SSRF-safe client,
//! so the guard applies to every base URL. The answer is mapped into variables ("Message
//! content", "Total tokens", ...) and the token usage is recorded on the turn.
//!
//! Streaming ([`stream`]): when the player streams, the block asks for the `stream` action and
//! the player fetches the answer from the streamMessage endpoint; its final text comes back
//! with the next continueChat (see [`super::resume`]).

mod messages;
pub mod stream;
mod wire;

use serde_json::Value;

use crate::engine::TokenUsage;
use crate::engine::ai_services::{ANTHROPIC_BASE_URL, default_base_url};
use crate::engine::context::Turn;
use crate::engine::turn::Log;
use crate::flow::VarValue;
use crate::net::OutboundRequest;

pub use wire::{Api, ChatCall, Completion};

/// Forge block types that are chat blocks, with their default model.
const CHAT_BLOCKS: &[(&str, &str)] = &[
    ("openai", "gpt-4o-mini"),
    ("mistral", "mistral-small-latest"),
    ("groq", "llama-3.1-8b-instant"),
    ("together-ai", "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo"),
    ("open-router", "openai/gpt-4o-mini"),
    ("deepseek", "deepseek-chat"),
    ("perplexity", "sonar"),
    ("anthropic", "claude-3-5-sonnet-latest"),
];

/// The legacy block's type name (its options carry `task`, not `action`).
pub const LEGACY: &str = "OpenAI";

/// Whether a block/action pair is a chat completion this module runs.
pub fn is_chat(block_type: &str, action: Option<&str>) -> bool {
    let chat_action = matches!(
        action,
        Some("Create chat completion" | "Create Chat Message" | "Create chat message")
    );
    chat_action && (block_type == LEGACY || CHAT_BLOCKS.iter().any(|(t, _)| *t == block_type))
}

/// Why a call could not be prepared: the log line the turn shows.
pub type Refusal = Log;

/// Builds the call of a chat block: credentials, model, messages (variables substituted).
pub async fn prepare(
    turn: &mut Turn<'_>,
    block_type: &str,
    options: &Value,
) -> Result<ChatCall, Refusal> {
    let not_found = || Log::error(format!("Could not find credentials for block {block_type}"));
    let id = options
        .get("credentialsId")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    let Some(id) = id else {
        return Err(if block_type == LEGACY {
            Log::error("Make sure to select an OpenAI account")
        } else {
            not_found()
        });
    };
    let Some(source) = turn.engine.ai.credentials.clone() else {
        return Err(not_found());
    };
    let Some(cred) = source.credential(id).await else {
        return Err(not_found());
    };
    let anthropic = block_type == "anthropic";
    let api = if anthropic {
        Api::Anthropic
    } else {
        Api::OpenAi
    };
    let fits = if anthropic {
        cred.kind == "anthropic"
    } else {
        cred.kind != "anthropic" && default_base_url(&cred.kind).is_some()
    };
    let Some(api_key) = cred.field("apiKey").filter(|_| fits) else {
        return Err(not_found().with_details(Value::String(format!(
            "credentials {id} (type {}) cannot be used by a {block_type} block",
            cred.kind
        ))));
    };
    let base_url = cred
        .field("baseUrl")
        .or(default_base_url(&cred.kind))
        .unwrap_or(ANTHROPIC_BASE_URL)
        .to_string();
    let options = super::substituted(turn, options);
    let default_model = CHAT_BLOCKS
        .iter()
        .find(|(t, _)| *t == block_type)
        .map_or("gpt-4o-mini", |(_, m)| m);
    let model = options
        .get("model")
        .and_then(Value::as_str)
        .filter(|m| !m.is_empty())
        .unwrap_or(default_model)
        .to_string();
    let mut msgs = Vec::new();
    if let Some(system) = options.get("systemMessage").and_then(Value::as_str)
        && !system.is_empty()
    {
        msgs.push(messages::ChatMessage {
            role: "system",
            content: system.to_string(),
        });
    }
    msgs.extend(messages::build(&options, &turn.scope()));
    let number = |v: Option<&Value>| {
        v.and_then(|v| {
            v.as_f64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        })
    };
    let temperature = number(
        options
            .get("temperature")
            .or_else(|| options.pointer("/advancedSettings/temperature")),
    );
    let max_tokens = number(options.get("maxTokens")).map(|m| m.max(1.0) as u64);
    Ok(ChatCall {
        api,
        base_url,
        api_key: api_key.to_string(),
        model,
        messages: msgs,
        temperature,
        max_tokens,
        // Providers known to accept `stream_options`; Mistral refuses it (422) and, like
        // Perplexity, sends the usage of a stream without being asked.
        ask_stream_usage: matches!(
            cred.kind.as_str(),
            "openai" | "groq" | "together" | "openrouter" | "deepseek"
        ),
    })
}

/// Runs a chat block without streaming: calls the API, maps the answer, records the usage.
pub async fn run(turn: &mut Turn<'_>, block_type: &str, options: &Value) {
    let call = match prepare(turn, block_type, options).await {
        Ok(c) => c,
        Err(log) => {
            turn.out.logs.push(log);
            return;
        }
    };
    match complete(turn, &call).await {
        Ok(c) => {
            let usage = TokenUsage::priced(
                &call.model,
                c.prompt_tokens,
                c.completion_tokens,
                c.total_tokens,
                &turn.engine.ai.prices,
            );
            turn.out.add_usage(&usage);
            apply(turn, options, &c.text, Some(&usage));
        }
        Err(message) => turn.out.logs.push(
            Log::error(format!("{block_type} block returned an error"))
                .with_details(Value::String(message)),
        ),
    }
}

async fn complete(turn: &Turn<'_>, call: &ChatCall) -> Result<Completion, String> {
    let Some(http) = turn.engine.http.as_ref() else {
        return Err("outbound HTTP is not available".into());
    };
    let res = http
        .send(OutboundRequest {
            method: "POST".into(),
            url: call.url(),
            headers: call.headers(),
            body: Some(call.body(false)),
            timeout: Some(std::time::Duration::from_secs(120)),
        })
        .await
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&res.body);
    if !(200..300).contains(&res.status) {
        return Err(format!("{}: {}", res.status, wire::error_message(&text)));
    }
    let body: Value =
        serde_json::from_str(&text).map_err(|_| "the answer is not JSON".to_string())?;
    call.parse(&body)
        .ok_or_else(|| "the answer has no message".to_string())
}

/// Maps an answer into the block's variables: `responseMapping` items (`item` for forge
/// blocks, `valueToExtract` for the legacy block; unset means the message content).
pub fn apply(turn: &mut Turn<'_>, options: &Value, text: &str, usage: Option<&TokenUsage>) {
    let items = options.get("responseMapping").and_then(Value::as_array);
    for m in items.into_iter().flatten() {
        let Some(var) = m.get("variableId").and_then(Value::as_str) else {
            continue;
        };
        let item = m
            .get("item")
            .or_else(|| m.get("valueToExtract"))
            .and_then(Value::as_str)
            .unwrap_or("Message content");
        let value = match (item, usage) {
            ("Message content", _) => Some(text.to_string()),
            ("Total tokens", Some(u)) => Some(u.total_tokens.to_string()),
            ("Prompt tokens", Some(u)) => Some(u.prompt_tokens.to_string()),
            ("Completion tokens", Some(u)) => Some(u.completion_tokens.to_string()),
            _ => None,
        };
        if let Some(v) = value {
            turn.scope().set(var, VarValue::from_string(v));
        }
    }
}
