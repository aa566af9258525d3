//! Trigger events: the triggers stored through the API (opaque JSON documents), the durable
//! queue of accepted events and each trigger's event log.
//!
//! The contract, on every backend:
//! - **Accepting** (`event_accept`) is one atomic step: the secret's hash checked against the
//!   stored trigger (when the caller gives it), the `Idempotency-Key` dedupe, the bound
//!   on waiting events, the session decision (the given one, the contact's current one, or the
//!   proposed new id), the event record, its place in the trigger's log and in its session's
//!   pending list, and its delivery. Nothing is half-written, and a full queue refuses
//!   without dropping anything accepted.
//! - **Deliveries** (`event_fetch`, `event_reclaim`) point at an event and its session; a
//!   delivery stays pending until acknowledged (by `event_complete` of its event or
//!   `event_ack`), and one pending longer than the visibility timeout is delivered again.
//! - **Per-session order**: each session has a pending list of its events in arrival order;
//!   workers only ever run the head of a list (`event_head`), under the session's worker lock
//!   (`event_lock`), so a session runs one event at a time, in order. `event_claim` is a
//!   worker's step before a run (acknowledge, lock, head, start) and `event_finish` its step
//!   after (complete, unlock): one script each on Redis.
//! - **Completion** (`event_complete`) is atomic: the event's final status and outcome, the
//!   session's transcript entries (on single Redis and memory), the removal from the session's
//!   list, the waiting count, and the acknowledgement of its delivery.
//!
//! The memory backend keeps all of it in process (lost on restart); Redis keeps it in one hash
//! tag: a Stream with a consumer group, lists, hashes and sorted sets (`docs/REDIS.md`).

use super::{BoxFuture, StoreError, TranscriptAppend};

/// An event to accept.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub trigger_id: String,
    pub event_id: String,
    /// The session the caller named.
    pub session: Option<String>,
    /// Without a session: the contact's key (email, else phone) that keys its session.
    pub contact_key: Option<String>,
    /// The session id used when neither applies (or the contact has none yet).
    pub new_session: String,
    /// How long a contact keeps its session (refreshed on every event).
    pub contact_ttl_secs: u64,
    pub idempotency_key: Option<String>,
    /// What the key's request looked like (a reuse with another body is a conflict).
    pub fingerprint: String,
    pub idempotency_ttl_secs: u64,
    /// The event's fixed fields as JSON (`text`, `contact`, `received_at`).
    pub body: String,
    /// Most events waiting (queued or running) at once.
    pub max_waiting: u64,
    /// How long the event record is kept.
    pub retention_secs: u64,
    /// The SHA-256 (hex) of the secret presented. When given, the store checks it, in the
    /// same atomic step, against the stored trigger document's `secret_sha256` (answering
    /// [`Accepted::UnknownTrigger`] or [`Accepted::BadSecret`], nothing written), and takes
    /// the contact TTL from the document's `session_ttl_secs` when it sets one. None: the
    /// caller checked the secret itself (a trigger declared in the config file).
    pub secret_sha256: Option<String>,
}

/// What `event_accept` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accepted {
    /// Queued now.
    Queued { event_id: String, session: String },
    /// The idempotency key's earlier event (nothing new queued).
    Replayed { event_id: String, session: String },
    /// The idempotency key was used with another request.
    Conflict,
    /// The queue is full: nothing was written.
    Full,
    /// No stored trigger has this id: nothing was written.
    UnknownTrigger,
    /// The secret's hash is not the trigger's: nothing was written.
    BadSecret,
}

/// What [`EventStore::event_claim`] found for a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The delivery's event needs nothing more (completed or forgotten): acknowledged now.
    Acked,
    /// Another worker holds the session's lock.
    Busy,
    /// The session has nothing left to run up to the delivery's event: the lock is released.
    Done,
    /// The session's head event has no record any more (the lock is held).
    Lost(String),
    /// The head event to run now (the lock is held). The claim marked it started (status
    /// `processing`, one more attempt); the record shows it as it was before, so
    /// `attempts == 0` means no run of it ever started (hence none saved anything).
    Run(EventRecord),
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    pub event_id: String,
    pub trigger_id: String,
    pub session: String,
    /// Arrival order (increasing over all events of a backend).
    pub seq: u64,
    /// The fixed fields (JSON), as accepted.
    pub body: String,
    /// `queued`, `processing`, `done` or `failed`.
    pub status: String,
    /// Runs started (store failures are retried a bounded number of times).
    pub attempts: u32,
    pub processed_at: Option<String>,
    /// The outcome (JSON: `reply` and `error`), once done or failed.
    pub outcome: Option<String>,
    /// What a run computed before saving its session (JSON), so a run whose session was saved
    /// but which died before completing can complete without running again.
    pub journal: Option<String>,
}

/// A delivery of an event to a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The delivery's id (the stream entry id on Redis).
    pub id: String,
    pub event_id: String,
    pub session: String,
}

/// How an event ended.
#[derive(Debug, Clone)]
pub struct Completion {
    pub event_id: String,
    pub session: String,
    /// `done` or `failed`.
    pub status: &'static str,
    pub processed_at: String,
    pub outcome: String,
    pub transcript: Option<TranscriptAppend>,
    /// How long the session remembers that this event's trigger owns it (the transcript's
    /// retention: see [`EventStore::event_session_owned`]).
    pub retention_secs: u64,
}

