//! The background workers: every server process runs `workers` of them (none in an API-only
//! process). Each fetches deliveries from the store (a consumer of the Redis Stream's group),
//! and one of them also reclaims deliveries left pending longer than the visibility timeout
//! by a worker that died.
//!
//! A delivery points at an event and its session. The worker takes the session's worker lock
//! and runs the head of the session's pending list until its own event has run, so a session
//! runs one event at a time, in arrival order, whichever worker got which delivery; a busy
//! session (its lock or its turn lease held elsewhere) puts the delivery back for a moment,
//! it never drops it. An event is acknowledged only by its completion, which is saved after
//! its effect; a redelivered event whose effect is already saved (the session's mark) is
//! completed from its journal without running again. A failing turn ends the event as
//! `failed` with the reason; store errors are retried [`MAX_ATTEMPTS`] times. Nothing one event
//! does stops a worker.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::run::{EventTurn, Journal};
use super::{TriggerRecord, Triggers};
use crate::conversation::ServiceError;
use crate::conversation::start::now;
use crate::conversation::transcript::MAX_TRANSCRIPT_ENTRIES;
use crate::engine::Message;
use crate::store::TranscriptAppend;
use crate::store::events::{Claim, Completion, Delivery, EventRecord, is_finished};
use crate::telemetry::metrics::probes::{self, ProbeFuture, QueueProbe, QueueStats};

/// Runs an event gets before it fails on store errors.
pub const MAX_ATTEMPTS: u32 = 5;
/// Deliveries fetched per call.
const BATCH: usize = 16;
/// Pause when there is nothing to do: from 2 ms, doubling while idle up to 50 ms (an idle
/// process then polls the store 20 times a second per worker, not 500).
const IDLE: Duration = Duration::from_millis(2);
const IDLE_MAX: Duration = Duration::from_millis(50);

/// What handling a delivery came to.
enum Handled {
    Done,
    /// Try again after this long (a busy session, a store error).
    Later(Duration),
}

/// The events accepted and not yet completed, as the queue `events` of /metrics.
struct EventQueue(Arc<Triggers>);

impl QueueProbe for EventQueue {
    fn stats(&self) -> ProbeFuture<'_, Option<QueueStats>> {
        Box::pin(async move {
            let depth = self.0.core.stores.events.event_waiting().await.ok()?;
            Some(QueueStats {
                depth,
                lag_seconds: None,
            })
        })
    }
}

/// Starts the workers of this process (and registers the queue's depth with /metrics, also
/// in an API-only process).
pub fn spawn(triggers: Arc<Triggers>) -> Vec<tokio::task::JoinHandle<()>> {
    probes::register_queue("events", Arc::new(EventQueue(triggers.clone())));
    let process = crate::ids::new_id();
    (0..triggers.settings.workers)
        .map(|i| {
            let t = triggers.clone();
            let consumer = format!("{process}-{i}");
            tokio::spawn(async move { work(t, consumer, i == 0).await })
        })
        .collect()
}

