//! Request bodies of the chat API (Typebot's contract), parsed with errors that name the field,
//! and validated before anything runs.

use serde::Deserialize;
use serde_json::{Map, Value};
use validator::{Validate, ValidationError};

use crate::api::error::ApiError;
use crate::engine::{Message, StartFrom, TextFormat};

/// Largest message text accepted (characters).
pub const MAX_MESSAGE_CHARS: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
pub enum FormatIn {
    #[serde(rename = "richText")]
    RichText,
    #[serde(rename = "markdown")]
    Markdown,
}

impl From<FormatIn> for TextFormat {
    fn from(f: FormatIn) -> Self {
        match f {
            FormatIn::RichText => TextFormat::RichText,
            FormatIn::Markdown => TextFormat::Markdown,
        }
    }
}

/// `message`: a bare string, or `{type: text|audio|command, ...}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum MessageIn {
    Text(String),
    Object(MessageObject),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageObject {
    #[serde(rename = "type")]
    pub kind: MessageKind,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub command: Option<String>,
    #[serde(default)]
    pub metadata: Option<Metadata>,
    #[serde(default)]
    pub attached_file_urls: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    Text,
    Audio,
    Command,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    #[serde(default)]
    pub reply_id: Option<String>,
}

impl MessageIn {
    pub fn into_message(self) -> Result<Message, ApiError> {
        let too_long = |s: &str| s.chars().count() > MAX_MESSAGE_CHARS;
        let m = match self {
            MessageIn::Text(text) => Message::text(text),
            MessageIn::Object(o) => match o.kind {
                MessageKind::Text => Message::Text {
                    text: o.text.ok_or_else(|| {
                        ApiError::bad_request("message.text is required for a text message")
                    })?,
                    reply_id: o.metadata.and_then(|m| m.reply_id),
                    attached_file_urls: o.attached_file_urls.unwrap_or_default(),
                },
                MessageKind::Audio => Message::Audio {
                    url: o.url.ok_or_else(|| {
                        ApiError::bad_request("message.url is required for an audio message")
                    })?,
                },
                MessageKind::Command => Message::Command {
                    command: o.command.ok_or_else(|| {
                        ApiError::bad_request("message.command is required for a command")
                    })?,
                },
            },
        };
        let text = match &m {
            Message::Text {
                text,
                attached_file_urls,
                ..
            } => {
                if attached_file_urls.len() > 50 {
                    return Err(ApiError::bad_request(
                        "message.attachedFileUrls: at most 50 URLs",
                    ));
                }
                text.as_str()
            }
            Message::Audio { url } => url.as_str(),
            Message::Command { command } => command.as_str(),
        };
        if too_long(text) {
            return Err(ApiError::bad_request(format!(
                "message: at most {MAX_MESSAGE_CHARS} characters"
            )));
        }
        Ok(m)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum StartFromIn {
    Group {
        #[serde(rename = "groupId")]
        group_id: String,
    },
    Event {
        #[serde(rename = "eventId")]
        event_id: String,
    },
}

impl From<StartFromIn> for StartFrom {
    fn from(s: StartFromIn) -> Self {
        match s {
            StartFromIn::Group { group_id } => StartFrom::Group(group_id),
            StartFromIn::Event { event_id } => StartFrom::Event(event_id),
        }
    }
}

fn prefill_limits(m: &Map<String, Value>) -> Result<(), ValidationError> {
    if m.len() > 200 {
        return Err(ValidationError::new("too_many_prefilled_variables"));
    }
    if m.keys().any(|k| k.len() > 256) {
        return Err(ValidationError::new("prefilled_variable_name_too_long"));
    }
    Ok(())
}

/// Body of `startChat` (live and preview; preview-only fields are ignored on live).
#[derive(Debug, Clone, Default, Deserialize, Validate)]
#[serde(rename_all = "camelCase")]
pub struct StartChatRequest {
    #[serde(default)]
    pub message: Option<MessageIn>,
    #[serde(default)]
    pub is_stream_enabled: bool,
    #[serde(default)]
    #[validate(length(min = 1, max = 128))]
    pub result_id: Option<String>,
    #[serde(default)]
    pub is_only_registering: bool,
    #[serde(default)]
    #[validate(custom(function = "prefill_limits"))]
    pub prefilled_variables: Option<Map<String, Value>>,
    #[serde(default)]
    pub text_bubble_content_format: Option<FormatIn>,
    // Preview only:
    #[serde(default)]
    pub start_from: Option<StartFromIn>,
    #[serde(default)]
    pub typebot: Option<Value>,
    #[serde(default)]
    #[validate(length(min = 1, max = 128))]
    pub session_id: Option<String>,
    #[serde(default)]
    pub is_progress_bar_enabled: Option<bool>,
}

/// Body of `continueChat`.
#[derive(Debug, Clone, Default, Deserialize, Validate)]
#[serde(rename_all = "camelCase")]
pub struct ContinueChatRequest {
    #[serde(default)]
    pub message: Option<MessageIn>,
    #[serde(default)]
    pub text_bubble_content_format: Option<FormatIn>,
}

/// Body of `clientLogs`.
#[derive(Debug, Clone, Deserialize, Validate)]
#[serde(rename_all = "camelCase")]
pub struct ClientLogsRequest {
    #[validate(length(max = 100))]
    pub client_logs: Vec<ClientLog>,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct ClientLog {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
}
