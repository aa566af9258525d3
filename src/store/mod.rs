//! Storage, split by capability: sessions ([`SessionStore`]), idempotency records
//! ([`IdempotencyStore`]), results ([`ResultStore`]) and published flows ([`FlowStore`]), each a
//! small trait with an in-memory implementation ([`memory`], the embedded default and the test
//! double) and a Redis one ([`redis`], single node or cluster). One backend implements them all;
//! [`Stores`] hands each capability to whoever needs it. The same contract test suite
//! (`tests/store_contract`) runs on every implementation.
//!
//! Stores hold bytes and plain records: sessions are opaque here (the conversation core
//! serializes the engine's state), and nothing in this module knows HTTP, Typebot's wire format
//! or how a turn runs. It must not import `engine`, `conversation` or `api`.

pub mod credentials;
pub mod events;
pub mod executions;
pub mod flows;
pub mod idempotency;
pub mod memory;
pub mod metered;
pub mod redis;
pub mod results;
pub mod rooms;
pub mod sessions;
pub mod timers;
pub mod transcripts;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub use credentials::{CredentialStore, StoredCredential};
pub use events::EventStore;
pub use executions::{Doc, ExecutionDoc, ExecutionStore, ExecutionWrite, Index, StoredDoc};
pub use flows::{FlowStore, Published};
pub use idempotency::{BESIDE, IdempotencyStore, StoredResponse, claim_token};
pub use results::{AnswerRecord, ResultRecord, ResultStore, ResultUpdate, ResultsPage};
pub use sessions::{AnswerWrite, Leased, Loaded, SessionStore, TurnWrites};
pub use timers::{TimerStats, TimerStore};
pub use transcripts::{Transcript, TranscriptAppend, TranscriptMeta, TranscriptStore};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An already completed future: how the in-memory stores answer.
fn ready<T: Send + 'static>(v: T) -> BoxFuture<'static, T> {
    Box::pin(std::future::ready(v))
}

/// How long the "finished" marker of a completed session is kept.
pub const FINISHED_MARKER_SECS: u64 = 3600;
/// How long after expiry a session is still reported as "expired" rather than unknown.
pub const EXPIRED_GRACE_SECS: u64 = 86_400;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// Another turn holds the session (or changed it since it was loaded).
    #[error("the session is busy with another request")]
    Busy,
    /// A write refused because it would break a uniqueness rule (a public id that already
    /// belongs to another flow).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The backing store cannot be reached or timed out.
    #[error("session store unavailable: {0}")]
    Unavailable(String),
    #[error("session store error: {0}")]
    Other(String),
}

/// Every capability of one backend, as trait objects: built once at start-up.
#[derive(Clone)]
pub struct Stores {
    pub sessions: Arc<dyn SessionStore>,
    pub idempotency: Arc<dyn IdempotencyStore>,
    pub results: Arc<dyn ResultStore>,
    pub flows: Arc<dyn FlowStore>,
    /// Integration credentials, secrets sealed by the credentials registry.
    pub credentials: Arc<dyn CredentialStore>,
    /// Engine and workflow API records (executions, conversations, runs, wait tokens).
    pub executions: Arc<dyn ExecutionStore>,
    pub transcripts: Arc<dyn TranscriptStore>,
    pub timers: Arc<dyn TimerStore>,
    /// Triggers, the queue of accepted events and their log.
    pub events: Arc<dyn EventStore>,
}

impl Stores {
    /// The capabilities of a backend that implements them all.
    pub fn of<S>(backend: Arc<S>) -> Self
    where
        S: SessionStore
            + IdempotencyStore
            + ResultStore
            + FlowStore
            + CredentialStore
            + ExecutionStore
            + TranscriptStore
            + TimerStore
            + EventStore
            + 'static,
    {
        Stores {
            sessions: backend.clone(),
            idempotency: backend.clone(),
            results: backend.clone(),
            flows: backend.clone(),
            credentials: backend.clone(),
            executions: backend.clone(),
            transcripts: backend.clone(),
            timers: backend.clone(),
            events: backend,
        }
    }

    /// The embedded in-memory backend.
    pub fn memory() -> Self {
        Self::memory_with(memory::DEFAULT_MAX_RESULTS)
    }

    /// The embedded in-memory backend keeping at most `max_results` results and as many
    /// transcripts.
    pub fn memory_with(max_results: usize) -> Self {
        let backend = Arc::new(memory::MemoryStore::new().with_max_results(max_results));
        let records = backend.records();
        Stores {
            sessions: backend.clone(),
            idempotency: backend.clone(),
            results: backend,
            flows: Arc::new(memory::MemoryFlowStore::default()),
            credentials: Arc::new(memory::MemoryCredentialStore::default()),
            executions: records.clone(),
            transcripts: records.clone(),
            timers: records.clone(),
            events: Arc::new(memory::MemoryEvents::new(records)),
        }
    }
}
