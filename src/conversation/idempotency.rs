//! Idempotency: a call carrying an idempotency key runs once per key; a retry with the same key
//! and request gets the stored reply, another request under the same key is refused. The key is
//! claimed in the store before the call runs, so concurrent retries cannot all run it. What is
//! stored is the reply exactly as the surface rendered it, so a replay is byte for byte the
//! first answer. A turn's reply is stored by the turn's own save (see [`Claim`]); a claim whose
//! request is over (its process died, or the store failed while settling it) is taken over by
//! the next retry instead of blocking it (see `claims.rs`). A start names its new session
//! after its claim's token: where the store cannot write the answer with the session (a Redis
//! Cluster), it keeps a copy beside the session, which a retry taking the claim over finds
//! ([`crate::store::BESIDE`]).

use super::{Conversations, ServiceError};
use crate::store::{AnswerWrite, BESIDE, StoreError, StoredResponse, claim_token};

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

/// A claimed key, as the request that holds it sees it: a turn's save stores its answer under
/// it, atomically ([`crate::store::AnswerWrite`]).
#[derive(Debug, Clone)]
pub struct Claim {
    /// The scoped key.
    pub(super) key: String,
    /// The claim record the key holds.
    pub(super) pending: StoredResponse,
    /// How long the answer is kept (s).
    pub(super) ttl_secs: u64,
}

impl Claim {
    /// The answer a save stores for this reply (None: a transient reply, not remembered).
    pub(super) fn answer(&self, reply: &Reply) -> Option<StoredResponse> {
        (!reply.is_transient()).then(|| StoredResponse {
            fingerprint: self.pending.fingerprint.clone(),
            status: reply.status,
            body: reply.body.clone(),
        })
    }

    /// The id a start under this claim gives its new session: the claim's token (made by
    /// `crate::ids::new_id`, so unguessable and in the session ids' format). A retry that
    /// takes the claim over knows it, and so where the start's answer is kept beside it.
    pub(super) fn session_id(&self) -> Option<String> {
        claim_token(&self.pending).map(str::to_string)
    }

    /// What a save writes to store `answer` under this claim.
    pub(super) fn write<'a>(&'a self, answer: &'a StoredResponse) -> AnswerWrite<'a> {
        AnswerWrite {
            key: &self.key,
            claim: &self.pending,
            answer,
            ttl_secs: self.ttl_secs,
        }
    }
}

/// The answer a save stores under `claim` for a rendered reply (None: no claim, no reply, or
/// a transient one).
pub(super) fn answer_of<'a>(
    claim: Option<&'a Claim>,
    reply: Option<&Reply>,
) -> Option<(&'a Claim, StoredResponse)> {
    let claim = claim?;
    Some((claim, claim.answer(reply?)?))
}

