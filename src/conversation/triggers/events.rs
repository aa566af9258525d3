//! Accepting an event (one store step: see [`crate::store::events`]), and reading a trigger's
//! event log and a session's transcript.

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::super::start::now;
use super::super::{ServiceError, transcript::MAX_TRANSCRIPT_ENTRIES};
use super::{Triggers, sha256_hex};
use crate::ids::new_id;
use crate::store::events::{Accepted, EventRecord, NewEvent};

/// Records scanned at most per page of a filtered log.
const MAX_SCANNED: usize = 20_000;

/// An event as posted (already validated by the surface).
#[derive(Debug, Clone, Default)]
pub struct EventInput {
    pub text: Option<String>,
    pub session: Option<String>,
    /// `name`, `email`, `phone` (those given).
    pub contact: Option<Map<String, Value>>,
    pub idempotency_key: Option<String>,
    /// What identifies the request for its idempotency key (a hash of the body).
    pub fingerprint: String,
}

/// What accepting answers.
#[derive(Debug, Clone, Serialize)]
pub struct AcceptedEvent {
    pub event_id: String,
    pub session: String,
    pub status: &'static str,
}

/// Filters of the event log.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    pub session: Option<String>,
    pub status: Option<String>,
    pub limit: usize,
    /// The sequence after which to go on.
    pub cursor: u64,
}

/// An event as listed.
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    pub event_id: String,
    pub session: String,
    pub status: String,
    pub received_at: Value,
    pub processed_at: Option<String>,
    pub text: Value,
    pub contact: Value,
    pub reply: Value,
    pub error: Value,
}

/// One page of the log, oldest first.
#[derive(Debug, Clone, Serialize)]
pub struct EventPage {
    pub events: Vec<EventView>,
    pub next_cursor: Option<String>,
}

impl From<&EventRecord> for EventView {
    fn from(r: &EventRecord) -> Self {
        let body: Value = serde_json::from_str(&r.body).unwrap_or(Value::Null);
        let outcome: Value = r
            .outcome
            .as_deref()
            .and_then(|o| serde_json::from_str(o).ok())
            .unwrap_or(Value::Null);
        EventView {
            event_id: r.event_id.clone(),
            session: r.session.clone(),
            status: r.status.clone(),
            received_at: body["received_at"].clone(),
            processed_at: r.processed_at.clone(),
            text: body["text"].clone(),
            contact: body["contact"].clone(),
            reply: outcome["reply"].clone(),
            error: outcome["error"].clone(),
        }
    }
}

impl Triggers {
    /// Accepts an event for trigger `id` presenting `secret`: it will run in the session
    /// answered, in the background. A stored trigger's secret is checked by the store in the
    /// accepting step itself (one round trip on Redis: the secret's hash against the stored
    /// one, so a rotation or a deletion takes effect at once, in every process); a declared
    /// trigger's here.
    pub async fn accept(
        &self,
        id: &str,
        secret: Option<&str>,
        input: EventInput,
    ) -> Result<AcceptedEvent, ServiceError> {
        let config = &self.core.config;
        let (secret_sha256, trigger_ttl) = match (self.declared(id), secret) {
            (None, Some(s)) if !s.is_empty() => (Some(sha256_hex(s)), None),
            // Declared, or no secret at all: checked here (a missing secret on an unknown
            // trigger answers 404 as before).
            _ => (None, self.authenticate(id, secret).await?.session_ttl_secs),
        };
        let contact_key = match (&input.session, &input.contact) {
            (None, Some(c)) => ["email", "phone"]
                .iter()
                .find_map(|k| c.get(*k).and_then(Value::as_str))
                .map(|v| v.trim().to_lowercase()),
            _ => None,
        };
        let body = json!({
            "text": input.text,
            "contact": input.contact,
            "received_at": now(),
        });
        let ev = NewEvent {
            trigger_id: id.to_string(),
            event_id: new_id(),
            session: input.session,
            contact_key,
            new_session: new_id(),
            contact_ttl_secs: trigger_ttl.unwrap_or(config.session_ttl_secs),
            idempotency_key: input.idempotency_key,
            fingerprint: input.fingerprint,
            idempotency_ttl_secs: config.idempotency_ttl_secs,
            body: body.to_string(),
            max_waiting: self.settings.queue_max,
            retention_secs: config.results_retention_secs,
            secret_sha256,
        };
        match self.core.stores.events.event_accept(&ev).await? {
            Accepted::Queued { event_id, session } | Accepted::Replayed { event_id, session } => {
                Ok(AcceptedEvent {
                    event_id,
                    session,
                    status: "queued",
                })
            }
            Accepted::Conflict => Err(ServiceError::IdempotencyConflict),
            Accepted::Full => Err(ServiceError::QueueFull),
            Accepted::UnknownTrigger => Err(ServiceError::TriggerNotFound),
            Accepted::BadSecret => Err(ServiceError::TriggerSecret),
        }
    }

    /// A page of the trigger's event log.
    pub async fn events(&self, id: &str, q: &EventQuery) -> Result<EventPage, ServiceError> {
        let t = self.record(id).await?;
        let limit = q.limit.clamp(1, 1000);
        let store = &self.core.stores.events;
        let mut out = Vec::new();
        let mut after = q.cursor;
        let mut scanned = 0;
        let more = loop {
            let batch = store.event_log(&t.id, after, limit.max(100)).await?;
            let full = batch.len() >= limit.max(100);
            for r in &batch {
                after = r.seq;
                scanned += 1;
                let keep = q.session.as_ref().is_none_or(|s| *s == r.session)
                    && q.status.as_ref().is_none_or(|s| *s == r.status);
                if keep {
                    out.push(EventView::from(r));
                    if out.len() == limit {
                        break;
                    }
                }
            }
            if out.len() == limit {
                break !store.event_log(&t.id, after, 1).await?.is_empty();
            }
            if !full {
                break false;
            }
            if scanned >= MAX_SCANNED {
                break true;
            }
        };
        Ok(EventPage {
            events: out,
            next_cursor: more.then(|| after.to_string()),
        })
    }

    /// A session's transcript (what was said, in order, with times), when it has one and an
    /// event of this trigger completed in it (a session of another trigger, or of none, is
    /// not found).
    pub async fn transcript(&self, id: &str, session: &str) -> Result<Value, ServiceError> {
        let trigger = self.record(id).await?;
        let stores = &self.core.stores;
        if !stores
            .events
            .event_session_owned(&trigger.id, session)
            .await?
        {
            return Err(ServiceError::SessionMissing);
        }
        let t = stores
            .transcripts
            .transcript_get(session)
            .await?
            .ok_or(ServiceError::SessionMissing)?;
        let entries: Vec<Value> = t
            .entries
            .iter()
            .filter_map(|e| serde_json::from_str(e).ok())
            .collect();
        Ok(json!({
            "session": session,
            "status": t.status,
            "updated_at": t.updated_at,
            "transcript": entries,
            "max_entries": MAX_TRANSCRIPT_ENTRIES,
        }))
    }
}
