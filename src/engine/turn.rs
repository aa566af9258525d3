//! The typed outcome of one turn: what the bot said, what it waits for, what the client must
//! do, what was logged, and what must be recorded in results.

use serde::Serialize;
use serde_json::{Map, Value};

/// Where a conversation stands after a turn. Maps to the trigger API's execution statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TurnStatus {
    /// Waiting for the user's reply to an input.
    WaitingInput,
    /// Waiting for a client-side action to report back (script result, webhook, stream...).
    WaitingAction,
    /// Waiting for time to pass (a paused Wait block).
    WaitingTime,
    Completed,
    /// The turn was cut short (step budget exhausted, a target missing...).
    Failed,
    /// Ended from outside (an execution cancelled through an API); the engine itself never
    /// produces it.
    Aborted,
}

impl TurnStatus {
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            TurnStatus::Completed | TurnStatus::Failed | TurnStatus::Aborted
        )
    }

    /// The execution status of the engine trigger API (`waiting_input`, `waiting_time`,
    /// `completed`, `failed`, `aborted`): waiting for a client action counts as waiting for
    /// input, since the next call to resume carries it.
    pub fn execution_status(self) -> &'static str {
        match self {
            TurnStatus::WaitingInput | TurnStatus::WaitingAction => "waiting_input",
            TurnStatus::WaitingTime => "waiting_time",
            TurnStatus::Completed => "completed",
            TurnStatus::Failed => "failed",
            TurnStatus::Aborted => "aborted",
        }
    }
}

/// A log line, as Typebot returns them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Log {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
    /// Saved to results but not returned by live (non-preview) responses.
    #[serde(skip)]
    pub result_only: bool,
}

impl Log {
    pub fn error(description: impl Into<String>) -> Self {
        Self {
            status: Some("error"),
            description: description.into(),
            details: None,
            result_only: false,
        }
    }
    pub fn info(description: impl Into<String>) -> Self {
        Self {
            status: Some("info"),
            description: description.into(),
            details: None,
            result_only: false,
        }
    }
    pub fn success(description: impl Into<String>) -> Self {
        Self {
            status: Some("success"),
            description: description.into(),
            details: None,
            result_only: false,
        }
    }
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }
    pub fn result_only(mut self) -> Self {
        self.result_only = true;
        self
    }
}

/// An answer given this turn (the conversation core records it in the session's result).
#[derive(Debug, Clone, PartialEq)]
pub struct TurnAnswer {
    pub block_id: String,
    /// The result column: the variable's name, else the block's.
    pub key: String,
    pub content: String,
    pub attached_file_urls: Vec<String>,
}

/// Everything one turn produced.
#[derive(Debug, Clone)]
pub struct TurnOutput {
    pub messages: Vec<Value>,
    pub input: Option<Value>,
    pub actions: Vec<Value>,
    pub logs: Vec<Log>,
    pub last_message_new_format: Option<String>,
    pub status: TurnStatus,
    /// True when the walker ran (continueChat then always carries `clientSideActions`/`logs`).
    pub walked: bool,
    pub answers: Vec<TurnAnswer>,
    /// For each answer, the (flow id, result id) of the linked bot that asked it when that bot
    /// keeps its own result (a link with merging off); None for the session's own result.
    pub answer_results: Vec<Option<(String, String)>>,
    pub last_bubble: Option<String>,
    /// Blocks executed this turn (for telemetry and the step budget).
    pub steps: u32,
    /// Variables before the first block ran (start turns only): the theme is shown with them.
    pub initial_vars: Option<std::collections::BTreeMap<String, crate::flow::VarValue>>,
    /// Progress in percent, when the bot shows a progress bar.
    pub progress: Option<f64>,
    /// `{hostAvatarUrl, guestAvatarUrl, backgroundUrl}` when the theme uses variables.
    pub dynamic_theme: Option<Value>,
    /// Tokens the AI blocks of this turn used (None: no AI call ran).
    pub token_usage: Option<super::TokenUsage>,
}

impl Default for TurnOutput {
    fn default() -> Self {
        Self {
            messages: Vec::new(),
            input: None,
            actions: Vec::new(),
            logs: Vec::new(),
            last_message_new_format: None,
            status: TurnStatus::Completed,
            walked: false,
            answers: Vec::new(),
            answer_results: Vec::new(),
            last_bubble: None,
            steps: 0,
            initial_vars: None,
            progress: None,
            dynamic_theme: None,
            token_usage: None,
        }
    }
}

impl TurnOutput {
    /// Records one AI call's token usage on the turn.
    pub fn add_usage(&mut self, usage: &super::TokenUsage) {
        self.token_usage
            .get_or_insert_with(Default::default)
            .add(usage);
    }

    /// Appends a client-side action `{type, <type>: payload}`, tagged with the last bubble.
    pub fn push_action(&mut self, kind: &str, payload: Option<Value>, expects_reply: bool) {
        let mut a = Map::new();
        a.insert("type".into(), Value::String(kind.to_string()));
        if let Some(p) = payload {
            a.insert(kind.to_string(), p);
        }
        if let Some(b) = &self.last_bubble {
            a.insert("lastBubbleBlockId".into(), Value::String(b.clone()));
        }
        if expects_reply {
            a.insert("expectsDedicatedReply".into(), Value::Bool(true));
        }
        self.actions.push(Value::Object(a));
    }

    /// Appends a message bubble and remembers it for action placement.
    pub fn push_message(&mut self, id: &str, kind: &str, content: Value) {
        self.messages.push(object([
            ("id", Value::String(id.to_string())),
            ("type", Value::String(kind.to_string())),
            ("content", content),
        ]));
        self.last_bubble = Some(id.to_string());
    }

    /// Logs as a live (non-preview) client sees them.
    pub fn visible_logs(&self, preview: bool) -> Vec<&Log> {
        self.logs
            .iter()
            .filter(|l| preview || !l.result_only)
            .collect()
    }

    /// Whether any action asks the client to reply before the flow can go on.
    pub fn awaits_client(&self) -> bool {
        self.actions
            .iter()
            .any(|a| a.get("expectsDedicatedReply") == Some(&Value::Bool(true)))
    }
}

/// A JSON object of owned values (`json!` would deep-copy every interpolated value).
pub fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    let mut o = Map::with_capacity(N);
    for (k, v) in fields {
        o.insert(k.to_string(), v);
    }
    Value::Object(o)
}