/// How many times a request tries to claim a key that keeps changing under it.
const CLAIM_ATTEMPTS: usize = 4;

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
        self.idempotent_with(scope, key, |_| run, render).await
    }

    /// `idempotent`, with the claim given to `run` (None without a key): a turn run with it
    /// stores its answer with its save, so it is never applied without its answer stored.
    /// Then the claim is settled (only while the key still holds it): replaced by the reply,
    /// or forgotten when the reply is transient. A key claimed by a request whose process died
    /// or that is over is taken over at once.
    pub async fn idempotent_with<F: Future<Output = Reply>>(
        &self,
        scope: &str,
        key: Option<&IdempotencyKey>,
        run: impl FnOnce(Option<Claim>) -> F,
        render: impl Fn(ServiceError) -> Reply,
    ) -> Reply {
        let Some(idem) = key else {
            return run(None).await;
        };
        let key = format!("{scope}:{}", idem.key);
        let (body, running) = self.claims.start();
        let claim = Claim {
            key,
            pending: StoredResponse {
                fingerprint: idem.fingerprint.clone(),
                status: PENDING,
                body,
            },
            ttl_secs: self.config.idempotency_ttl_secs,
        };
        if let Err(refused) = self.claim(idem, &claim).await {
            return refused.unwrap_or_else(&render);
        }
        let reply = run(Some(claim.clone())).await;
        let answer = claim.answer(&reply);
        let store = &self.stores.idempotency;
        let (key, pending) = (&claim.key, &claim.pending);
        let settled = store
            .idempotency_settle(key, pending, answer.as_ref(), claim.ttl_secs)
            .await;
        if let Err(e) = settled {
            tracing::warn!(error = %e, "could not settle an idempotency claim: retried later");
            let (k, p) = (key.clone(), pending.clone());
            self.claims.retry_later((k, p, answer, claim.ttl_secs));
        }
        drop(running);
        reply
    }

    /// Claims the key for this request: Ok, or the reply (stored, or refused) to answer.
    async fn claim(
        &self,
        idem: &IdempotencyKey,
        claim: &Claim,
    ) -> Result<(), Result<Reply, ServiceError>> {
        let store = &self.stores.idempotency;
        let (key, pending) = (&claim.key, &claim.pending);
        let claim_ttl = (self.config.turn_lease_ms / 1000).max(60);
        for _ in 0..CLAIM_ATTEMPTS {
            match store.idempotency_put(key, pending, claim_ttl).await {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(e) => {
                    // The claim may have been written all the same: forget it once the store
                    // answers again (a retry meanwhile sees it is not running).
                    let u = (key.clone(), pending.clone(), None, claim_ttl);
                    self.claims.retry_later(u);
                    return Err(Err(e.into()));
                }
            }
            let stored = match store.idempotency_get(key).await {
                Ok(Some(stored)) => stored,
                // Expired between the two calls: claim again.
                Ok(None) => continue,
                Err(e) => return Err(Err(e.into())),
            };
            if stored.fingerprint != idem.fingerprint {
                return Err(Err(ServiceError::IdempotencyConflict));
            }
            if stored.status != PENDING {
                return Err(Ok(Reply {
                    status: stored.status,
                    body: stored.body,
                }));
            }
            match self.claims.is_stale(&**store, &stored).await {
                Ok(false) => return Err(Err(ServiceError::RequestInProgress)),
                Err(e) => return Err(Err(e.into())),
                Ok(true) => {}
            }
            // The request is over: if it was a start that kept its answer beside its session,
            // that answer is the key's.
            match self.taken_beside(&stored, claim).await {
                Ok(None) => {}
                Ok(Some(answer)) => match store
                    .idempotency_settle(key, &stored, Some(&answer), claim.ttl_secs)
                    .await
                {
                    Ok(true) => {
                        let (status, body) = (answer.status, answer.body);
                        return Err(Ok(Reply { status, body }));
                    }
                    Ok(false) => continue,
                    Err(e) => return Err(Err(e.into())),
                },
                Err(e) => return Err(Err(e.into())),
            }
            // Taken over from a request that is over; another retry may win the race.
            match store
                .idempotency_settle(key, &stored, Some(pending), claim_ttl)
                .await
            {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(e) => return Err(Err(e.into())),
            }
        }
        Err(Err(ServiceError::RequestInProgress))
    }

    /// Before `taker` takes over `stale` (a claim whose request is over): marks the key beside
    /// the session a start under `stale` creates (`BESIDE`, named after its token), so that
    /// start can no longer be created; or, when the start created it first, the answer kept
    /// there. Where the store writes a start's answer with its session (memory, a single
    /// Redis), the key only ever holds the mark.
    async fn taken_beside(
        &self,
        stale: &StoredResponse,
        taker: &Claim,
    ) -> Result<Option<StoredResponse>, StoreError> {
        let Some(token) = claim_token(stale) else {
            return Ok(None);
        };
        let store = &self.stores.idempotency;
        let key = format!("{BESIDE}{token}");
        if store
            .idempotency_put(&key, &taker.pending, taker.ttl_secs)
            .await?
        {
            return Ok(None);
        }
        let kept = store.idempotency_get(&key).await?;
        Ok(kept.filter(|a| a.status != PENDING && a.fingerprint == stale.fingerprint))
    }
}
