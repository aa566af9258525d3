//! Sessions and the turn protocol.
//!
//! A turn is `begin_turn` (load + take the session's turn lease, so two concurrent turns on one
//! session cannot both run) then `commit_turn` / `finish_turn` (version-checked save that also
//! releases the lease) or `abort_turn`. Every session key carries the inactivity TTL, refreshed
//! on each turn; finished sessions leave only a short-lived "finished" marker, and expired ones
//! a small marker for a grace period, so callers can tell finished, expired and unknown apart.

use super::{
    BoxFuture, ResultStore, ResultUpdate, StoreError, StoredResponse, TranscriptAppend,
    TranscriptStore,
};

use super::executions::ExecutionWrite;

/// What a turn's save writes beside the session: its result update (with the results
/// retention), its transcript entries, its idempotent answer and the engine API's execution
/// record. Stores that can write them atomically with the session, in one round trip, do.
#[derive(Debug, Clone, Copy, Default)]
pub struct TurnWrites<'a> {
    pub result: Option<(&'a ResultUpdate, u64)>,
    pub transcript: Option<&'a TranscriptAppend>,
    pub answer: Option<AnswerWrite<'a>>,
    /// Written only by stores whose [`SessionStore::saves_executions`] is true (the caller
    /// writes it after the save otherwise).
    pub execution: Option<ExecutionWrite<'a>>,
}

/// The reply of a turn sent with an `Idempotency-Key`, stored by the turn's save (or, for a
/// start turn, by the creation of its session): the save writes nothing (`Busy`) unless the
/// key still holds this request's claim, then replaces the claim by the answer, with the
/// session, atomically (the memory store under its lock, Redis in the save script). So a turn
/// is never applied without its answer stored, nor by a request whose claim was taken over.
/// Stores that cannot do it atomically (a Redis Cluster, for a key outside the session's
/// slot: see `docs/REDIS.md`) ignore it; the caller settles the key after the save. Except a
/// start whose session is named after its claim's token: the cluster creates it with a copy
/// of the answer beside it, unless a retry marked that copy's key first (`Busy`; see
/// [`crate::store::BESIDE`]).
#[derive(Debug, Clone, Copy)]
pub struct AnswerWrite<'a> {
    /// The scoped idempotency key.
    pub key: &'a str,
    /// The claim the key must hold.
    pub claim: &'a StoredResponse,
    /// What replaces it, for `ttl_secs`.
    pub answer: &'a StoredResponse,
    pub ttl_secs: u64,
}

impl<'a> TurnWrites<'a> {
    /// Only a result update.
    pub fn result(update: &'a ResultUpdate, retention_secs: u64) -> Self {
        TurnWrites {
            result: Some((update, retention_secs)),
            ..TurnWrites::default()
        }
    }
}

/// A loaded session, leased for one turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leased {
    pub data: Vec<u8>,
    pub version: u64,
    pub lease: String,
    /// The sequence of the last trigger event applied to the session (0: none). A save writes
    /// it with the session, atomically: a trigger turn sets it to its event's sequence before
    /// saving, so a redelivered event can tell its effect is already saved. Other turns leave
    /// it as loaded.
    pub mark: u64,
}

/// What `begin_turn` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loaded {
    Active(Leased),
    Finished,
    Expired,
    Missing,
}

