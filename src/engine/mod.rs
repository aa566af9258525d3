//! The engine: runs a compiled flow turn by turn.
//!
//! [`Engine::start`] creates a session state and walks from the start (or a given group or
//! event) to the first input or the end; [`Engine::resume`] applies a reply to the block the
//! session waits on and walks on. A per-turn step budget stops cyclic flows. The engine never
//! does storage I/O: callers load and save [`SessionState`]s.
//!
//! Inside, imports run one way: `walker.rs` (the walk loop) and `reply.rs` (continueChat) call
//! [`blocks`], which mutate the turn context ([`context::Turn`]) and use [`turn`] and [`state`];
//! nothing below imports the walker or the reply handling. Evaluation of templates, conditions
//! and code comes from [`crate::eval`]; the engine imports nothing above it.

pub mod ai_services;
pub mod blocks;
pub mod context;
pub mod flows;
pub mod presentation;
mod reply;
pub mod state;
pub mod turn;
mod walker;

use std::sync::Arc;

use serde_json::{Map, Value};

pub use ai_services::{
    AiServices, Credential, CredentialSource, ModelPrice, StreamedUsage, TokenUsage,
};
pub use blocks::integrations::ai::stream::{StreamError, StreamPlan, TextStream};
pub use flows::{FlowSource, MemoryFlows};
pub use state::SessionState;
pub use turn::{Log, TurnAnswer, TurnOutput, TurnStatus};

use crate::eval::js::JsLimits;
use crate::flow::CompiledFlow;
use crate::net::SafeClient;
use context::Turn;

/// A message sent by the user or the client.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Text {
        text: String,
        reply_id: Option<String>,
        attached_file_urls: Vec<String>,
    },
    Audio {
        url: String,
    },
    Command {
        command: String,
    },
}

impl Message {
    pub fn text(t: impl Into<String>) -> Self {
        Message::Text {
            text: t.into(),
            reply_id: None,
            attached_file_urls: Vec::new(),
        }
    }
    /// The text a reply carries (audio: its URL; commands: none).
    pub fn reply_text(&self) -> Option<&str> {
        match self {
            Message::Text { text, .. } => Some(text),
            Message::Audio { url } => Some(url),
            Message::Command { .. } => None,
        }
    }
}

/// Output format of text bubbles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextFormat {
    #[default]
    RichText,
    Markdown,
}

/// Where a preview starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartFrom {
    Group(String),
    Event(String),
}

/// What a session is started with.
#[derive(Debug, Clone, Default)]
pub struct StartParams {
    pub message: Option<Message>,
    pub prefilled: Map<String, Value>,
    pub result_id: Option<String>,
    pub stream: bool,
    pub preview: bool,
    pub only_registering: bool,
    pub start_from: Option<StartFrom>,
    pub format: TextFormat,
}

/// Limits and knobs of the engine.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Blocks executed per turn before the turn is stopped (cycle guard).
    pub step_budget: u32,
    pub js: JsLimits,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            step_budget: 1000,
            js: JsLimits::default(),
        }
    }
}

/// Why a turn could not run at all (a turn that runs but hits a problem logs it instead).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    #[error("the flow revision this session runs on is no longer available")]
    FlowGone,
    #[error("Start group doesn't exist")]
    StartGroupMissing,
    #[error("Start event doesn't exist")]
    StartEventMissing,
    #[error("Command event not found")]
    CommandNotFound,
    #[error("Provided response is not valid JSON")]
    InvalidClientResponse,
    #[error("Missing credentialsId")]
    MissingCredentials,
    #[error("Credentials not found")]
    CredentialsNotFound,
    #[error("the session has already finished")]
    Finished,
    /// Flows could not be read (the store is unreachable): the turn may be retried.
    #[error("flows unavailable: {0}")]
    FlowsUnavailable(String),
}

/// Runs flows. Cheap to share (`Arc<Engine>`); holds no per-session data.
pub struct Engine {
    pub flows: Arc<dyn FlowSource>,
    pub http: Option<SafeClient>,
    pub config: EngineConfig,
    /// Credentials and prices for AI and email blocks (none: they log what is missing).
    pub ai: AiServices,
}

impl Engine {
    pub fn new(flows: Arc<dyn FlowSource>, http: Option<SafeClient>, config: EngineConfig) -> Self {
        Self {
            flows,
            http,
            config,
            ai: AiServices::default(),
        }
    }

    /// The engine with credentials and prices for AI and email blocks.
    pub fn with_ai(mut self, ai: AiServices) -> Self {
        self.ai = ai;
        self
    }

    /// Starts a session on `flow`. Returns the new state and what the first turn produced.
    pub async fn start(
        &self,
        flow: Arc<CompiledFlow>,
        params: StartParams,
        result_id: String,
    ) -> Result<(SessionState, TurnOutput), EngineError> {
        let mut turn = Turn::new_session(self, flow, &params, result_id);
        turn.start(params).await?;
        Ok(turn.finish())
    }

    /// Applies `message` to a session and walks on. `state` is updated in place.
    pub async fn resume(
        &self,
        state: SessionState,
        message: Option<Message>,
        format: TextFormat,
    ) -> Result<(SessionState, TurnOutput), EngineError> {
        let root = &state.root().flow;
        let root = self
            .flows
            .revision(&root.id, &root.rev)
            .await?
            .ok_or(EngineError::FlowGone)?;
        self.resume_on(state, root, message, format).await
    }

    /// The AI call of the streaming block a session waits on (the streamMessage endpoint).
    pub async fn stream_plan(
        &self,
        state: SessionState,
        root: Arc<CompiledFlow>,
    ) -> Result<StreamPlan, StreamError> {
        blocks::integrations::ai::stream::plan(self, state, root).await
    }

    /// Sends a planned AI call with streaming on; its text deltas as they arrive. The usage
    /// the provider reports is recorded (priced) before the stream ends.
    pub async fn open_stream(&self, plan: StreamPlan) -> Result<TextStream, StreamError> {
        let http = self
            .http
            .as_ref()
            .ok_or_else(|| StreamError::Upstream("outbound HTTP is not available".into()))?;
        blocks::integrations::ai::stream::open(self, http, plan).await
    }

    /// Sets declared variables of a live session by name (as a start's prefilled variables
    /// do), without running anything: a trigger event's contact fields on a session that is
    /// already waiting. The values are data, never evaluated.
    pub async fn prefill_live(
        &self,
        state: SessionState,
        root: Arc<CompiledFlow>,
        values: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<SessionState, EngineError> {
        let mut turn = Turn::load(self, state, root, TextFormat::default()).await?;
        turn.prefill(values);
        Ok(turn.state)
    }

    /// [`Engine::resume`] with the compiled revision of the session's root flow already
    /// resolved by the caller (it is not looked up again).
    pub async fn resume_on(
        &self,
        state: SessionState,
        root: Arc<CompiledFlow>,
        message: Option<Message>,
        format: TextFormat,
    ) -> Result<(SessionState, TurnOutput), EngineError> {
        let mut turn = Turn::load(self, state, root, format).await?;
        turn.continue_with(message).await?;
        Ok(turn.finish())
    }
}
