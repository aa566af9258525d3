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
                head: 0,
                status: status.clone(),
                updated_at: updated_at.clone(),
                expires,
                written,
            });
        if t.expires <= tick {
            t.entries = Box::new([]);
            t.head = 0;
        }
        let cap = append.max_entries.max(1);
        let new = append.entries.iter().map(|e| strings.halves(e));
        if t.entries.len() == cap {
            // Full: the new entries overwrite the oldest, in place (a long conversation's
            // turn moved its whole transcript, 500 entries, twice before).
            let skip = append.entries.len().saturating_sub(cap);
            let mut head = t.head as usize;
            for e in new.skip(skip) {
                t.entries[head] = e;
                head = (head + 1) % cap;
            }
            t.head = u32::try_from(head).unwrap_or(0);
        } else {
            let head = t.head as usize;
            let mut entries = std::mem::take(&mut t.entries).into_vec();
            if head > 0 && head < entries.len() {
                entries.rotate_left(head);
            }
            entries.extend(new);
            if entries.len() > cap {
                let extra = entries.len() - cap;
                entries.drain(..extra);
            }
            // Exactly as long as it is: no spare capacity kept per idle session.
            t.entries = entries.into_boxed_slice();
            t.head = 0;
        }
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
                entries: ordered(t).map(joined).collect(),
                status: t.status.to_string(),
                updated_at: t.updated_at.to_string(),
            });
        ready(Ok(found))
    }
}

/// A transcript's entries, oldest first.
fn ordered(t: &StoredTranscript) -> impl Iterator<Item = &(Arc<str>, Arc<str>)> {
    let head = (t.head as usize).min(t.entries.len());
    t.entries[head..].iter().chain(t.entries[..head].iter())
}
