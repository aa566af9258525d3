//! The [`EventStore`] contract on Redis. Every key shares the `{ev}` hash tag, so each step
//! is one script in one slot: accepting an event is one round trip (`ACCEPT`: dedupe, bound,
//! session decision, record, log, pending list, `XADD`); workers read a Stream through a
//! consumer group (`FETCH`: `XREADGROUP`), reclaim entries left pending (`RECLAIM`:
//! `XAUTOCLAIM`), and complete an event in one script that also acknowledges and deletes its
//! entry (`COMPLETE`), so the stream holds only events not yet completed.
//!
//! Keys (`<prefix>:{ev}:` then): `x` the stream (group `tessera`), `n` the waiting count,
//! `seq` the arrival counter, `e:<event>` the record (a hash), `log:<trigger>` the trigger's
//! log (sorted set by arrival), `q:<session>` the session's pending list, `lk:<session>` its
//! worker lock, `c:<trigger>:<contact>` a contact's session, `i:<trigger>:<key>` an
//! idempotency key, `trg` the stored triggers (a hash).

use std::collections::HashMap;

use ::redis::Value;

use super::RedisStore;
use super::events_scripts as scripts;
use crate::store::events::{
    Accepted, Claim, Completion, Delivery, EventRecord, EventStore, NewEvent,
};
use crate::store::{BoxFuture, StoreError};

/// The consumer group of every server process.
pub(super) const GROUP: &str = "tessera";
/// Events kept per trigger log (trimmed every 64 accepts).
const MAX_LOG: u64 = 100_000;

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

impl RedisStore {
    pub(super) fn ev_key(&self, rest: &str) -> String {
        format!("{}:{{ev}}:{rest}", self.keys.prefix)
    }

    fn deliveries(flat: Vec<String>) -> Vec<Delivery> {
        flat.chunks_exact(3)
            .map(|c| Delivery {
                id: c[0].clone(),
                event_id: c[1].clone(),
                session: c[2].clone(),
            })
            .collect()
    }
}

pub(super) fn record(event_id: &str, mut f: HashMap<String, String>) -> Option<EventRecord> {
    let session = f.remove("session")?;
    Some(EventRecord {
        event_id: event_id.to_string(),
        trigger_id: f.remove("trigger").unwrap_or_default(),
        session,
        seq: f.get("seq").and_then(|s| s.parse().ok()).unwrap_or(0),
        body: f.remove("body").unwrap_or_default(),
        status: f.remove("status").unwrap_or_default(),
        attempts: f.get("attempts").and_then(|s| s.parse().ok()).unwrap_or(0),
        processed_at: f.remove("processed_at"),
        outcome: f.remove("outcome"),
        journal: f.remove("journal"),
    })
}

