//! The in-memory [`IdempotencyStore`]: stored responses with their expiry.

use super::super::{BoxFuture, IdempotencyStore, StoreError, StoredResponse, ready};
use super::{MemoryStore, secs};

impl IdempotencyStore for MemoryStore {
    fn idempotency_get(
        &self,
        key: &str,
    ) -> BoxFuture<'_, Result<Option<StoredResponse>, StoreError>> {
        ready(self.with(|g, now| {
            Ok(g.idempotency
                .get(key)
                .filter(|(_, exp)| *exp > now)
                .map(|(r, _)| r.clone()))
        }))
    }

    fn idempotency_put(
        &self,
        key: &str,
        response: &StoredResponse,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        let response = response.clone();
        ready(self.with(|g, now| {
            let fresh = ttl_secs > 0 && g.idempotency.get(key).is_none_or(|(_, exp)| *exp <= now);
            if fresh {
                g.idempotency
                    .insert(key.into(), (response, now + secs(ttl_secs)));
            }
            Ok(fresh)
        }))
    }

    fn idempotency_replace(
        &self,
        key: &str,
        response: &StoredResponse,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let response = response.clone();
        ready(self.with(|g, now| {
            g.idempotency
                .insert(key.into(), (response, now + secs(ttl_secs)));
            Ok(())
        }))
    }

    fn idempotency_release(&self, key: &str) -> BoxFuture<'_, Result<(), StoreError>> {
        ready(self.with(|g, _| {
            g.idempotency.swap_remove(key);
            Ok(())
        }))
    }
}
