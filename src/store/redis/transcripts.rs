//! Transcripts on Redis: a list of entries beside a status key (`keys.rs`). A live turn's
//! save appends them in its own script (`scripts::TRANSCRIPT_FN`, see `sessions.rs`); on a
//! cluster, where the transcript's keys live in another slot than the session's, and for
//! turns saved without it, [`TranscriptStore::transcript_append`] writes them in one pipeline.

use super::{RedisStore, corrupt};
use crate::store::{
    BoxFuture, StoreError, Transcript, TranscriptAppend, TranscriptMeta, TranscriptStore,
};

impl RedisStore {
    /// Appends the transcript arguments of a save script (see `TRANSCRIPT_FN`): the number of
    /// entries (-1: none), the entries, the status JSON, the bound and the retention (s).
    pub(super) fn push_transcript_args(
        inv: &mut ::redis::ScriptInvocation<'_>,
        append: Option<&TranscriptAppend>,
    ) -> Result<(), StoreError> {
        let Some(t) = append else {
            inv.arg(-1);
            return Ok(());
        };
        let meta = serde_json::to_string(&t.meta)
            .map_err(|e| StoreError::Other(format!("transcript_append: {e}")))?;
        inv.arg(t.entries.len());
        for e in &t.entries {
            inv.arg(e);
        }
        inv.arg(meta)
            .arg(t.max_entries.max(1))
            .arg(t.retention_secs.max(1));
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
        let meta = serde_json::to_string(&append.meta);
        let ttl = append.retention_secs.max(1);
        let mut pipe = ::redis::pipe();
        if !append.entries.is_empty() {
            pipe.cmd("RPUSH").arg(&log).arg(&append.entries).ignore();
            let keep = i64::try_from(append.max_entries.max(1)).unwrap_or(i64::MAX);
            pipe.cmd("LTRIM").arg(&log).arg(-keep).arg(-1).ignore();
            pipe.cmd("EXPIRE").arg(&log).arg(ttl).ignore();
        }
        Box::pin(async move {
            let meta = meta.map_err(|e| StoreError::Other(format!("transcript_append: {e}")))?;
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
            let (meta, entries): (Option<String>, Vec<String>) =
                self.pipeline("transcript_get", &pipe).await?;
            let Some(meta) = meta else {
                return Ok(None);
            };
            let meta: TranscriptMeta =
                serde_json::from_str(&meta).map_err(|e| corrupt("transcript_get", e))?;
            Ok(Some(Transcript {
                entries,
                status: meta.status,
                updated_at: meta.updated_at,
            }))
        })
    }
}