/// One worker: fetches a batch, runs its sessions concurrently (the deliveries of one
/// session one after the other), and puts back what must wait.
async fn work(this: Arc<Triggers>, consumer: String, reclaims: bool) {
    let store = &this.core.stores.events;
    let visibility = this.settings.visibility_timeout_ms.max(1);
    let reclaim_every = Duration::from_millis((visibility / 4).clamp(50, 5000));
    let mut last_reclaim = Instant::now();
    let mut later: VecDeque<(Instant, Delivery)> = VecDeque::new();
    let mut idle = IDLE;
    loop {
        let mut batch = Vec::new();
        while later.front().is_some_and(|(at, _)| *at <= Instant::now()) {
            if let Some((_, d)) = later.pop_front() {
                batch.push(d);
            }
        }
        if reclaims && last_reclaim.elapsed() >= reclaim_every {
            last_reclaim = Instant::now();
            match store.event_reclaim(&consumer, visibility, BATCH).await {
                Ok(d) => batch.extend(d),
                Err(e) => tracing::warn!(error = %e, "could not reclaim trigger events"),
            }
        }
        match store.event_fetch(&consumer, BATCH).await {
            Ok(d) => batch.extend(d),
            Err(e) => {
                tracing::warn!(error = %e, "could not fetch trigger events");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        if batch.is_empty() {
            tokio::time::sleep(idle).await;
            idle = (idle * 2).min(IDLE_MAX);
            continue;
        }
        idle = IDLE;
        for (after, d) in run_batch(&this, batch).await {
            let at = Instant::now() + after;
            // Kept in due order (retries of one worker are few).
            let pos = later.iter().position(|(t, _)| *t > at);
            later.insert(pos.unwrap_or(later.len()), (at, d));
        }
    }
}

/// Runs a batch, one task per session; the deliveries to try again, and when.
async fn run_batch(this: &Arc<Triggers>, batch: Vec<Delivery>) -> Vec<(Duration, Delivery)> {
    let mut groups: Vec<Vec<Delivery>> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for d in batch {
        match index.get(&d.session) {
            Some(&i) => groups[i].push(d),
            None => {
                index.insert(d.session.clone(), groups.len());
                groups.push(vec![d]);
            }
        }
    }
    let mut tasks = tokio::task::JoinSet::new();
    for group in groups {
        let t = this.clone();
        tasks.spawn(async move {
            let mut again = Vec::new();
            for d in group {
                if let Handled::Later(after) = t.handle(&d).await {
                    again.push((after, d));
                }
            }
            again
        });
    }
    let mut again = Vec::new();
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(a) => again.extend(a),
            // A panicking turn: its deliveries stay pending and are reclaimed.
            Err(e) => tracing::error!(error = %e, "a trigger worker task failed"),
        }
    }
    again
}

impl Triggers {
    /// Runs a delivery's session up to its event (see the module docs): claims the head
    /// (one store step), runs it, and completes it; the last completion also releases the
    /// session's lock.
    async fn handle(&self, d: &Delivery) -> Handled {
        let store = &self.core.stores.events;
        let token = crate::ids::new_id();
        let lease = self.settings.visibility_timeout_ms.max(1);
        loop {
            let head = match store.event_claim(d, &token, lease).await {
                Ok(Claim::Run(r)) => r,
                Ok(Claim::Acked | Claim::Done) => return Handled::Done,
                Ok(Claim::Busy) => return Handled::Later(Duration::from_millis(5)),
                Ok(Claim::Lost(head)) => {
                    // A head whose record is gone: complete it so the session moves on.
                    let c = self.completion(
                        &head,
                        &d.session,
                        "failed",
                        json!({"reply": null, "error": "the event record was lost"}),
                        None,
                    );
                    if store.event_complete(&c).await.is_err() {
                        return self.release(d, &token, 100).await;
                    }
                    continue;
                }
                Err(_) => return Handled::Later(Duration::from_millis(100)),
            };
            let last = head.event_id == d.event_id;
            match self.run_one(&head, last.then_some(token.as_str())).await {
                Handled::Done if last => return Handled::Done,
                Handled::Done => {}
                Handled::Later(after) => {
                    let _ = store.event_unlock(&d.session, &token).await;
                    return Handled::Later(after);
                }
            }
        }
    }

    /// Releases the session's lock after a store error; try again after `ms`.
    async fn release(&self, d: &Delivery, token: &str, ms: u64) -> Handled {
        let _ = self
            .core
            .stores
            .events
            .event_unlock(&d.session, token)
            .await;
        Handled::Later(Duration::from_millis(ms))
    }

