//! Who holds an idempotency claim, and whether it still runs. A claim (the record an
//! idempotent request writes before it runs) names its owner, this server process, and a
//! token of its own. The process keeps a liveness record in the store (refreshed every
//! second, lasting three), the claims it is running now, and the claims it could not settle
//! (the store failed): a background task settles those again until the store answers. So a
//! retry can tell a running request (409 `request_in_progress`) from one whose process died
//! or whose request is over (the claim is taken over at once), instead of waiting for the
//! claim to expire.
//!
//! It owns no HTTP and no store layout: the records are the store's [`IdempotencyStore`].

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::Conversations;
use crate::store::{IdempotencyStore, StoreError, StoredResponse};

/// How often the liveness record is refreshed, and how long one lasts: a process that stops
/// is seen dead within `OWNER_TTL`.
const HEARTBEAT: Duration = Duration::from_secs(1);
const OWNER_TTL: Duration = Duration::from_secs(3);

/// The most failed settles kept for retrying (a long outage under load fails many).
const MAX_UNSETTLED: usize = 10_000;

/// A claim to settle again: key, the claim, what replaces it (None: forget), TTL (s).
type Unsettled = (String, StoredResponse, Option<StoredResponse>, u64);

/// This process's claims.
#[derive(Debug)]
pub struct Claims {
    /// This process's owner id (random per process start).
    owner: String,
    /// Tokens of the claims whose requests run now.
    running: Mutex<HashSet<String>>,
    /// Claims whose settling failed (retried by the heartbeat).
    unsettled: Mutex<Vec<Unsettled>>,
}

impl Default for Claims {
    fn default() -> Self {
        Claims {
            owner: crate::ids::new_id(),
            running: Mutex::default(),
            unsettled: Mutex::default(),
        }
    }
}

/// What a claim's body says: `<owner> <token>`.
fn parse(claim: &StoredResponse) -> Option<(&str, &str)> {
    claim.body.split_once(' ')
}

impl Claims {
    /// A new claim's body, registered as running until the guard drops.
    pub(super) fn start(&self) -> (String, Running<'_>) {
        // A session id (unguessable, in their format): a start under the claim names its new
        // session after it (`Claim::session_id`).
        let token = crate::ids::new_id();
        lock(&self.running).insert(token.clone());
        let body = format!("{} {token}", self.owner);
        (
            body,
            Running {
                claims: self,
                token,
            },
        )
    }

    /// Whether a claim's request is certainly over: it is this process's and not running, or
    /// its owner is dead.
    pub(super) async fn is_stale(
        &self,
        store: &dyn IdempotencyStore,
        claim: &StoredResponse,
    ) -> Result<bool, StoreError> {
        let Some((owner, token)) = parse(claim) else {
            return Ok(false); // Written by an older version: wait for it to expire.
        };
        if owner == self.owner {
            return Ok(!lock(&self.running).contains(token));
        }
        Ok(!store.owner_alive(owner).await?)
    }

    /// Keeps a failed settle for the heartbeat to try again (the oldest dropped beyond
    /// [`MAX_UNSETTLED`]: those claims still expire with their TTL).
    pub(super) fn retry_later(&self, u: Unsettled) {
        let mut pending = lock(&self.unsettled);
        if pending.len() >= MAX_UNSETTLED {
            pending.remove(0);
        }
        pending.push(u);
    }

    async fn beat(&self, store: &dyn IdempotencyStore) {
        let ttl = u64::try_from(OWNER_TTL.as_millis()).unwrap_or(u64::MAX);
        if let Err(e) = store.owner_heartbeat(&self.owner, ttl).await {
            tracing::debug!(error = %e, "claim owner heartbeat failed");
            return;
        }
        let pending = std::mem::take(&mut *lock(&self.unsettled));
        for (key, claim, outcome, ttl) in pending {
            let settled = store
                .idempotency_settle(&key, &claim, outcome.as_ref(), ttl)
                .await;
            if settled.is_err() {
                self.retry_later((key, claim, outcome, ttl));
            }
        }
    }
}

/// A claim's request running: its token leaves the running set when this drops (also when
/// the request's future is dropped mid-way).
pub(super) struct Running<'a> {
    claims: &'a Claims,
    token: String,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        lock(&self.claims.running).remove(&self.token);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Every update is a single insert or remove: a poisoned lock leaves nothing half-done.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs the claim owner's heartbeat until the runtime stops.
pub fn spawn(core: Arc<Conversations>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(HEARTBEAT);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            core.claims.beat(&*core.stores.idempotency).await;
        }
    })
}
