//! Records of the engine and workflow APIs: executions, conversations, workflow runs, the
//! tenant of each flow (and the usage of streamed AI answers) as JSON documents with a
//! retention; newest-first id lists (a conversation's executions, a user's runs of a
//! workflow); and single-use wait tokens, taken atomically so a token resumes its pause once. Documents are opaque JSON here: the
//! conversation core owns their shape.

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
    /// Removes the wait token if it is `token`, atomically; true when this call removed it (so
    /// of two calls with one token, exactly one gets true).
    fn token_take(
        &self,
        execution_id: &str,
        token: &str,
    ) -> BoxFuture<'_, Result<bool, StoreError>>;
}
