//! Typed blocks: what [`crate::flow::compile`] turns each exported block into.
//!
//! One closed enum with a variant per family. Options are typed only as far as execution
//! needs them; what the client sees of an input block is kept separately as its "wire" JSON
//! (see [`crate::flow::wire`]). Block types we do not know become [`BlockKind::Unsupported`],
//! which the walker logs and skips.

use serde::Deserialize;
use serde_json::Value;

use super::options::*;

/// The family-specific part of a compiled block.
#[derive(Debug, Clone)]
pub enum BlockKind {
    /// A V5 start block (only the entry edge matters).
    Start,
    Bubble(Bubble),
    Input(std::sync::Arc<Input>),
    Logic(Logic),
    Integration(Box<Integration>),
    /// A block type this engine does not know: skipped with a log naming it.
    Unsupported {
        type_name: String,
    },
}

#[derive(Debug, Clone)]
pub enum Bubble {
    /// Plate rich text; `templated` is true when any leaf or url contains `{{`.
    Text {
        rich_text: Vec<Value>,
        templated: bool,
    },
    Image(Value),
    Video(Value),
    Audio(Value),
    Embed(Value),
    /// A bubble without `content`: skipped (its edge still counts).
    Empty,
}

/// The input kinds, with their Typebot type strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputKind {
    Text,
    Number,
    Email,
    Url,
    Phone,
    Date,
    Time,
    Choice,
    PictureChoice,
    Rating,
    File,
    Payment,
    Cards,
}

impl InputKind {
    pub fn from_type(t: &str) -> Option<Self> {
        Some(match t {
            "text input" => Self::Text,
            "number input" => Self::Number,
            "email input" => Self::Email,
            "url input" => Self::Url,
            "phone number input" => Self::Phone,
            "date input" => Self::Date,
            "time input" => Self::Time,
            "choice input" => Self::Choice,
            "picture choice input" => Self::PictureChoice,
            "rating input" => Self::Rating,
            "file input" => Self::File,
            "payment input" => Self::Payment,
            "cards" => Self::Cards,
            _ => return None,
        })
    }

    /// The name reply events store in their "input type" variable.
    pub fn reply_type_name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Number => "number",
            Self::Email => "email",
            Self::Url => "url",
            Self::Phone => "phone",
            Self::Date => "date",
            Self::Time => "time",
            Self::Choice => "buttons",
            Self::PictureChoice => "picture choice",
            Self::Rating => "rating",
            Self::File => "file",
            Self::Payment => "payment",
            Self::Cards => "cards",
        }
    }
}

/// A compiled input block.
#[derive(Debug, Clone)]
pub struct Input {
    pub kind: InputKind,
    pub options: InputOptions,
    /// Choice / picture choice / cards items as exported (filtered to known keys).
    pub items: Vec<Value>,
    /// The block as the client sees it (known keys only), before variable substitution.
    pub wire: Value,
    /// True when any string of `wire` contains `{{`, or items depend on variables.
    pub dynamic: bool,
}

#[derive(Debug, Clone)]
pub enum Logic {
    SetVariable(SetVariableOptions),
    Condition(Vec<ConditionItem>),
    Redirect {
        url: String,
        is_new_tab: Option<bool>,
    },
    Script(ScriptOptions),
    TypebotLink(LinkOptions),
    Wait(WaitOptions),
    AbTest(AbTestOptions),
    Jump {
        group_id: String,
        block_id: Option<String>,
    },
    Return,
    /// The lower-case "webhook" block: wait for an external call.
    WebhookListener(Value),
}

#[derive(Debug, Clone)]
pub enum Integration {
    /// "Webhook" (HTTP request), "Zapier", "Make.com", "Pabbly".
    HttpRequest {
        long_timeout: bool,
        options: Box<HttpRequestOptions>,
        webhook_id: Option<String>,
    },
    Email(Box<EmailOptions>),
    GoogleSheets(Value),
    OpenAi(Value),
    Chatwoot(Value),
    GoogleAnalytics(Value),
    Pixel(Value),
    /// A forge block (`openai`, `mistral`, `anthropic`, ...): type and raw options.
    Forge {
        block_type: String,
        options: Value,
    },
}

/// Known forge block types (Typebot's `packages/forge/blocks`).
pub const FORGE_TYPES: &[&str] = &[
    "openai",
    "cal-com",
    "chat-node",
    "qr-code",
    "dify-ai",
    "mistral",
    "elevenlabs",
    "anthropic",
    "together-ai",
    "open-router",
    "nocodb",
    "segment",
    "posthog",
    "groq",
    "zendesk",
    "perplexity",
    "deepseek",
    "blink",
    "gmail",
];

/// Deserializes options leniently: a type mismatch falls back to defaults instead of failing
/// the whole flow (exports from newer builders may carry shapes we do not know).
pub fn lenient<T: for<'de> Deserialize<'de> + Default>(v: Option<&Value>) -> T {
    v.and_then(|v| T::deserialize(v).ok()).unwrap_or_default()
}

/// The `paths` of an input item (cards: one per button, each with its `outgoingEdgeId`); none
/// for items without paths.
pub fn item_paths(item: &Value) -> impl Iterator<Item = &Value> {
    item.get("paths")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The string at `key` of an options object, when there is one.
pub fn str_opt(v: Option<&Value>, key: &str) -> Option<String> {
    v.and_then(|o| o.get(key))
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// The boolean at `key` of an options object, when there is one.
pub fn bool_opt(v: Option<&Value>, key: &str) -> Option<bool> {
    v.and_then(|o| o.get(key)).and_then(Value::as_bool)
}
