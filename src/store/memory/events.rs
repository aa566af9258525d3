//! The in-memory [`EventStore`]: triggers, the queue and the event logs in process memory,
//! under one lock, so every step is atomic as on Redis. Same contract, except that nothing
//! survives a restart. A trigger's log keeps its newest [`MAX_LOG`] events.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod accept;

use super::MemoryRecords;
use crate::store::events::Accepted;
use crate::store::events::{Completion, Delivery, EventRecord, EventStore, NewEvent, is_finished};
use crate::store::{BoxFuture, StoreError, TranscriptStore, ready};

/// Events kept per trigger log (the oldest are forgotten first).
pub const MAX_LOG: usize = 100_000;

#[derive(Default)]
struct Inner {
    triggers: BTreeMap<String, String>,
    seq: u64,
    /// Idempotency keys: (event, session, fingerprint, until).
    idem: HashMap<String, (String, String, String, Instant)>,
    /// Contact keys: (session, until).
    contacts: HashMap<String, (String, Instant)>,
    events: HashMap<String, EventRecord>,
    logs: HashMap<String, BTreeMap<u64, String>>,
    queues: HashMap<String, VecDeque<String>>,
    /// Deliveries not yet handed out.
    fresh: VecDeque<Delivery>,
    /// Deliveries handed out and not acknowledged: (delivery, consumer, when).
    pending: BTreeMap<u64, (Delivery, String, Instant)>,
    /// The delivery of each waiting event.
    delivery_of: HashMap<String, u64>,
    waiting: u64,
    /// Per-session worker locks: released by their worker, or forgotten by the sweep once
    /// expired (a worker that died).
    locks: HashMap<String, (String, Instant)>,
    accepted: u64,
    /// Idempotency and contact keys in the order they were written, with their expiry then:
    /// what the sweep on each accept looks at (an entry refreshed since is kept).
    expiries: VecDeque<(Instant, bool, String)>,
}

/// Trigger events in process memory.
pub struct MemoryEvents {
    inner: Mutex<Inner>,
    transcripts: Arc<MemoryRecords>,
}

impl MemoryEvents {
    pub fn new(transcripts: Arc<MemoryRecords>) -> Self {
        Self {
            inner: Mutex::default(),
            transcripts,
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Inner, Instant) -> T) -> T {
        let mut g = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut g, Instant::now())
    }
}

fn ack(g: &mut Inner, delivery: &str) {
    if let Ok(n) = delivery.parse::<u64>() {
        g.pending.remove(&n);
    }
}

