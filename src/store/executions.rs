//! Records of the engine and workflow APIs: executions, conversations, workflow runs, the
//! tenant of each flow (and the usage of streamed AI answers) as JSON documents with a
//! retention; newest-first id lists (a conversation's executions, a user's runs of a
//! workflow); single-use wait tokens, taken atomically so a token resumes its pause once; and
//! each conversation's variables, one entry per key, so that executions setting different keys
//! at once never lose each other's. Documents are opaque JSON here: the conversation core owns
//! their shape.

use super::{BoxFuture, StoreError};

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
        json: String,
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
    ) -> BoxFuture<'_, Result<(bool, Option<String>), StoreError>>;
    /// Removes the wait token if it is `token`, atomically; true when this call removed it (so
    /// of two calls with one token, exactly one gets true).
    fn token_take(
        &self,
        execution_id: &str,
        token: &str,
    ) -> BoxFuture<'_, Result<bool, StoreError>>;
}
