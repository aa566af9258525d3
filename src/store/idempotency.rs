//! Idempotency records: the stored response of a request sent with an `Idempotency-Key`, so a
//! retry gets the same answer. The conversation core claims a key before running the request
//! (`put` is first-writer-wins), then replaces the claim with the final response or releases it
//! (`settle`: only while the key still holds that claim). A claim names its owner, a process that
//! keeps a short-lived liveness record (`owner_heartbeat`): a retry that finds the claim of a
//! dead owner takes it over at once (`settle` again) instead of waiting for it to expire.
//!
//! A start under a claim names its new session after the claim's token. Where the record is
//! not in the session's slot (a Redis Cluster), the creation also writes the answer beside
//! the session, at [`BESIDE`]`<session id>`: a retry taking over the claim of a dead owner
//! first marks that key (`put`), so the start can no longer be created, or finds the start's
//! answer there and settles the record with it.

use serde::{Deserialize, Serialize};

use super::{BoxFuture, StoreError};

/// The scope of a start's answer kept in its new session's slot (`beside:<session id>`, its
/// TTL the record's): see the module's documentation.
pub const BESIDE: &str = "beside:";

/// A stored response for an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredResponse {
    /// Hash of the request (method, path, body) the key was first used with.
    pub fingerprint: String,
    pub status: u16,
    pub body: String,
}

/// The token of a claim record (status 0, its body `<owner> <token>`), None for any other
/// record.
pub fn claim_token(claim: &StoredResponse) -> Option<&str> {
    let (_, token) = claim.body.split_once(' ').filter(|_| claim.status == 0)?;
    Some(token)
}

pub trait IdempotencyStore: Send + Sync {
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
    /// Compare-and-set: if the key still holds exactly `claim` (and has not expired), replaces
    /// it by `outcome` for `ttl_secs` (the final response, or another request's claim taking it
    /// over), or forgets it when `outcome` is None. Returns whether the key held `claim`;
    /// nothing is written when it did not.
    fn idempotency_settle(
        &self,
        key: &str,
        claim: &StoredResponse,
        outcome: Option<&StoredResponse>,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<bool, StoreError>>;
    /// Records that the claim owner `owner` (a server process) is alive for `ttl_ms`.
    fn owner_heartbeat(&self, owner: &str, ttl_ms: u64) -> BoxFuture<'_, Result<(), StoreError>>;
    /// Whether `owner`'s last heartbeat still holds.
    fn owner_alive(&self, owner: &str) -> BoxFuture<'_, Result<bool, StoreError>>;
}
