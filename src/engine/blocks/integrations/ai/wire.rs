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
    /// Whether a streamed call asks for the usage (`stream_options.include_usage`): not for
    /// providers that refuse the field (Mistral answers 422) and send the usage unasked.
    pub ask_stream_usage: bool,
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
            // OpenAI-compatible APIs send the usage only when asked, in a last chunk with no
            // choices; Anthropic always sends it (message_start, message_delta).
            if self.api == Api::OpenAi && self.ask_stream_usage {
                body["stream_options"] = json!({"include_usage": true});
            }
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

/// Token counts a streamed answer reported; each event may carry some of them (Anthropic:
/// the prompt in `message_start`, the completion so far in each `message_delta`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StreamUsage {
    pub prompt: Option<u64>,
    pub completion: Option<u64>,
    pub total: Option<u64>,
}

impl StreamUsage {
    /// Reads a `usage` object of either API (`None` when absent or null).
    fn of(usage: Option<&Value>) -> Option<StreamUsage> {
        let u = usage.filter(|u| u.is_object())?;
        let n = |keys: [&str; 2]| keys.iter().find_map(|k| u.get(*k).and_then(Value::as_u64));
        Some(StreamUsage {
            prompt: n(["prompt_tokens", "input_tokens"]),
            completion: n(["completion_tokens", "output_tokens"]),
            total: u.get("total_tokens").and_then(Value::as_u64),
        })
    }

    /// Takes the counts a later event reported (they are cumulative, never increments).
    pub fn merge(&mut self, later: StreamUsage) {
        self.prompt = later.prompt.or(self.prompt);
        self.completion = later.completion.or(self.completion);
        self.total = later.total.or(self.total);
    }
}

/// What one server-sent event of a streamed answer carries.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// Text, and the usage the same event reported (OpenAI-compatible APIs that send the
    /// usage on the last text chunk).
    Delta {
        text: Option<String>,
        usage: Option<StreamUsage>,
    },
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
    let delta = |text: Option<&str>, usage: Option<&Value>| {
        let text = text.filter(|t| !t.is_empty()).map(str::to_string);
        match (text, StreamUsage::of(usage)) {
            (None, None) => StreamEvent::Other,
            (text, usage) => StreamEvent::Delta { text, usage },
        }
    };
    match api {
        Api::OpenAi => delta(
            v.pointer("/choices/0/delta/content")
                .and_then(Value::as_str),
            v.get("usage"),
        ),
        Api::Anthropic => {
            let kind = v.get("type").and_then(Value::as_str).unwrap_or(event);
            match kind {
                "content_block_delta" => {
                    delta(v.pointer("/delta/text").and_then(Value::as_str), None)
                }
                "message_start" => delta(None, v.pointer("/message/usage")),
                "message_delta" => delta(None, v.get("usage")),
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

    fn text(t: &str) -> StreamEvent {
        StreamEvent::Delta {
            text: Some(t.into()),
            usage: None,
        }
    }

    fn usage(prompt: Option<u64>, completion: Option<u64>, total: Option<u64>) -> StreamEvent {
        StreamEvent::Delta {
            text: None,
            usage: Some(StreamUsage {
                prompt,
                completion,
                total,
            }),
        }
    }

    #[test]
    fn stream_events_of_both_apis() {
        let chunk = r#"{"choices":[{"delta":{"content":"Hel"}}],"usage":null}"#;
        assert_eq!(stream_event(Api::OpenAi, "", chunk), text("Hel"));
        assert_eq!(stream_event(Api::OpenAi, "", "[DONE]"), StreamEvent::Done);
        let last =
            r#"{"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}"#;
        assert_eq!(
            stream_event(Api::OpenAi, "", last),
            usage(Some(9), Some(3), Some(12))
        );
        let d =
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"#;
        assert_eq!(
            stream_event(Api::Anthropic, "content_block_delta", d),
            text("Hi")
        );
        let start =
            r#"{"type":"message_start","message":{"usage":{"input_tokens":25,"output_tokens":1}}}"#;
        assert_eq!(
            stream_event(Api::Anthropic, "message_start", start),
            usage(Some(25), Some(1), None)
        );
        let delta = r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":15}}"#;
        assert_eq!(
            stream_event(Api::Anthropic, "message_delta", delta),
            usage(None, Some(15), None)
        );
        assert_eq!(
            stream_event(Api::Anthropic, "message_stop", r#"{"type":"message_stop"}"#),
            StreamEvent::Done
        );
    }

    #[test]
    fn later_usage_counts_replace_earlier_ones() {
        let mut u = StreamUsage {
            prompt: Some(25),
            completion: Some(1),
            total: None,
        };
        u.merge(StreamUsage {
            prompt: None,
            completion: Some(15),
            total: None,
        });
        assert_eq!(
            (u.prompt, u.completion, u.total),
            (Some(25), Some(15), None)
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
            ask_stream_usage: true,
        };
        let body: Value = serde_json::from_slice(&call.body(false)).unwrap_or_default();
        assert_eq!(body["system"], "Be brief");
        assert_eq!(body["messages"].as_array().map(Vec::len), Some(1));
        assert_eq!(call.url(), "https://x/v1/messages");
        assert!(!format!("{call:?}").contains("\"k\""));
        let streamed: Value = serde_json::from_slice(&call.body(true)).unwrap_or_default();
        assert_eq!(streamed["stream"], true);
        assert!(
            streamed.get("stream_options").is_none(),
            "Anthropic sends usage unasked"
        );
        let openai = ChatCall {
            api: Api::OpenAi,
            ..call
        };
        let streamed: Value = serde_json::from_slice(&openai.body(true)).unwrap_or_default();
        assert_eq!(streamed["stream_options"], json!({"include_usage": true}));
        let mistral = ChatCall {
            ask_stream_usage: false,
            ..openai
        };
        let streamed: Value = serde_json::from_slice(&mistral.body(true)).unwrap_or_default();
        assert!(streamed.get("stream_options").is_none());
    }
}
