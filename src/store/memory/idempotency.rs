//! The in-memory [`IdempotencyStore`]: stored responses with their expiry, and the claim
//! owners' heartbeats (in one process there is only one owner, but the contract is kept).

use super::super::{AnswerWrite, BoxFuture, IdempotencyStore, StoreError, StoredResponse, ready};
use super::{Inner, MemoryStore, Tick, secs};

impl MemoryStore {
    /// Runs `write` (a session's save or creation) under a lock already held, with its
    /// idempotent answer when given: nothing is written (`Busy`) unless the key still holds the
    /// request's claim, then the answer replaces it. Both or neither.
    pub(super) fn answered_locked(
        g: &mut Inner,
        now: Tick,
        answer: Option<AnswerWrite<'_>>,
        write: impl FnOnce(&mut Inner) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let Some(a) = answer else {
            return write(g);
        };
        let holds = g
            .idempotency
            .get(a.key)
            .is_some_and(|(r, exp)| *exp > now && r == a.claim);
        if !holds {
            return Err(StoreError::Busy);
        }
        write(g)?;
        Self::settle_locked(g, now, a.key, a.claim, Some(a.answer), a.ttl_secs);
        Ok(())
    }

    /// `idempotency_settle` under a lock already held (a turn's save stores its answer so).
    pub(super) fn settle_locked(
        g: &mut Inner,
        now: Tick,
        key: &str,
        claim: &StoredResponse,
        outcome: Option<&StoredResponse>,
        ttl_secs: u64,
    ) -> bool {
        let holds = g
            .idempotency
            .get(key)
            .is_some_and(|(r, exp)| *exp > now && r == claim);
        if holds {
            match outcome {
                Some(r) => {
                    let until = now + secs(ttl_secs.max(1));
                    g.idempotency.insert(key.into(), (r.clone(), until));
                }
                None => {
                    g.idempotency.swap_remove(key);
                }
            }
        }
        holds
    }
}

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

    fn idempotency_settle(
        &self,
        key: &str,
        claim: &StoredResponse,
        outcome: Option<&StoredResponse>,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        ready(self.with(|g, now| Ok(Self::settle_locked(g, now, key, claim, outcome, ttl_secs))))
    }

    fn owner_heartbeat(&self, owner: &str, ttl_ms: u64) -> BoxFuture<'_, Result<(), StoreError>> {
        ready(self.with(|g, now| {
            let until = now + std::time::Duration::from_millis(ttl_ms);
            g.owners.insert(owner.to_string(), until);
            Ok(())
        }))
    }

    fn owner_alive(&self, owner: &str) -> BoxFuture<'_, Result<bool, StoreError>> {
        ready(self.with(|g, now| Ok(g.owners.get(owner).is_some_and(|until| *until > now))))
    }
}