    /// Runs (or, when its effect is saved already, completes) the claimed head event `r`;
    /// with `unlock`, its completion also releases the session's lock.
    async fn run_one(&self, r: &EventRecord, unlock: Option<&str>) -> Handled {
        let store = &self.core.stores.events;
        let complete = |c: Completion| async move {
            match store.event_finish(&c, unlock).await {
                Ok(()) => Handled::Done,
                Err(_) => Handled::Later(Duration::from_millis(50)),
            }
        };
        if is_finished(&r.status) {
            let c = self.completion(&r.event_id, &r.session, "done", Value::Null, None);
            return complete(c).await;
        }
        // A run started before (the claim counts them) may have saved the session and died
        // before completing: the session's mark tells. An event never started saved nothing.
        if r.attempts > 0 {
            let mark = match self.core.stores.sessions.mark(&r.session).await {
                Ok(m) => m,
                Err(_) => return Handled::Later(Duration::from_millis(100)),
            };
            if mark >= r.seq {
                // Saved by a run that did not complete: complete it from its journal.
                let journal = r
                    .journal
                    .as_deref()
                    .and_then(|j| serde_json::from_str::<Journal>(j).ok());
                return complete(self.completion_of(r, journal)).await;
            }
        }
        let attempts = r.attempts + 1;
        let turn = EventTurn {
            event_id: &r.event_id,
            seq: r.seq,
            ttl_secs: None,
            store: store.as_ref(),
            written: std::sync::Mutex::new(None),
        };
        let outcome = self.run_event(r, turn).await;
        match outcome {
            Ok(journal) => {
                tracing::debug!(event = %r.event_id, session = %r.session, "trigger event ran");
                complete(self.completion_of(r, Some(journal))).await
            }
            Err(ServiceError::Busy) => {
                // Another turn holds the session: wait, without counting a run.
                let _ = store.event_start(&r.event_id, r.attempts).await;
                Handled::Later(Duration::from_millis(20))
            }
            Err(ServiceError::Store(e)) if attempts < MAX_ATTEMPTS => {
                tracing::warn!(event = %r.event_id, error = %e, attempts, "trigger event: store error, will retry");
                Handled::Later(Duration::from_millis(50 * u64::from(attempts)))
            }
            Err(e) => {
                let reason = match &e {
                    ServiceError::Store(s) => {
                        format!("gave up after {attempts} attempts: {s}")
                    }
                    ServiceError::TriggerNotFound => "the trigger was deleted".into(),
                    ServiceError::FlowNotFound => "the bot is not published (deleted?)".into(),
                    other => other.to_string(),
                };
                tracing::info!(event = %r.event_id, %reason, "trigger event failed");
                let c = self.completion(
                    &r.event_id,
                    &r.session,
                    "failed",
                    json!({"reply": null, "error": reason}),
                    None,
                );
                complete(c).await
            }
        }
    }

    /// Runs an event's turn; the journal it wrote.
    async fn run_event(
        &self,
        r: &EventRecord,
        mut turn: EventTurn<'_>,
    ) -> Result<Journal, ServiceError> {
        let t: TriggerRecord = self.record_cached(&r.trigger_id).await?;
        let flow_id = self.flow_id(&t).await?;
        turn.ttl_secs = t.session_ttl_secs;
        let body: Value = serde_json::from_str(&r.body).unwrap_or(Value::Null);
        let text = t
            .default_text
            .clone()
            .or_else(|| body["text"].as_str().map(str::to_string));
        let message = text.map(|text| Message::Text {
            text,
            reply_id: None,
            attached_file_urls: Vec::new(),
        });
        let prefilled: Map<String, Value> =
            body["contact"].as_object().cloned().unwrap_or_default();
        self.core
            .run_event(&flow_id, &r.session, message, prefilled, &turn)
            .await?;
        let written = turn.written.lock().ok().and_then(|mut w| w.take());
        written.ok_or_else(|| ServiceError::Internal("the turn was not journaled".into()))
    }

    fn completion_of(&self, r: &EventRecord, journal: Option<Journal>) -> Completion {
        match journal {
            Some(j) => {
                let outcome = json!({"reply": j.reply, "error": j.error});
                let status = j.status();
                let transcript = TranscriptAppend {
                    entries: j.entries,
                    meta: j.meta,
                    max_entries: MAX_TRANSCRIPT_ENTRIES,
                    retention_secs: self.core.config.results_retention_secs,
                };
                self.completion(&r.event_id, &r.session, status, outcome, Some(transcript))
            }
            // A saved run always journaled first; without a journal there is nothing to add.
            None => self.completion(
                &r.event_id,
                &r.session,
                "done",
                json!({"reply": null, "error": null}),
                None,
            ),
        }
    }
}

impl Triggers {
    fn completion(
        &self,
        event_id: &str,
        session: &str,
        status: &'static str,
        outcome: Value,
        transcript: Option<TranscriptAppend>,
    ) -> Completion {
        Completion {
            event_id: event_id.to_string(),
            session: session.to_string(),
            status,
            processed_at: now(),
            outcome: outcome.to_string(),
            transcript,
            retention_secs: self.core.config.results_retention_secs,
        }
    }
}
