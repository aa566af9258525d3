//! The providers' wire formats: OpenAI chat completions (every OpenAI-compatible API) and
//! Anthropic's messages API, for whole answers and for streamed ones (server-sent events).

use serde_json::{Value, json};

use super::messages::ChatMessage;

/// Which API a call speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    OpenAi,
    Anthropic,
}

/// Everything one chat call needs. Debug output never shows the API key.
#[derive(Clone)]
pub struct ChatCall {
    pub api: Api,
    pub base_url: String,
    pub api_key: String,
    pub model: String,
    pub messages: Vec<ChatMessage>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<u64>,
}

impl std::fmt::Debug for ChatCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatCall")
            .field("api", &self.api)
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

/// A whole answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Completion {
    pub text: String,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: Option<u64>,
}

impl ChatCall {
    pub fn url(&self) -> String {
        let base = self.base_url.trim_end_matches('/');
        match self.api {
            Api::OpenAi => format!("{base}/chat/completions"),
            Api::Anthropic => format!("{base}/messages"),
        }
    }

    pub fn headers(&self) -> Vec<(String, String)> {
        let mut h = vec![("content-type".to_string(), "application/json".to_string())];
        match self.api {
            Api::OpenAi => h.push(("authorization".into(), format!("Bearer {}", self.api_key))),
            Api::Anthropic => {
                h.push(("x-api-key".into(), self.api_key.clone()));
                h.push(("anthropic-version".into(), "2023-06-01".into()));
            }
        }
        h
    }

    pub fn body(&self, stream: bool) -> Vec<u8> {
        let mut body = match self.api {
            Api::OpenAi => json!({"model": self.model, "messages": self.messages}),
            Api::Anthropic => {
                let system: Vec<&str> = self
                    .messages
                    .iter()
                    .filter(|m| m.role == "system")
                    .map(|m| m.content.as_str())
                    .collect();
                let rest: Vec<&ChatMessage> = self
                    .messages
                    .iter()
                    .filter(|m| m.role != "system")
                    .collect();
                let mut b = json!({
                    "model": self.model,
                    "messages": rest,
                    "max_tokens": self.max_tokens.unwrap_or(1024),
                });
                if !system.is_empty() {
                    b["system"] = Value::String(system.join("\n\n"));
                }
                b
            }
        };
        if let Some(t) = self.temperature {
            body["temperature"] = json!(t);
        }
        if let (Api::OpenAi, Some(m)) = (self.api, self.max_tokens) {
            body["max_tokens"] = json!(m);
        }
        if stream {
            body["stream"] = Value::Bool(true);
        }
        serde_json::to_vec(&body).unwrap_or_default()
    }

    /// Reads a whole (non-streamed) answer.
    pub fn parse(&self, body: &Value) -> Option<Completion> {
        let u = body.get("usage");
        let n = |k: &str| u.and_then(|u| u.get(k)).and_then(Value::as_u64);
        match self.api {
            Api::OpenAi => Some(Completion {
                text: body
                    .pointer("/choices/0/message/content")?
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                prompt_tokens: n("prompt_tokens").unwrap_or(0),
                completion_tokens: n("completion_tokens").unwrap_or(0),
                total_tokens: n("total_tokens"),
            }),
            Api::Anthropic => {
                let parts = body.get("content")?.as_array()?;
                let text = parts
                    .iter()
                    .filter(|p| p.get("type").and_then(Value::as_str) == Some("text"))
                    .filter_map(|p| p.get("text").and_then(Value::as_str))
                    .collect::<String>();
                Some(Completion {
                    text,
                    prompt_tokens: n("input_tokens").unwrap_or(0),
                    completion_tokens: n("output_tokens").unwrap_or(0),
                    total_tokens: None,
                })
            }
        }
    }
}

/// What one server-sent event of a streamed answer carries.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    Text(String),
    Done,
    Error(String),
    Other,
}

/// Reads one event (`event` is the SSE event name, `data` its data).
pub fn stream_event(api: Api, event: &str, data: &str) -> StreamEvent {
    if data.trim() == "[DONE]" {
        return StreamEvent::Done;
    }
    let Ok(v) = serde_json::from_str::<Value>(data) else {
        return StreamEvent::Other;
    };
    if let Some(e) = v.get("error") {
        let msg = e.get("message").and_then(Value::as_str).unwrap_or("error");
        return StreamEvent::Error(msg.to_string());
    }
    match api {
        Api::OpenAi => match v
            .pointer("/choices/0/delta/content")
            .and_then(Value::as_str)
        {
            Some(t) if !t.is_empty() => StreamEvent::Text(t.to_string()),
            _ => StreamEvent::Other,
        },
        Api::Anthropic => {
            let kind = v.get("type").and_then(Value::as_str).unwrap_or(event);
            match kind {
                "content_block_delta" => match v.pointer("/delta/text").and_then(Value::as_str) {
                    Some(t) => StreamEvent::Text(t.to_string()),
                    None => StreamEvent::Other,
                },
                "message_stop" => StreamEvent::Done,
                _ => StreamEvent::Other,
            }
        }
    }
}

/// The message an error response carries (never the request, which holds the key).
pub fn error_message(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| {
            v.pointer("/error/message")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| body.chars().take(300).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_events_of_both_apis() {
        let chunk = r#"{"choices":[{"delta":{"content":"Hel"}}]}"#;
        assert_eq!(
            stream_event(Api::OpenAi, "", chunk),
            StreamEvent::Text("Hel".into())
        );
        assert_eq!(stream_event(Api::OpenAi, "", "[DONE]"), StreamEvent::Done);
        let d =
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"#;
        assert_eq!(
            stream_event(Api::Anthropic, "content_block_delta", d),
            StreamEvent::Text("Hi".into())
        );
        assert_eq!(
            stream_event(Api::Anthropic, "message_stop", r#"{"type":"message_stop"}"#),
            StreamEvent::Done
        );
    }

    #[test]
    fn anthropic_takes_system_messages_apart() {
        let call = ChatCall {
            api: Api::Anthropic,
            base_url: "https://x/v1/".into(),
            api_key: "k".into(),
            model: "m".into(),
            messages: vec![
                ChatMessage {
                    role: "system",
                    content: "Be brief".into(),
                },
                ChatMessage {
                    role: "user",
                    content: "Hi".into(),
                },
            ],
            temperature: None,
            max_tokens: None,
        };
        let body: Value = serde_json::from_slice(&call.body(false)).unwrap_or_default();
        assert_eq!(body["system"], "Be brief");
        assert_eq!(body["messages"].as_array().map(Vec::len), Some(1));
        assert_eq!(call.url(), "https://x/v1/messages");
        assert!(!format!("{call:?}").contains("\"k\""));
    }
}
