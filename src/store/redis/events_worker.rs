//! The worker's side of the trigger events on Redis: the claim (one script: acknowledge a
//! delivery whose event is complete, else take the session's lock, read its head and mark it
//! started) and the completion (one script: outcome, owners, transcript on single Redis,
//! list, count, acknowledgement and, with a token, the lock's release).

use std::collections::HashMap;

use super::events::{GROUP, record};
use super::events_scripts as scripts;
use super::{RedisStore, conn::Conn};
use crate::store::StoreError;
use crate::store::events::{Claim, Completion, Delivery};

impl RedisStore {
    pub(super) async fn claim(
        &self,
        d: &Delivery,
        token: &str,
        lease_ms: u64,
    ) -> Result<Claim, StoreError> {
        let mut inv = scripts::CLAIM.prepare_invoke();
        inv.key(self.ev_key(&format!("e:{}", d.event_id)))
            .key(self.ev_key(&format!("lk:{}", d.session)))
            .key(self.ev_key(&format!("q:{}", d.session)))
            .key(self.ev_key("x"));
        inv.arg(token)
            .arg(lease_ms.max(1))
            .arg(self.ev_key("e:"))
            .arg(GROUP)
            .arg(&d.id);
        let r: Vec<String> = self.script("event_claim", &inv).await?;
        let mut it = r.into_iter();
        Ok(match it.next().as_deref() {
            Some("acked") => Claim::Acked,
            Some("busy") => Claim::Busy,
            Some("lost") => Claim::Lost(it.next().unwrap_or_default()),
            Some("run") => {
                let head = it.next().unwrap_or_default();
                let mut f = HashMap::new();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    f.insert(k, v);
                }
                match record(&head, f) {
                    Some(r) => Claim::Run(r),
                    None => Claim::Lost(head),
                }
            }
            _ => Claim::Done,
        })
    }

    pub(super) async fn complete(
        &self,
        c: &Completion,
        unlock: Option<&str>,
    ) -> Result<(), StoreError> {
        let single = matches!(self.conn, Conn::Single(_));
        let mut inv = scripts::COMPLETE.prepare_invoke();
        inv.key(self.ev_key(&format!("e:{}", c.event_id)))
            .key(self.ev_key(&format!("q:{}", c.session)))
            .key(self.ev_key("n"))
            .key(self.ev_key("x"))
            .key(self.ev_key(&format!("lk:{}", c.session)))
            .key(self.ev_key(&format!("so:{}", c.session)));
        let retention = c.retention_secs;
        inv.arg(&c.event_id)
            .arg(c.status)
            .arg(&c.processed_at)
            .arg(&c.outcome)
            .arg(GROUP);
        let mut with_transcript = false;
        match &c.transcript {
            Some(t) if single => {
                let [log, meta] = self.keys.transcript(&c.session);
                inv.key(log).key(meta);
                let meta = serde_json::to_string(&t.meta)
                    .map_err(|e| StoreError::Other(format!("event_complete: {e}")))?;
                inv.arg(1)
                    .arg(t.max_entries.max(1))
                    .arg(t.retention_secs.max(1))
                    .arg(meta)
                    .arg(unlock.unwrap_or(""));
                for e in &t.entries {
                    inv.arg(e);
                }
                with_transcript = true;
            }
            Some(t) => {
                // A cluster: the transcript's slot is not the events' one. Written first,
                // unless the event is complete already (a completion lost between the two
                // steps and repeated may append it twice: see docs/REDIS.md).
                use crate::store::TranscriptStore;
                let status = ::redis::cmd("HGET")
                    .arg(self.ev_key(&format!("e:{}", c.event_id)))
                    .arg("status")
                    .clone();
                let status: Option<String> = self.read("event_complete", &status).await?;
                if !matches!(status.as_deref(), Some("done" | "failed") | None) {
                    self.transcript_append(&c.session, t).await?;
                }
            }
            None => {}
        }
        if !with_transcript {
            inv.arg(0)
                .arg(1)
                .arg(retention.max(1))
                .arg("")
                .arg(unlock.unwrap_or(""));
        }
        self.script::<i64>("event_complete", &inv).await.map(|_| ())
    }
}