impl EventStore for RedisStore {
    fn trigger_put(&self, id: &str, json: String) -> BoxFuture<'_, Result<(), StoreError>> {
        let cmd = ::redis::cmd("HSET")
            .arg(self.ev_key("trg"))
            .arg(id)
            .arg(json)
            .clone();
        Box::pin(async move { self.query::<Value>("trigger_put", &cmd).await.map(|_| ()) })
    }

    fn trigger_get(&self, id: &str) -> BoxFuture<'_, Result<Option<String>, StoreError>> {
        let cmd = ::redis::cmd("HGET").arg(self.ev_key("trg")).arg(id).clone();
        Box::pin(async move { self.read("trigger_get", &cmd).await })
    }

    fn trigger_list(&self) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        let cmd = ::redis::cmd("HVALS").arg(self.ev_key("trg")).clone();
        Box::pin(async move { self.read("trigger_list", &cmd).await })
    }

    fn trigger_delete(&self, id: &str) -> BoxFuture<'_, Result<bool, StoreError>> {
        let cmd = ::redis::cmd("HDEL").arg(self.ev_key("trg")).arg(id).clone();
        Box::pin(async move { Ok(self.query::<i64>("trigger_delete", &cmd).await? == 1) })
    }

    fn event_accept<'a>(&'a self, ev: &'a NewEvent) -> BoxFuture<'a, Result<Accepted, StoreError>> {
        let mut inv = scripts::ACCEPT.prepare_invoke();
        let idem = ev
            .idempotency_key
            .as_deref()
            .map(|k| self.ev_key(&format!("i:{}:{}", ev.trigger_id, hex(k))))
            .unwrap_or_else(|| self.ev_key("i:-"));
        let contact = ev
            .contact_key
            .as_deref()
            .map(|c| self.ev_key(&format!("c:{}:{}", ev.trigger_id, hex(c))))
            .unwrap_or_else(|| self.ev_key("c:-"));
        inv.key(self.ev_key("n"))
            .key(self.ev_key("seq"))
            .key(self.ev_key("x"))
            .key(self.ev_key(&format!("log:{}", ev.trigger_id)))
            .key(self.ev_key(&format!("e:{}", ev.event_id)))
            .key(idem)
            .key(contact)
            .key(self.ev_key("trg"));
        inv.arg(ev.max_waiting)
            .arg(&ev.event_id)
            .arg(ev.session.as_deref().unwrap_or(""))
            .arg(&ev.new_session)
            .arg(ev.contact_ttl_secs.max(1).saturating_mul(1000))
            .arg(if ev.idempotency_key.is_some() { 1 } else { 0 })
            .arg(&ev.fingerprint)
            .arg(ev.idempotency_ttl_secs.max(1).saturating_mul(1000))
            .arg(&ev.body)
            .arg(&ev.trigger_id)
            .arg(ev.retention_secs.max(1).saturating_mul(1000))
            .arg(self.ev_key("q:"))
            .arg(if ev.contact_key.is_some() { 1 } else { 0 })
            .arg(MAX_LOG)
            .arg(ev.secret_sha256.as_deref().unwrap_or(""));
        Box::pin(async move {
            let r: Vec<String> = self.script("event_accept", &inv).await?;
            let get = |i: usize| r.get(i).cloned().unwrap_or_default();
            Ok(match r.first().map(String::as_str) {
                Some("queued") => Accepted::Queued {
                    event_id: get(1),
                    session: get(2),
                },
                Some("replay") => Accepted::Replayed {
                    event_id: get(1),
                    session: get(2),
                },
                Some("conflict") => Accepted::Conflict,
                Some("unknown") => Accepted::UnknownTrigger,
                Some("secret") => Accepted::BadSecret,
                _ => Accepted::Full,
            })
        })
    }

    fn event_fetch<'a>(
        &'a self,
        consumer: &'a str,
        max: usize,
    ) -> BoxFuture<'a, Result<Vec<Delivery>, StoreError>> {
        let mut inv = scripts::FETCH.prepare_invoke();
        inv.key(self.ev_key("x"))
            .arg(GROUP)
            .arg(consumer)
            .arg(max.max(1));
        Box::pin(async move { Ok(Self::deliveries(self.script("event_fetch", &inv).await?)) })
    }

    fn event_reclaim<'a>(
        &'a self,
        consumer: &'a str,
        idle_ms: u64,
        max: usize,
    ) -> BoxFuture<'a, Result<Vec<Delivery>, StoreError>> {
        let mut inv = scripts::RECLAIM.prepare_invoke();
        inv.key(self.ev_key("x"))
            .arg(GROUP)
            .arg(consumer)
            .arg(idle_ms.max(1))
            .arg(max.max(1));
        Box::pin(async move { Ok(Self::deliveries(self.script("event_reclaim", &inv).await?)) })
    }

    fn event_ack<'a>(&'a self, delivery: &'a Delivery) -> BoxFuture<'a, Result<(), StoreError>> {
        let mut inv = scripts::ACK.prepare_invoke();
        inv.key(self.ev_key("x")).arg(GROUP).arg(&delivery.id);
        Box::pin(async move { self.script::<i64>("event_ack", &inv).await.map(|_| ()) })
    }

    fn event_lock<'a>(
        &'a self,
        session: &'a str,
        token: &'a str,
        lease_ms: u64,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let mut inv = scripts::LOCK.prepare_invoke();
        inv.key(self.ev_key(&format!("lk:{session}")))
            .arg(token)
            .arg(lease_ms.max(1));
        Box::pin(async move { Ok(self.script::<i64>("event_lock", &inv).await? == 1) })
    }

    fn event_unlock<'a>(
        &'a self,
        session: &'a str,
        token: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let mut inv = scripts::UNLOCK.prepare_invoke();
        inv.key(self.ev_key(&format!("lk:{session}"))).arg(token);
        Box::pin(async move { self.script::<i64>("event_unlock", &inv).await.map(|_| ()) })
    }

    fn event_head<'a>(
        &'a self,
        session: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, StoreError>> {
        let cmd = ::redis::cmd("LINDEX")
            .arg(self.ev_key(&format!("q:{session}")))
            .arg(0)
            .clone();
        Box::pin(async move { self.read("event_head", &cmd).await })
    }

    fn event_get<'a>(
        &'a self,
        event_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<EventRecord>, StoreError>> {
        let cmd = ::redis::cmd("HGETALL")
            .arg(self.ev_key(&format!("e:{event_id}")))
            .clone();
        Box::pin(async move {
            let f: HashMap<String, String> = self.read("event_get", &cmd).await?;
            Ok(record(event_id, f))
        })
    }

    fn event_start<'a>(
        &'a self,
        event_id: &'a str,
        attempts: u32,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let mut inv = scripts::UPDATE.prepare_invoke();
        inv.key(self.ev_key(&format!("e:{event_id}")))
            .arg("status")
            .arg("processing")
            .arg("attempts")
            .arg(attempts);
        Box::pin(async move { self.script::<i64>("event_start", &inv).await.map(|_| ()) })
    }

    fn event_journal<'a>(
        &'a self,
        event_id: &'a str,
        journal: String,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let mut inv = scripts::UPDATE.prepare_invoke();
        inv.key(self.ev_key(&format!("e:{event_id}")))
            .arg("journal")
            .arg(journal);
        Box::pin(async move { self.script::<i64>("event_journal", &inv).await.map(|_| ()) })
    }

    fn event_complete<'a>(&'a self, c: &'a Completion) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.complete(c, None))
    }

    fn event_finish<'a>(
        &'a self,
        c: &'a Completion,
        unlock: Option<&'a str>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.complete(c, unlock))
    }

    fn event_claim<'a>(
        &'a self,
        d: &'a Delivery,
        token: &'a str,
        lease_ms: u64,
    ) -> BoxFuture<'a, Result<Claim, StoreError>> {
        Box::pin(self.claim(d, token, lease_ms))
    }

    fn event_session_owned<'a>(
        &'a self,
        trigger_id: &'a str,
        session: &'a str,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let cmd = ::redis::cmd("SISMEMBER")
            .arg(self.ev_key(&format!("so:{session}")))
            .arg(trigger_id)
            .clone();
        Box::pin(async move { Ok(self.read::<i64>("event_session_owned", &cmd).await? == 1) })
    }

    fn event_log<'a>(
        &'a self,
        trigger_id: &'a str,
        after: u64,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<EventRecord>, StoreError>> {
        let cmd = ::redis::cmd("ZRANGEBYSCORE")
            .arg(self.ev_key(&format!("log:{trigger_id}")))
            .arg(format!("({after}"))
            .arg("+inf")
            .arg("LIMIT")
            .arg(0)
            .arg(limit.max(1))
            .clone();
        Box::pin(async move {
            let ids: Vec<String> = self.read("event_log", &cmd).await?;
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let mut pipe = ::redis::pipe();
            for id in &ids {
                pipe.cmd("HGETALL").arg(self.ev_key(&format!("e:{id}")));
            }
            let maps: Vec<HashMap<String, String>> = self.pipeline("event_log", &pipe).await?;
            Ok(ids
                .iter()
                .zip(maps)
                .filter_map(|(id, f)| record(id, f))
                .collect())
        })
    }

    fn event_waiting(&self) -> BoxFuture<'_, Result<u64, StoreError>> {
        let cmd = ::redis::cmd("GET").arg(self.ev_key("n")).clone();
        Box::pin(async move {
            let n: Option<u64> = self.read("event_waiting", &cmd).await?;
            Ok(n.unwrap_or(0))
        })
    }
}
