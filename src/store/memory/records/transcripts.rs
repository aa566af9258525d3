//! The in-memory [`TranscriptStore`]: compact entries, capped, dropped when expired.

use super::*;

impl TranscriptStore for MemoryRecords {
    fn transcript_append(
        &self,
        session_id: &str,
        append: &TranscriptAppend,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let now = Instant::now();
        let mut g = self.lock();
        // The write this append counts as (`wrote` below).
        let written = g.writes + 1;
        let Inner {
            transcripts,
            strings,
            oldest_transcripts,
            ..
        } = &mut *g;
        let mut strings = strings.lock();
        let status = strings.get(&append.meta.status);
        let updated_at = strings.get(&append.meta.updated_at);
        let tick = Tick::from(now);
        let expires = tick + secs(append.retention_secs.max(1));
        let t = transcripts
            .entry(session_id.into())
            .or_insert_with(|| StoredTranscript {
                entries: Box::new([]),
                status: status.clone(),
                updated_at: updated_at.clone(),
                expires,
                written,
            });
        let mut entries = std::mem::take(&mut t.entries).into_vec();
        if t.expires <= tick {
            entries.clear();
        }
        entries.extend(append.entries.iter().map(|e| strings.halves(e)));
        if entries.len() > append.max_entries {
            let extra = entries.len() - append.max_entries;
            entries.drain(..extra);
        }
        // Exactly as long as it is: no spare capacity kept per idle session.
        t.entries = entries.into_boxed_slice();
        t.status = status;
        t.updated_at = updated_at;
        t.expires = expires;
        t.written = written;
        drop(strings);
        oldest_transcripts.trim(transcripts, |t| t.written);
        g.wrote(now);
        ready(Ok(()))
    }

    fn transcript_get(
        &self,
        session_id: &str,
    ) -> BoxFuture<'_, Result<Option<Transcript>, StoreError>> {
        let now = Instant::now();
        let g = self.lock();
        let found = g
            .transcripts
            .get(session_id)
            .filter(|t| t.expires > Tick::from(now))
            .map(|t| Transcript {
                entries: t.entries.iter().map(joined).collect(),
                status: t.status.to_string(),
                updated_at: t.updated_at.to_string(),
            });
        ready(Ok(found))
    }
}
