//! Records of the engine and workflow APIs: executions, conversations, workflow runs, the
//! tenant of each flow (and the usage of streamed AI answers) as JSON documents with a
//! retention; newest-first id lists (a conversation's executions, a user's runs of a
//! workflow); single-use wait tokens, taken atomically so a token resumes its pause once; and
//! each conversation's variables, one entry per key, so that executions setting different keys
//! at once never lose each other's. Documents are opaque JSON here: the conversation core owns
//! their shape. An execution's document is handed over typed ([`ExecutionDoc`]): a store of
//! text encodes it, the in-memory store keeps it as it is (a resume reads it back without
//! parsing it).

use std::any::Any;
use std::sync::Arc;

use super::{BoxFuture, StoreError, TimerStore};

/// An execution's record as a turn's save writes it (see `TurnWrites::execution`): the
/// document and, when it pauses, its new wait token (as [`ExecutionStore::execution_put`]),
/// the pause's timer to schedule (a Wait block's: id, due ms) and the ended pause's timer
/// to cancel.
#[derive(Clone, Copy)]
pub struct ExecutionWrite<'a> {
    pub id: &'a str,
    pub doc: &'a Arc<dyn ExecutionDoc>,
    pub token: Option<&'a str>,
    pub ttl_secs: u64,
    pub timer: Option<(&'a str, u64)>,
    pub cancel: Option<&'a str>,
}

impl std::fmt::Debug for ExecutionWrite<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecutionWrite")
            .field("id", &self.id)
            .field("paused", &self.token.is_some())
            .field("timer", &self.timer)
            .field("cancel", &self.cancel)
            .finish()
    }
}

/// An [`ExecutionWrite`] as separate calls: the record and its token, the new timer, then
/// the old one cancelled (the order a crash between them leaves harmless: a timer without
/// its token, or an old timer whose token is gone, fires into a refused resume).
pub async fn write_in_steps<S: ExecutionStore + TimerStore + ?Sized>(
    store: &S,
    w: ExecutionWrite<'_>,
) -> Result<(), StoreError> {
    store
        .execution_put(w.id, w.doc.clone(), w.token, w.ttl_secs)
        .await?;
    if let Some((id, due)) = w.timer {
        store.timer_schedule(id, due).await?;
    }
    if let Some(id) = w.cancel {
        store.timer_cancel(id).await?;
    }
    Ok(())
}

/// An execution's document as the conversation core writes it: encoded as JSON on demand.
pub trait ExecutionDoc: Any + Send + Sync {
    fn json(&self) -> Result<String, StoreError>;
}

/// A document given as its JSON.
impl ExecutionDoc for String {
    fn json(&self) -> Result<String, StoreError> {
        Ok(self.clone())
    }
}

/// An execution's document as read: its JSON (a store of text), or the document as it was
/// written (the in-memory store).
#[derive(Clone)]
pub enum StoredDoc {
    Json(String),
    Typed(Arc<dyn ExecutionDoc>),
}

impl StoredDoc {
    pub fn json(&self) -> Result<String, StoreError> {
        match self {
            StoredDoc::Json(s) => Ok(s.clone()),
            StoredDoc::Typed(d) => d.json(),
        }
    }
}

impl std::fmt::Debug for StoredDoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.json() {
            Ok(json) => f.debug_tuple("StoredDoc").field(&json).finish(),
            Err(e) => f.debug_tuple("StoredDoc").field(&e).finish(),
        }
    }
}

/// Two documents are equal when their JSON is.
impl PartialEq for StoredDoc {
    fn eq(&self, other: &Self) -> bool {
        matches!((self.json(), other.json()), (Ok(a), Ok(b)) if a == b)
    }
}

/// Which kind of document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Doc {
    Execution,
    Conversation,
    Run,
    FlowTenant,
    /// The token usage of a streamed AI answer, until the turn that brings the answer back.
    StreamUsage,
}

impl Doc {
    /// Short tag used in key names.
    pub fn tag(self) -> &'static str {
        match self {
            Doc::Execution => "ex",
            Doc::Conversation => "cv",
            Doc::Run => "run",
            Doc::FlowTenant => "ft",
            Doc::StreamUsage => "su",
        }
    }
}

/// Which kind of id list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Index {
    /// Execution ids of a conversation.
    ConversationExecutions,
    /// Run ids of one user on one workflow.
    UserRuns,
}

impl Index {
    pub fn tag(self) -> &'static str {
        match self {
            Index::ConversationExecutions => "cvx",
            Index::UserRuns => "ur",
        }
    }
}

pub trait ExecutionStore: Send + Sync {
    /// Stores a document, replacing what the id held. `ttl_secs` 0: kept until replaced.
    fn doc_put(
        &self,
        kind: Doc,
        id: &str,
        json: String,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>>;
    fn doc_get(&self, kind: Doc, id: &str) -> BoxFuture<'_, Result<Option<String>, StoreError>>;
    /// Puts `member` first in the list `key` (kept to `max` members), refreshing its TTL.
    fn index_push(
        &self,
        kind: Index,
        key: &str,
        member: &str,
        max: usize,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>>;
    /// The list `key`, newest first (empty when unknown).
    fn index_list(&self, kind: Index, key: &str) -> BoxFuture<'_, Result<Vec<String>, StoreError>>;
    /// Sets the wait token of an execution (replacing the previous one).
    fn token_set(
        &self,
        execution_id: &str,
        token: &str,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>>;
    /// Stores an execution's document and, when it pauses, its new wait token, in one atomic
    /// step (one round trip on Redis): whoever reads the document finds its token set.
    fn execution_put(
        &self,
        id: &str,
        doc: Arc<dyn ExecutionDoc>,
        token: Option<&str>,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>>;
    /// Sets these variables of a conversation (name, JSON value), each on its own, and
    /// refreshes the TTL: concurrent merges of different names all survive.
    fn vars_merge(
        &self,
        conversation_id: &str,
        vars: Vec<(String, String)>,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>>;
    /// The variables of a conversation (empty when unknown), in no particular order.
    fn vars_get(
        &self,
        conversation_id: &str,
    ) -> BoxFuture<'_, Result<Vec<(String, String)>, StoreError>>;
    /// [`Self::token_take`] and the execution's document, in one step (one round trip on
    /// Redis): whether this call took the token, and the document as it is.
    fn token_take_get(
        &self,
        execution_id: &str,
        token: &str,
    ) -> BoxFuture<'_, Result<(bool, Option<StoredDoc>), StoreError>>;
    /// Removes the wait token if it is `token`, atomically; true when this call removed it (so
    /// of two calls with one token, exactly one gets true).
    fn token_take(
        &self,
        execution_id: &str,
        token: &str,
    ) -> BoxFuture<'_, Result<bool, StoreError>>;
}
