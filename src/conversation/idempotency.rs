//! Idempotency: a call carrying an idempotency key runs once per key; a retry with the same key
//! and request gets the stored reply, another request under the same key is refused. The key is
//! claimed in the store before the call runs, so concurrent retries cannot all run it. What is
//! stored is the reply exactly as the surface rendered it, so a replay is byte for byte the
//! first answer.

use super::{Conversations, ServiceError};
use crate::store::StoredResponse;

/// Status of a claimed key whose request is still running.
const PENDING: u16 = 0;

/// A rendered reply: a status (HTTP's numbers) and a body, as stored for replays.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: String,
}

impl Reply {
    /// Busy, unavailable and server errors are not remembered: a retry must be able to succeed.
    fn is_transient(&self) -> bool {
        self.status == 409 || self.status >= 500
    }
}

/// The key a caller sent, with a fingerprint of the request it came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    pub key: String,
    pub fingerprint: String,
}

impl IdempotencyKey {
    /// A key and the FNV-1a hash of the request's method, path and body (a key reused with
    /// another request is detected by it).
    pub fn new(key: String, method: &str, path: &str, body: &[u8]) -> Self {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in method
            .bytes()
            .chain(std::iter::once(0))
            .chain(path.bytes())
            .chain(std::iter::once(0))
            .chain(body.iter().copied())
        {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        IdempotencyKey {
            key,
            fingerprint: format!("{h:016x}"),
        }
    }
}

impl Conversations {
    /// Runs `run` once per key within `scope`; `render` turns the core's own refusals
    /// (conflict, still running, store failures) into the surface's reply.
    pub async fn idempotent(
        &self,
        scope: &str,
        key: Option<&IdempotencyKey>,
        run: impl Future<Output = Reply>,
        render: impl Fn(ServiceError) -> Reply,
    ) -> Reply {
        let Some(idem) = key else {
            return run.await;
        };
        let key = format!("{scope}:{}", idem.key);
        let store = &self.stores.idempotency;
        let pending = StoredResponse {
            fingerprint: idem.fingerprint.clone(),
            status: PENDING,
            body: String::new(),
        };
        let claim_ttl = (self.config.turn_lease_ms / 1000).max(60);
        loop {
            match store.idempotency_put(&key, &pending, claim_ttl).await {
                Ok(true) => break,
                Ok(false) => {}
                Err(e) => return render(e.into()),
            }
            match store.idempotency_get(&key).await {
                Ok(Some(stored)) if stored.fingerprint != idem.fingerprint => {
                    return render(ServiceError::IdempotencyConflict);
                }
                Ok(Some(stored)) if stored.status == PENDING => {
                    return render(ServiceError::RequestInProgress);
                }
                Ok(Some(stored)) => {
                    return Reply {
                        status: stored.status,
                        body: stored.body,
                    };
                }
                // Expired between the two calls: claim again.
                Ok(None) => continue,
                Err(e) => return render(e.into()),
            }
        }
        let reply = run.await;
        let outcome = if reply.is_transient() {
            store.idempotency_release(&key).await
        } else {
            let stored = StoredResponse {
                fingerprint: idem.fingerprint.clone(),
                status: reply.status,
                body: reply.body.clone(),
            };
            store
                .idempotency_replace(&key, &stored, self.config.idempotency_ttl_secs)
                .await
        };
        if let Err(e) = outcome {
            tracing::warn!(error = %e, "could not store idempotent response");
        }
        reply
    }
}