impl EventStore for MemoryEvents {
    fn trigger_put(&self, id: &str, json: String) -> BoxFuture<'_, Result<(), StoreError>> {
        ready(self.with(|g, _| {
            g.triggers.insert(id.to_string(), json);
            Ok(())
        }))
    }

    fn trigger_get(&self, id: &str) -> BoxFuture<'_, Result<Option<String>, StoreError>> {
        ready(self.with(|g, _| Ok(g.triggers.get(id).cloned())))
    }

    fn trigger_list(&self) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        ready(self.with(|g, _| Ok(g.triggers.values().cloned().collect())))
    }

    fn trigger_delete(&self, id: &str) -> BoxFuture<'_, Result<bool, StoreError>> {
        ready(self.with(|g, _| Ok(g.triggers.remove(id).is_some())))
    }

    fn event_accept<'a>(&'a self, ev: &'a NewEvent) -> BoxFuture<'a, Result<Accepted, StoreError>> {
        ready(self.with(|g, now| Ok(accept::accept(g, now, ev))))
    }

    fn event_fetch<'a>(
        &'a self,
        consumer: &'a str,
        max: usize,
    ) -> BoxFuture<'a, Result<Vec<Delivery>, StoreError>> {
        ready(self.with(|g, now| {
            let mut out = Vec::new();
            while out.len() < max {
                let Some(d) = g.fresh.pop_front() else { break };
                if let Ok(n) = d.id.parse::<u64>() {
                    g.pending.insert(n, (d.clone(), consumer.to_string(), now));
                }
                out.push(d);
            }
            Ok(out)
        }))
    }

    fn event_reclaim<'a>(
        &'a self,
        consumer: &'a str,
        idle_ms: u64,
        max: usize,
    ) -> BoxFuture<'a, Result<Vec<Delivery>, StoreError>> {
        ready(self.with(|g, now| {
            let idle = Duration::from_millis(idle_ms);
            let mut out = Vec::new();
            for (d, owner, at) in g.pending.values_mut() {
                if out.len() >= max {
                    break;
                }
                if now.duration_since(*at) >= idle {
                    *owner = consumer.to_string();
                    *at = now;
                    out.push(d.clone());
                }
            }
            Ok(out)
        }))
    }

    fn event_ack<'a>(&'a self, delivery: &'a Delivery) -> BoxFuture<'a, Result<(), StoreError>> {
        ready(self.with(|g, _| {
            ack(g, &delivery.id);
            Ok(())
        }))
    }

    fn event_lock<'a>(
        &'a self,
        session: &'a str,
        token: &'a str,
        lease_ms: u64,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        ready(self.with(|g, now| {
            let until = now + Duration::from_millis(lease_ms.max(1));
            match g.locks.get_mut(session) {
                Some((t, u)) if *u > now && t != token => Ok(false),
                Some((t, u)) => {
                    *t = token.to_string();
                    *u = until;
                    Ok(true)
                }
                None => {
                    g.locks
                        .insert(session.to_string(), (token.to_string(), until));
                    Ok(true)
                }
            }
        }))
    }

    fn event_unlock<'a>(
        &'a self,
        session: &'a str,
        token: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        ready(self.with(|g, _| {
            if g.locks.get(session).is_some_and(|(t, _)| t == token) {
                g.locks.remove(session);
            }
            Ok(())
        }))
    }

    fn event_head<'a>(
        &'a self,
        session: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, StoreError>> {
        ready(self.with(|g, _| Ok(g.queues.get(session).and_then(|q| q.front().cloned()))))
    }

    fn event_get<'a>(
        &'a self,
        event_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<EventRecord>, StoreError>> {
        ready(self.with(|g, _| Ok(g.events.get(event_id).cloned())))
    }

    fn event_start<'a>(
        &'a self,
        event_id: &'a str,
        attempts: u32,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        ready(self.with(|g, _| {
            if let Some(e) = g.events.get_mut(event_id) {
                e.status = "processing".into();
                e.attempts = attempts;
            }
            Ok(())
        }))
    }

    fn event_journal<'a>(
        &'a self,
        event_id: &'a str,
        journal: String,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        ready(self.with(|g, _| {
            if let Some(e) = g.events.get_mut(event_id) {
                e.journal = Some(journal);
            }
            Ok(())
        }))
    }

    fn event_complete<'a>(&'a self, c: &'a Completion) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let fresh = self.with(|g, _| {
                if let Some(q) = g.queues.get_mut(&c.session) {
                    if q.front() == Some(&c.event_id) {
                        q.pop_front();
                    }
                    if q.is_empty() {
                        g.queues.remove(&c.session);
                    }
                }
                let mut fresh = false;
                if let Some(e) = g.events.get_mut(&c.event_id)
                    && !is_finished(&e.status)
                {
                    e.status = c.status.to_string();
                    e.processed_at = Some(c.processed_at.clone());
                    e.outcome = Some(c.outcome.clone());
                    e.journal = None;
                    g.waiting = g.waiting.saturating_sub(1);
                    fresh = true;
                }
                if let Some(d) = g.delivery_of.remove(&c.event_id) {
                    // A delivery not handed out yet is acknowledged when it is: its event is
                    // complete by then.
                    g.pending.remove(&d);
                }
                fresh
            });
            // The transcript once, by the completion that ended the event (in one process
            // nothing can come between).
            if let (true, Some(t)) = (fresh, &c.transcript) {
                self.transcripts.transcript_append(&c.session, t).await?;
            }
            Ok(())
        })
    }

    fn event_log<'a>(
        &'a self,
        trigger_id: &'a str,
        after: u64,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<EventRecord>, StoreError>> {
        ready(self.with(|g, _| {
            let Some(log) = g.logs.get(trigger_id) else {
                return Ok(Vec::new());
            };
            Ok(log
                .range(after + 1..)
                .filter_map(|(_, id)| g.events.get(id).cloned())
                .take(limit)
                .collect())
        }))
    }

    fn event_waiting(&self) -> BoxFuture<'_, Result<u64, StoreError>> {
        ready(self.with(|g, _| Ok(g.waiting)))
    }

    fn event_session_owned<'a>(
        &'a self,
        trigger_id: &'a str,
        session: &'a str,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        // The trigger's log, newest first (a read route: the memory backend scans it).
        ready(self.with(|g, _| {
            Ok(g.logs.get(trigger_id).is_some_and(|log| {
                log.values().rev().any(|id| {
                    g.events
                        .get(id)
                        .is_some_and(|e| e.session == session && is_finished(&e.status))
                })
            }))
        }))
    }
}