/// Session storage with the turn protocol. A turn's save also records its result update and
/// its transcript (atomically where the backend can), hence the [`ResultStore`] and
/// [`TranscriptStore`] supertraits.
pub trait SessionStore: ResultStore + TranscriptStore + Send + Sync {
    /// Creates a new session (version 1) with an inactivity TTL.
    fn create(
        &self,
        id: &str,
        data: Vec<u8>,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>>;
    /// Creates a session (as `create`), then records the result update and transcript of the
    /// turn that created it (as `record_result` and `transcript_append`; a failure of those is
    /// logged, since the session exists). Nothing is recorded when the session could not be
    /// created. Stores that can do it all in one round trip do so in `create_marked`.
    fn create_with_result<'a>(
        &'a self,
        id: &'a str,
        data: Vec<u8>,
        ttl_secs: u64,
        writes: TurnWrites<'a>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.create_marked(id, data, ttl_secs, writes, 0)
    }
    /// `create_with_result` of a session started by a trigger event: the new session carries
    /// the event's sequence as its mark ([`Leased::mark`]), written with it.
    fn create_marked<'a>(
        &'a self,
        id: &'a str,
        data: Vec<u8>,
        ttl_secs: u64,
        writes: TurnWrites<'a>,
        mark: u64,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
    /// Records a session that finished in the very turn that created it.
    fn create_finished(&self, id: &str) -> BoxFuture<'_, Result<(), StoreError>> {
        self.create_finished_marked(id, 0)
    }
    /// `create_finished` with the mark of the trigger event that ran the turn.
    fn create_finished_marked(&self, id: &str, mark: u64) -> BoxFuture<'_, Result<(), StoreError>>;
    /// `create_finished_marked` of a start turn sent with an `Idempotency-Key`: with `answer`,
    /// nothing is written (`Busy`) unless the key still holds the request's claim, then the
    /// marker and the answer are written together ([`AnswerWrite`]). Stores that cannot do it
    /// atomically write the marker only (the default); the caller settles the key after.
    fn create_finished_answered<'a>(
        &'a self,
        id: &'a str,
        mark: u64,
        answer: Option<AnswerWrite<'a>>,
        execution: Option<ExecutionWrite<'a>>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let _ = (answer, execution);
        self.create_finished_marked(id, mark)
    }
    /// Whether this store writes a turn's [`TurnWrites::execution`] with the session: on
    /// memory and a single Redis atomically with it (so no crash or failure leaves a session
    /// advanced past its execution's record and wait token), on a cluster right after it
    /// (another slot). False (the default): the caller writes it after the save.
    fn saves_executions(&self) -> bool {
        false
    }
    /// The mark of a session ([`Leased::mark`]): of its state or of its finished marker; 0
    /// when it has none or is unknown. Read without a lease.
    fn mark(&self, id: &str) -> BoxFuture<'_, Result<u64, StoreError>>;
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
    /// Saves a turn with what it writes beside the session: `data` Some commits the new state
    /// (as `commit_turn`), None finishes the session (as `finish_turn`); then the result update
    /// and the transcript entries are recorded. Stores that can do it all atomically in one
    /// round trip override this.
    fn save_turn<'a>(
        &'a self,
        id: &'a str,
        data: Option<Vec<u8>>,
        leased: &'a Leased,
        ttl_secs: u64,
        writes: TurnWrites<'a>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        save_turn_in_steps(self, id, data, leased, ttl_secs, writes)
    }
    /// Reads an active session without taking its lease (None when it is not active): for
    /// side requests like client logs that must not collide with a running turn.
    fn peek(&self, id: &str) -> BoxFuture<'_, Result<Option<Vec<u8>>, StoreError>>;
    /// Releases the lease without changing the session.
    fn abort_turn(&self, id: &str, leased: &Leased) -> BoxFuture<'_, Result<(), StoreError>>;
    /// Checks the backing store is reachable.
    fn health(&self) -> BoxFuture<'_, Result<(), StoreError>>;
    /// How many sessions are stored and not expired (conversations waiting for their next
    /// reply), as far as the store can tell cheaply; None when it cannot. Read by `/metrics`
    /// only (`tessera_sessions_active`): the in-memory store counts its entries, Redis
    /// estimates from a sample of its keys.
    fn active_sessions(&self) -> BoxFuture<'_, Result<Option<u64>, StoreError>> {
        super::ready(Ok(None))
    }
    /// A short name for logs and /readyz ("memory", "redis", "redis-cluster").
    fn kind(&self) -> &'static str;
}

/// [`SessionStore::save_turn`] as separate calls: `commit_turn` or `finish_turn`, then
/// `record_result` and `transcript_append`. The default implementation, and the fallback of
/// stores that can only do it atomically in some configurations.
pub(super) fn save_turn_in_steps<'a, S: SessionStore + ?Sized>(
    store: &'a S,
    id: &'a str,
    data: Option<Vec<u8>>,
    leased: &'a Leased,
    ttl_secs: u64,
    writes: TurnWrites<'a>,
) -> BoxFuture<'a, Result<(), StoreError>> {
    Box::pin(async move {
        match data {
            Some(d) => store.commit_turn(id, d, leased, ttl_secs).await?,
            None => store.finish_turn(id, leased).await?,
        }
        record_in_steps(store, id, writes).await;
        Ok(())
    })
}

/// The result update and transcript of a saved turn, as separate calls (failures logged).
pub(super) async fn record_in_steps<S: SessionStore + ?Sized>(
    store: &S,
    id: &str,
    writes: TurnWrites<'_>,
) {
    if let Some((update, retention)) = writes.result {
        log_lost_result(store.record_result(update, retention).await, update);
    }
    if let Some(t) = writes.transcript {
        log_lost_transcript(store.transcript_append(id, t).await, id);
    }
}

/// A transcript append that follows a saved turn: logged when lost (the turn happened).
pub(super) fn log_lost_transcript(recorded: Result<(), StoreError>, session_id: &str) {
    if let Err(e) = recorded {
        tracing::warn!(error = %e, session = session_id, "could not record the transcript");
    }
}

/// The result update that follows a saved turn: failing now would make the client retry a
/// turn that happened, so a lost update is logged instead of returned.
pub(super) fn log_lost_result(recorded: Result<(), StoreError>, update: &ResultUpdate) {
    if let Err(e) = recorded {
        tracing::warn!(error = %e, result = %update.result_id, "turn saved but its result update failed");
    }
}
