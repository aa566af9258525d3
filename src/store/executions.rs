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

use super::{BoxFuture, StoreError};

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
