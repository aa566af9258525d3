//! Accepting an event in memory: the secret check against the stored trigger, the
//! idempotency dedupe, the bound, the session decision and the queueing, under the store's
//! one lock (atomic, as the Redis script).

use std::time::{Duration, Instant};

use subtle::ConstantTimeEq;

use super::{Inner, MAX_LOG};
use crate::store::events::{Accepted, Delivery, EventRecord, NewEvent};

/// The contact TTL to use, or why the event is refused (see [`NewEvent::secret_sha256`]).
fn check(g: &Inner, ev: &NewEvent) -> Result<u64, Accepted> {
    let Some(given) = &ev.secret_sha256 else {
        return Ok(ev.contact_ttl_secs);
    };
    let doc: serde_json::Value = g
        .triggers
        .get(&ev.trigger_id)
        .and_then(|d| serde_json::from_str(d).ok())
        .ok_or(Accepted::UnknownTrigger)?;
    let stored = doc["secret_sha256"].as_str().unwrap_or_default();
    if stored.is_empty() || !bool::from(stored.as_bytes().ct_eq(given.as_bytes())) {
        return Err(Accepted::BadSecret);
    }
    Ok(doc["session_ttl_secs"]
        .as_u64()
        .unwrap_or(ev.contact_ttl_secs))
}

/// Forgets the idempotency and contact keys that expired (a few per accept), and every 4096
/// accepts the expired locks.
fn sweep(g: &mut Inner, now: Instant) {
    g.accepted += 1;
    if g.accepted.is_multiple_of(4096) {
        g.locks.retain(|_, (_, until)| *until > now);
    }
    for _ in 0..4 {
        match g.expiries.front() {
            Some((at, _, _)) if *at <= now => {}
            _ => return,
        }
        let Some((_, contact, key)) = g.expiries.pop_front() else {
            return;
        };
        if contact {
            if g.contacts.get(&key).is_some_and(|(_, u)| *u <= now) {
                g.contacts.remove(&key);
            }
        } else if g.idem.get(&key).is_some_and(|(.., u)| *u <= now) {
            g.idem.remove(&key);
        }
    }
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s.min(10 * 365 * 86_400))
}

pub(super) fn accept(g: &mut Inner, now: Instant, ev: &NewEvent) -> Accepted {
    let contact_ttl_secs = match check(g, ev) {
        Ok(ttl) => ttl,
        Err(refused) => return refused,
    };
    sweep(g, now);
    let idem = ev
        .idempotency_key
        .as_ref()
        .map(|k| format!("{}\n{k}", ev.trigger_id));
    if let Some(k) = &idem
        && let Some((event_id, session, fp, until)) = g.idem.get(k)
        && *until > now
    {
        if *fp != ev.fingerprint {
            return Accepted::Conflict;
        }
        return Accepted::Replayed {
            event_id: event_id.clone(),
            session: session.clone(),
        };
    }
    if g.waiting >= ev.max_waiting {
        return Accepted::Full;
    }
    let session = match (&ev.session, &ev.contact_key) {
        (Some(s), _) => s.clone(),
        (None, Some(c)) => {
            let key = format!("{}\n{c}", ev.trigger_id);
            let until = now + secs(contact_ttl_secs);
            let s = match g.contacts.get(&key) {
                Some((s, u)) if *u > now => s.clone(),
                _ => ev.new_session.clone(),
            };
            g.expiries.push_back((until, true, key.clone()));
            g.contacts.insert(key, (s.clone(), until));
            s
        }
        (None, None) => ev.new_session.clone(),
    };
    if let Some(k) = idem {
        let until = now + secs(ev.idempotency_ttl_secs);
        let v = (
            ev.event_id.clone(),
            session.clone(),
            ev.fingerprint.clone(),
            until,
        );
        g.expiries.push_back((until, false, k.clone()));
        g.idem.insert(k, v);
    }
    g.seq += 1;
    let seq = g.seq;
    g.events.insert(
        ev.event_id.clone(),
        EventRecord {
            event_id: ev.event_id.clone(),
            trigger_id: ev.trigger_id.clone(),
            session: session.clone(),
            seq,
            body: ev.body.clone(),
            status: "queued".into(),
            attempts: 0,
            processed_at: None,
            outcome: None,
            journal: None,
        },
    );
    let log = g.logs.entry(ev.trigger_id.clone()).or_default();
    log.insert(seq, ev.event_id.clone());
    while log.len() > MAX_LOG {
        if let Some((_, old)) = log.pop_first() {
            g.events.remove(&old);
        }
    }
    g.queues
        .entry(session.clone())
        .or_default()
        .push_back(ev.event_id.clone());
    g.fresh.push_back(Delivery {
        id: seq.to_string(),
        event_id: ev.event_id.clone(),
        session: session.clone(),
    });
    g.delivery_of.insert(ev.event_id.clone(), seq);
    g.waiting += 1;
    Accepted::Queued {
        event_id: ev.event_id.clone(),
        session,
    }
}
