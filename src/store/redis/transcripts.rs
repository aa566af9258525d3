//! Transcripts on Redis: a list of entries beside a status key (`keys.rs`). A live turn's
//! save appends them in its own script (`scripts::TRANSCRIPT_FN`, see `sessions.rs`); on a
//! cluster, where the transcript's keys live in another slot than the session's, and for
//! turns saved without it, [`TranscriptStore::transcript_append`] writes them in one pipeline.

use serde::{Deserialize, Serialize};

use super::{RedisStore, corrupt, results};
use crate::store::{BoxFuture, StoreError, Transcript, TranscriptAppend, TranscriptStore};

/// The status key's JSON as written: the turn's status and time, and the bound of the list,
/// which may hold up to a sixteenth more entries than that (`scripts::TRANSCRIPT_FN` trims in
/// batches): a reader keeps the newest `keep`.
#[derive(Serialize)]
struct MetaOut<'a> {
    status: &'a str,
    updated_at: &'a str,
    keep: usize,
}

/// The status key's JSON as read; `keep` is missing from keys written by other paths (the
/// trigger completion) or older versions, which trim the list exactly.
#[derive(Deserialize)]
struct MetaIn {
    status: String,
    updated_at: String,
    #[serde(default)]
    keep: Option<usize>,
}

fn meta_json(t: &TranscriptAppend) -> Result<String, StoreError> {
    let meta = MetaOut {
        status: &t.meta.status,
        updated_at: &t.meta.updated_at,
        keep: t.max_entries.max(1),
    };
    serde_json::to_string(&meta).map_err(|e| StoreError::Other(format!("transcript_append: {e}")))
}

/// The entries list's TTL (ms): the retention plus the result record's slack, so a list whose
/// TTL is refreshed once per slack period (as the record's) outlives the retention from any turn.
fn log_ttl_ms(t: &TranscriptAppend) -> u64 {
    results::record_ttl_ms(t.retention_secs.max(1))
}

impl RedisStore {
    /// Appends the transcript arguments of a save script (see `TRANSCRIPT_FN`): the number of
    /// entries (-1: none), the entries, the status JSON, the bound, the retention (s), whether
    /// the entries' TTL is due (`log_due`, see `log_refresh`) and that TTL (ms).
    pub(super) fn push_transcript_args(
        inv: &mut ::redis::ScriptInvocation<'_>,
        append: Option<&TranscriptAppend>,
        log_due: bool,
    ) -> Result<(), StoreError> {
        let Some(t) = append else {
            inv.arg(-1);
            return Ok(());
        };
        inv.arg(t.entries.len());
        for e in &t.entries {
            inv.arg(e);
        }
        inv.arg(meta_json(t)?)
            .arg(t.max_entries.max(1))
            .arg(t.retention_secs.max(1))
            .arg(u8::from(log_due))
            .arg(log_ttl_ms(t));
        Ok(())
    }

    /// A save script over the session's three keys and its transcript's two.
    pub(super) fn turn_script(
        &self,
        script: &'static ::redis::Script,
        id: &str,
    ) -> ::redis::ScriptInvocation<'static> {
        let mut inv = self.session_script(script, id);
        for key in self.keys.transcript(id) {
            inv.key(key);
        }
        inv
    }
}

impl TranscriptStore for RedisStore {
    fn transcript_append(
        &self,
        session_id: &str,
        append: &TranscriptAppend,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let [log, meta_key] = self.keys.transcript(session_id);
        let meta = meta_json(append);
        let ttl = append.retention_secs.max(1);
        let mut pipe = ::redis::pipe();
        if !append.entries.is_empty() {
            pipe.cmd("RPUSH").arg(&log).arg(&append.entries).ignore();
            let keep = i64::try_from(append.max_entries.max(1)).unwrap_or(i64::MAX);
            pipe.cmd("LTRIM").arg(&log).arg(-keep).arg(-1).ignore();
            // As long as the save scripts' TTL: their next turns may leave it for a while.
            pipe.cmd("PEXPIRE")
                .arg(&log)
                .arg(log_ttl_ms(append))
                .ignore();
        }
        Box::pin(async move {
            let meta = meta?;
            pipe.cmd("SET").arg(&meta_key).arg(meta).arg("EX").arg(ttl);
            pipe.ignore();
            self.pipeline::<()>("transcript_append", &pipe).await
        })
    }

    fn transcript_get(
        &self,
        session_id: &str,
    ) -> BoxFuture<'_, Result<Option<Transcript>, StoreError>> {
        let [log, meta_key] = self.keys.transcript(session_id);
        let mut pipe = ::redis::pipe();
        pipe.cmd("GET").arg(&meta_key);
        pipe.cmd("LRANGE").arg(&log).arg(0).arg(-1);
        Box::pin(async move {
            let (meta, mut entries): (Option<String>, Vec<String>) =
                self.pipeline("transcript_get", &pipe).await?;
            let Some(meta) = meta else {
                return Ok(None);
            };
            let meta: MetaIn =
                serde_json::from_str(&meta).map_err(|e| corrupt("transcript_get", e))?;
            // The list is trimmed in batches: the newest `keep` are the transcript.
            if let Some(keep) = meta.keep
                && entries.len() > keep
            {
                entries.drain(..entries.len() - keep);
            }
            Ok(Some(Transcript {
                entries,
                status: meta.status,
                updated_at: meta.updated_at,
            }))
        })
    }
}
