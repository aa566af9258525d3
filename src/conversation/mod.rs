//! The conversation core: every surface (the Typebot chat API, and later the engine API,
//! triggers, the web player, the terminal client, background workers) starts and resumes
//! conversations through [`Conversations`], with typed inputs and a typed [`TurnResult`] or
//! [`ServiceError`]. It knows nothing of HTTP or of any wire format.
//!
//! What it owns, once: resolving the bot (one revision lookup per turn), the origin check,
//! leasing the session, decoding and encoding its state, running the engine, saving the session
//! with its result update, remember-user results, client logs, and idempotency (a key's first
//! response is stored and replayed as the surface rendered it).
//!
//! It must not import `api`; below it are `registry`, `engine` and `store`.

pub mod claims;
mod error;
pub mod executions;
mod idempotency;
pub mod metrics;
mod origin;
mod results;
mod resume;
mod start;
mod stream;
mod transcript;
pub mod triggers;
mod uploads;
pub mod workflows;

use std::sync::Arc;

use serde_json::{Map, Value};

pub use error::ServiceError;
pub use idempotency::{Claim, IdempotencyKey, Reply};
pub use metrics::Surface;
pub use stream::UsageDocs;
pub use uploads::UploadSlot;

use crate::engine::{Engine, Message, StartFrom, TextFormat, TurnOutput, TurnStatus};
use crate::flow::CompiledFlow;
use crate::registry::Registry;
use crate::store::Stores;

/// Knobs of the conversation core (from [`crate::config::Config`]).
#[derive(Debug, Clone)]
pub struct ConversationConfig {
    pub session_ttl_secs: u64,
    pub idempotency_ttl_secs: u64,
    pub results_retention_secs: u64,
    pub turn_lease_ms: u64,
    /// This server's own public origins (its pages may be embedded by an allowed origin).
    pub viewer_urls: Vec<String>,
}

impl Default for ConversationConfig {
    fn default() -> Self {
        Self {
            session_ttl_secs: 86_400,
            idempotency_ttl_secs: 86_400,
            results_retention_secs: 30 * 86_400,
            turn_lease_ms: 30_000,
            viewer_urls: Vec::new(),
        }
    }
}

/// Starts and resumes conversations. Built once at start-up and shared.
pub struct Conversations {
    pub engine: Arc<Engine>,
    pub registry: Arc<Registry>,
    pub stores: Stores,
    pub config: ConversationConfig,
    /// This process's idempotency claims (see `claims.rs`).
    pub claims: claims::Claims,
}

/// Who is calling, as far as the bot's access rules care.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    /// The browser origin the call came from (None: server to server).
    pub origin: Option<String>,
    /// The origin of the page embedding this server's own page, when it says so.
    pub iframe_referrer_origin: Option<String>,
    /// The surface the call came through (for the turn metrics).
    pub surface: Surface,
}

impl Caller {
    /// A server-to-server caller of this surface.
    pub fn of(surface: Surface) -> Self {
        Caller {
            surface,
            ..Caller::default()
        }
    }
}

/// Which bot a conversation starts on.
#[derive(Debug, Clone)]
pub enum FlowChoice {
    /// A published bot, by public id (or, failing that, by id).
    Published(String),
    /// A preview: the published bot with this id, or the inline unpublished bot given (its id
    /// defaulting to this one). Previews keep no results.
    Preview { id: String, inline: Option<Value> },
}

/// How a conversation starts.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// A first reply, for bots that start with an input.
    pub message: Option<Message>,
    /// Values for declared variables, by name.
    pub prefilled: Map<String, Value>,
    /// A result to continue (remember-user), when the bot allows it.
    pub result_id: Option<String>,
    /// Whether the client streams AI answers itself.
    pub stream: bool,
    /// Register the session without running the bot (chat platforms that need an id first).
    pub only_registering: bool,
    /// Preview only: start from a group or an event.
    pub start_from: Option<StartFrom>,
    pub format: TextFormat,
    /// Preview only: the session id to use (else a new one).
    pub session_id: Option<String>,
}

/// What a start or a resume produced.
#[derive(Debug)]
pub struct TurnResult {
    pub session_id: String,
    /// The session's result, while the conversation goes on (live sessions only).
    pub result_id: Option<String>,
    /// The bot the session runs on (its root flow).
    pub flow: Arc<CompiledFlow>,
    /// When that revision was published (start turns of published bots).
    pub published_at: Option<String>,
    /// Messages, input, client-side actions, logs, progress, status.
    pub output: TurnOutput,
    /// A preview session (logs shown in full, nothing recorded).
    pub preview: bool,
    /// A registered-only start: the bot did not run yet.
    pub registered_only: bool,
}

impl TurnResult {
    pub fn status(&self) -> TurnStatus {
        self.output.status
    }
    /// A live (non-preview) turn that ran the bot.
    pub fn is_live(&self) -> bool {
        !self.preview && !self.registered_only
    }
}

/// Whether a session waits for something after this turn (else the conversation is over).
pub fn is_waiting(out: &TurnOutput) -> bool {
    matches!(
        out.status,
        TurnStatus::WaitingInput | TurnStatus::WaitingAction | TurnStatus::WaitingTime
    )
}

/// A session's state as stored (a failure is an internal error: the state is ours).
pub(crate) fn encode(state: &crate::engine::SessionState) -> Result<Vec<u8>, ServiceError> {
    state
        .encode()
        .map_err(|e| ServiceError::Internal(format!("session could not be encoded: {e}")))
}

impl Conversations {
    fn ttl(&self, flow: &CompiledFlow) -> u64 {
        flow.settings
            .session_ttl_seconds
            .unwrap_or(self.config.session_ttl_secs)
            .max(1)
    }
}
