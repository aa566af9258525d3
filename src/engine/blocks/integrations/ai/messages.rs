//! The chat messages of an AI block, from its options (variables already substituted): plain
//! `system`/`user`/`assistant` items, `Dialogue` items read from a list variable (alternating,
//! starting with `startsBy`, default the user) and the legacy `Messages sequence ✨` (a user
//! list and an assistant list, interleaved).

use serde::Serialize;
use serde_json::Value;

use crate::eval::scope::Scope;
use crate::flow::VarValue;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatMessage {
    pub role: &'static str,
    pub content: String,
}

fn role(r: &str) -> Option<&'static str> {
    match r {
        "system" => Some("system"),
        "user" => Some("user"),
        "assistant" => Some("assistant"),
        _ => None,
    }
}

fn list(scope: &Scope<'_>, var: Option<&str>) -> Vec<String> {
    match var.and_then(|v| scope.get(v)) {
        Some(VarValue::List(items)) => items.iter().flatten().cloned().collect(),
        Some(VarValue::Str(s)) if !s.is_empty() => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// The messages of `options.messages`.
pub fn build(options: &Value, scope: &Scope<'_>) -> Vec<ChatMessage> {
    let mut out = Vec::new();
    let items = options.get("messages").and_then(Value::as_array);
    for m in items.into_iter().flatten() {
        let r = m.get("role").and_then(Value::as_str).unwrap_or("user");
        match r {
            "Dialogue" => {
                let var = m.get("dialogueVariableId").and_then(Value::as_str);
                let assistant_first =
                    m.get("startsBy").and_then(Value::as_str) == Some("assistant");
                for (i, content) in list(scope, var).into_iter().enumerate() {
                    let user = (i % 2 == 0) != assistant_first;
                    let role = if user { "user" } else { "assistant" };
                    out.push(ChatMessage { role, content });
                }
            }
            "Messages sequence ✨" => {
                let c = m.get("content");
                let var = |k: &str| c.and_then(|c| c.get(k)).and_then(Value::as_str);
                let users = list(scope, var("userMessagesVariableId"));
                let assistants = list(scope, var("assistantMessagesVariableId"));
                for i in 0..users.len().max(assistants.len()) {
                    if let Some(u) = users.get(i) {
                        out.push(ChatMessage {
                            role: "user",
                            content: u.clone(),
                        });
                    }
                    if let Some(a) = assistants.get(i) {
                        out.push(ChatMessage {
                            role: "assistant",
                            content: a.clone(),
                        });
                    }
                }
            }
            other => {
                let content = m.get("content").and_then(Value::as_str).unwrap_or_default();
                if let Some(role) = role(other)
                    && !content.is_empty()
                {
                    out.push(ChatMessage {
                        role,
                        content: content.to_string(),
                    });
                }
            }
        }
    }
    out
}