pub trait EventStore: Send + Sync {
    /// Stores (or replaces) a trigger document.
    fn trigger_put(&self, id: &str, json: String) -> BoxFuture<'_, Result<(), StoreError>>;
    fn trigger_get(&self, id: &str) -> BoxFuture<'_, Result<Option<String>, StoreError>>;
    /// Every stored trigger document.
    fn trigger_list(&self) -> BoxFuture<'_, Result<Vec<String>, StoreError>>;
    /// Forgets a trigger; true when it existed.
    fn trigger_delete(&self, id: &str) -> BoxFuture<'_, Result<bool, StoreError>>;

    /// Accepts an event (see the module docs), atomically.
    fn event_accept<'a>(&'a self, ev: &'a NewEvent) -> BoxFuture<'a, Result<Accepted, StoreError>>;
    /// Up to `max` new deliveries for `consumer`.
    fn event_fetch<'a>(
        &'a self,
        consumer: &'a str,
        max: usize,
    ) -> BoxFuture<'a, Result<Vec<Delivery>, StoreError>>;
    /// Up to `max` deliveries pending for longer than `idle_ms`, now `consumer`'s.
    fn event_reclaim<'a>(
        &'a self,
        consumer: &'a str,
        idle_ms: u64,
        max: usize,
    ) -> BoxFuture<'a, Result<Vec<Delivery>, StoreError>>;
    /// Acknowledges a delivery whose event needs nothing more.
    fn event_ack<'a>(&'a self, delivery: &'a Delivery) -> BoxFuture<'a, Result<(), StoreError>>;
    /// Takes the session's worker lock for `lease_ms` (or extends it when `token` holds it);
    /// false when another token holds it.
    fn event_lock<'a>(
        &'a self,
        session: &'a str,
        token: &'a str,
        lease_ms: u64,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;
    /// Releases the session's worker lock if `token` holds it.
    fn event_unlock<'a>(
        &'a self,
        session: &'a str,
        token: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
    /// The oldest event still waiting in the session's list.
    fn event_head<'a>(
        &'a self,
        session: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, StoreError>>;
    fn event_get<'a>(
        &'a self,
        event_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<EventRecord>, StoreError>>;
    /// Marks a run starting: status `processing`, `attempts` as given.
    fn event_start<'a>(
        &'a self,
        event_id: &'a str,
        attempts: u32,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
    /// Records a run's journal (before its session is saved).
    fn event_journal<'a>(
        &'a self,
        event_id: &'a str,
        journal: String,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
    /// Completes an event (see the module docs), atomically.
    fn event_complete<'a>(&'a self, c: &'a Completion) -> BoxFuture<'a, Result<(), StoreError>>;
    /// Events of a trigger's log after sequence `after`, oldest first, at most `limit`.
    fn event_log<'a>(
        &'a self,
        trigger_id: &'a str,
        after: u64,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<EventRecord>, StoreError>>;
    /// Events accepted and not yet completed.
    fn event_waiting(&self) -> BoxFuture<'_, Result<u64, StoreError>>;
    /// Whether an event of `trigger_id` completed in `session` (the owner of its transcript).
    fn event_session_owned<'a>(
        &'a self,
        trigger_id: &'a str,
        session: &'a str,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// A worker's step before running anything for a delivery (see [`Claim`]): acknowledges
    /// a delivery whose event is complete, else takes (or extends) the session's lock for
    /// `token`, reads the head of the session's list and its record, and marks it started.
    /// Redis does it in one script; this default composes the steps above.
    fn event_claim<'a>(
        &'a self,
        d: &'a Delivery,
        token: &'a str,
        lease_ms: u64,
    ) -> BoxFuture<'a, Result<Claim, StoreError>> {
        Box::pin(async move {
            let mine = match self.event_get(&d.event_id).await? {
                Some(r) if !is_finished(&r.status) => r,
                _ => {
                    self.event_ack(d).await?;
                    return Ok(Claim::Acked);
                }
            };
            if !self.event_lock(&d.session, token, lease_ms).await? {
                return Ok(Claim::Busy);
            }
            let Some(head) = self.event_head(&d.session).await? else {
                self.event_unlock(&d.session, token).await?;
                return Ok(Claim::Done);
            };
            let Some(r) = self.event_get(&head).await? else {
                return Ok(Claim::Lost(head));
            };
            if r.seq > mine.seq {
                self.event_unlock(&d.session, token).await?;
                return Ok(Claim::Done);
            }
            if !is_finished(&r.status) {
                self.event_start(&r.event_id, r.attempts + 1).await?;
            }
            Ok(Claim::Run(r))
        })
    }

    /// Completes an event (as `event_complete`) and, with `unlock` (session, token), then
    /// releases the session's lock if the token holds it: one script on Redis.
    fn event_finish<'a>(
        &'a self,
        c: &'a Completion,
        unlock: Option<&'a str>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            self.event_complete(c).await?;
            if let Some(token) = unlock {
                self.event_unlock(&c.session, token).await?;
            }
            Ok(())
        })
    }
}

/// Whether an event status is final.
pub fn is_finished(status: &str) -> bool {
    matches!(status, "done" | "failed")
}
