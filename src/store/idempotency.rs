//! Idempotency records: the stored response of a request sent with an `Idempotency-Key`, so a
//! retry gets the same answer. The conversation core claims a key before running the request
//! (`put` is first-writer-wins), then replaces the claim with the final response or releases it.

use serde::{Deserialize, Serialize};

use super::{BoxFuture, StoreError};

/// A stored response for an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredResponse {
    /// Hash of the request (method, path, body) the key was first used with.
    pub fingerprint: String,
    pub status: u16,
    pub body: String,
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
}
