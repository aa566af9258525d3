//! Idempotency of the chat calls: a request carrying an `Idempotency-Key` runs once per key;
//! a retry with the same key and body gets the stored response, another body gets 409. The key
//! is claimed in the store before the request runs, so concurrent retries cannot all run it.

use serde_json::Value;

use super::{ChatService, Reply, RequestCtx};
use crate::error::ApiError;
use crate::session::StoredResponse;

/// Status of a claimed key whose request is still running.
const PENDING: u16 = 0;

impl ChatService {
    /// Runs `f` once per Idempotency-Key: a retry with the same key and body gets the stored
    /// response; the same key with another body gets 409 `idempotency_conflict`.
    pub(super) async fn idempotent(
        &self,
        scope: &str,
        ctx: &RequestCtx,
        f: impl Future<Output = Result<Value, ApiError>>,
    ) -> Reply {
        let Some(key) = ctx.idempotency_key.as_ref().map(|k| format!("{scope}:{k}")) else {
            return to_reply(f.await);
        };
        // Claim the key before running, so concurrent retries cannot all run the request.
        let pending = StoredResponse {
            fingerprint: ctx.fingerprint.clone(),
            status: PENDING,
            body: String::new(),
        };
        let claim_ttl = (self.config.turn_lease_ms / 1000).max(60);
        loop {
            match self.store.idempotency_put(&key, &pending, claim_ttl).await {
                Ok(true) => break,
                Ok(false) => {}
                Err(e) => return error_reply(&ApiError::from(e)),
            }
            match self.store.idempotency_get(&key).await {
                Ok(Some(stored)) if stored.fingerprint != ctx.fingerprint => {
                    return error_reply(&ApiError::idempotency_conflict());
                }
                Ok(Some(stored)) if stored.status == PENDING => {
                    return error_reply(&ApiError::request_in_progress());
                }
                Ok(Some(stored)) => {
                    return Reply {
                        status: stored.status,
                        body: stored.body,
                    };
                }
                // Expired between the two calls: claim again.
                Ok(None) => continue,
                Err(e) => return error_reply(&ApiError::from(e)),
            }
        }
        let reply = to_reply(f.await);
        // Transient failures (busy, unavailable, server errors) are not remembered: a retry
        // must be able to succeed.
        let outcome = if reply.status != 409 && reply.status < 500 {
            let stored = StoredResponse {
                fingerprint: ctx.fingerprint.clone(),
                status: reply.status,
                body: reply.body.clone(),
            };
            self.store
                .idempotency_replace(&key, &stored, self.config.idempotency_ttl_secs)
                .await
        } else {
            self.store.idempotency_release(&key).await
        };
        if let Err(e) = outcome {
            tracing::warn!(error = %e, "could not store idempotent response");
        }
        reply
    }
}

fn to_reply(r: Result<Value, ApiError>) -> Reply {
    match r {
        // serde_json's writer, not `Display` (which goes through `fmt` and cost about twice as
        // much under load).
        Ok(v) => {
            // Written into a buffer sized for a typical turn, not grown from empty.
            let mut buf = Vec::with_capacity(2048);
            let body = serde_json::to_writer(&mut buf, &v)
                .map_err(|e| e.to_string())
                .and_then(|()| String::from_utf8(buf).map_err(|e| e.to_string()));
            match body {
                Ok(body) => Reply { status: 200, body },
                Err(e) => error_reply(&ApiError::internal(format!(
                    "response could not be encoded: {e}"
                ))),
            }
        }
        Err(e) => error_reply(&e),
    }
}

fn error_reply(e: &ApiError) -> Reply {
    Reply {
        status: e.status,
        body: e.body().to_string(),
    }
}
