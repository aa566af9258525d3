//! Session, idempotency and result storage behind one small trait, [`Store`].
//!
//! The in-memory store ([`memory::MemoryStore`]) is the embedded default and the test double;
//! the Redis store shares the same contract (and the same contract test suite). Sessions are
//! opaque bytes here: the service layer serializes [`crate::engine::SessionState`].
//!
//! A turn is `begin_turn` (load + take the session's turn lease, so two concurrent turns on one
//! session cannot both run) then `commit_turn` / `finish_turn` (version-checked save that also
//! releases the lease) or `abort_turn`. Every session key carries the inactivity TTL, refreshed
//! on each turn; finished sessions leave only a short-lived "finished" marker, and expired ones
//! a small marker for a grace period, so the API can tell finished, expired and unknown apart.

pub mod flows;
pub mod memory;
pub mod redis;
pub mod results;

use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};

pub use results::{ResultRecord, ResultUpdate, ResultsPage};

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
    /// The backing store cannot be reached or timed out.
    #[error("session store unavailable: {0}")]
    Unavailable(String),
    #[error("session store error: {0}")]
    Other(String),
}

/// A loaded session, leased for one turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leased {
    pub data: Vec<u8>,
    pub version: u64,
    pub lease: String,
}

/// What `begin_turn` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loaded {
    Active(Leased),
    Finished,
    Expired,
    Missing,
}

/// A stored response for an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredResponse {
    /// Hash of the request (method, path, body) the key was first used with.
    pub fingerprint: String,
    pub status: u16,
    pub body: String,
}

/// Storage for sessions, idempotency records and results.
pub trait Store: Send + Sync {
    /// Creates a new session (version 1) with an inactivity TTL.
    fn create(
        &self,
        id: &str,
        data: Vec<u8>,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>>;
    /// Creates a session (as `create`), then records the result update of the turn that
    /// created it (as `record_result`; a failure of that is logged, since the session exists).
    /// Nothing is recorded when the session could not be created. Stores that can do both in
    /// one round trip override this.
    fn create_with_result<'a>(
        &'a self,
        id: &'a str,
        data: Vec<u8>,
        ttl_secs: u64,
        result: Option<(&'a ResultUpdate, u64)>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        create_in_steps(self, id, data, ttl_secs, result)
    }
    /// Records a session that finished in the very turn that created it.
    fn create_finished(&self, id: &str) -> BoxFuture<'_, Result<(), StoreError>>;
    /// Loads a session and takes its turn lease for `lease_ms`. `Err(Busy)` if leased.
    fn begin_turn(&self, id: &str, lease_ms: u64) -> BoxFuture<'_, Result<Loaded, StoreError>>;
    /// Saves the new state if the version still matches, releases the lease, refreshes the TTL.
    fn commit_turn(
        &self,
        id: &str,
        data: Vec<u8>,
        leased: &Leased,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>>;
    /// Replaces the session by a "finished" marker (version-checked), releasing the lease.
    fn finish_turn(&self, id: &str, leased: &Leased) -> BoxFuture<'_, Result<(), StoreError>>;
    /// Saves a turn and its result update: `data` Some commits the new state (as
    /// `commit_turn`), None finishes the session (as `finish_turn`); then the result update is
    /// recorded. Stores that can do both atomically in one round trip override this.
    fn save_turn<'a>(
        &'a self,
        id: &'a str,
        data: Option<Vec<u8>>,
        leased: &'a Leased,
        ttl_secs: u64,
        result: Option<(&'a ResultUpdate, u64)>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        save_turn_in_steps(self, id, data, leased, ttl_secs, result)
    }
    /// Reads an active session without taking its lease (None when it is not active): for
    /// side requests like client logs that must not collide with a running turn.
    fn peek(&self, id: &str) -> BoxFuture<'_, Result<Option<Vec<u8>>, StoreError>>;
    /// Releases the lease without changing the session.
    fn abort_turn(&self, id: &str, leased: &Leased) -> BoxFuture<'_, Result<(), StoreError>>;
    /// Reads a stored response for an idempotency key (scoped by the caller).
    fn idempotency_get(
        &self,
        key: &str,
    ) -> BoxFuture<'_, Result<Option<StoredResponse>, StoreError>>;
    /// Stores a response unless the key already exists (first writer wins). Returns whether
    /// this call stored it (used to claim a key before running the request).
    fn idempotency_put(
        &self,
        key: &str,
        response: &StoredResponse,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<bool, StoreError>>;
    /// Stores a response, replacing what the key holds (the final response of a claimed key).
    fn idempotency_replace(
        &self,
        key: &str,
        response: &StoredResponse,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>>;
    /// Forgets a key (a claimed request failed transiently: a retry must be able to run).
    fn idempotency_release(&self, key: &str) -> BoxFuture<'_, Result<(), StoreError>>;
    /// Applies a result update (answers, variables, logs, completion).
    fn record_result(
        &self,
        update: &ResultUpdate,
        retention_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>>;
    /// Lists a flow's results, newest first, after an opaque cursor.
    fn list_results(
        &self,
        flow_id: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> BoxFuture<'_, Result<ResultsPage, StoreError>>;
    /// Fetches one result (for remember-user resumes).
    fn get_result(
        &self,
        flow_id: &str,
        result_id: &str,
    ) -> BoxFuture<'_, Result<Option<ResultRecord>, StoreError>>;
    /// Checks the backing store is reachable.
    fn health(&self) -> BoxFuture<'_, Result<(), StoreError>>;
    /// A short name for logs and /readyz ("memory", "redis", "redis-cluster").
    fn kind(&self) -> &'static str;
}

/// [`Store::save_turn`] as separate calls: `commit_turn` or `finish_turn`, then
/// `record_result`. The default implementation, and the fallback of stores that can only do it
/// atomically in some configurations.
fn save_turn_in_steps<'a, S: Store + ?Sized>(
    store: &'a S,
    id: &'a str,
    data: Option<Vec<u8>>,
    leased: &'a Leased,
    ttl_secs: u64,
    result: Option<(&'a ResultUpdate, u64)>,
) -> BoxFuture<'a, Result<(), StoreError>> {
    Box::pin(async move {
        match data {
            Some(d) => store.commit_turn(id, d, leased, ttl_secs).await?,
            None => store.finish_turn(id, leased).await?,
        }
        if let Some((update, retention)) = result {
            log_lost_result(store.record_result(update, retention).await, update);
        }
        Ok(())
    })
}

/// [`Store::create_with_result`] as separate calls: `create`, then `record_result`.
fn create_in_steps<'a, S: Store + ?Sized>(
    store: &'a S,
    id: &'a str,
    data: Vec<u8>,
    ttl_secs: u64,
    result: Option<(&'a ResultUpdate, u64)>,
) -> BoxFuture<'a, Result<(), StoreError>> {
    Box::pin(async move {
        store.create(id, data, ttl_secs).await?;
        if let Some((update, retention)) = result {
            log_lost_result(store.record_result(update, retention).await, update);
        }
        Ok(())
    })
}

/// The result update that follows a saved turn: failing now would make the client retry a
/// turn that happened, so a lost update is logged instead of returned.
fn log_lost_result(recorded: Result<(), StoreError>, update: &ResultUpdate) {
    if let Err(e) = recorded {
        tracing::warn!(error = %e, result = %update.result_id, "turn saved but its result update failed");
    }
}
