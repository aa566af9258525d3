//! The in-memory engine-API records, transcripts and timers ([`ExecutionStore`],
//! [`TranscriptStore`], [`TimerStore`]), under one lock of their own. Expired entries are
//! dropped on access, and all of them every few thousand writes. Transcripts are kept compact
//! (each entry as two shared halves: a bot's message is stored once for all its sessions) and
//! at most the store's cap of them (the least recently written go first).

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use indexmap::IndexMap;

use super::super::{
    BoxFuture, Doc, ExecutionDoc, ExecutionStore, ExecutionWrite, Index, StoreError, StoredDoc,
    TimerStats, TimerStore, Transcript, TranscriptAppend, TranscriptStore, ready,
};
use super::compact::{Oldest, Strings, Tick, joined};
use super::{DEFAULT_MAX_RESULTS, secs};

#[cfg(test)]
mod tests;
mod transcripts;

/// A value and when it expires (None: never).
type Expiring<T> = (T, Option<Instant>);

struct Inner {
    /// Documents as written: executions typed (read back without parsing), others as JSON.
    docs: HashMap<(Doc, String), Expiring<StoredDoc>>,
    lists: HashMap<(Index, String), Expiring<VecDeque<String>>>,
    tokens: HashMap<String, Expiring<String>>,
    vars: HashMap<String, Expiring<HashMap<String, String>>>,
    transcripts: IndexMap<Box<str>, StoredTranscript>,
    /// Transcript entries' halves, statuses and times, shared between transcripts and with the
    /// results of the store beside (`Strings`).
    strings: Strings,
    oldest_transcripts: Oldest<Box<str>>,
    timers: BTreeSet<(u64, String)>,
    due: HashMap<String, u64>,
    writes: u64,
}

impl Default for Inner {
    fn default() -> Self {
        Inner {
            docs: HashMap::new(),
            lists: HashMap::new(),
            tokens: HashMap::new(),
            vars: HashMap::new(),
            transcripts: IndexMap::new(),
            strings: Strings::default(),
            oldest_transcripts: Oldest::new(DEFAULT_MAX_RESULTS),
            timers: BTreeSet::new(),
            due: HashMap::new(),
            writes: 0,
        }
    }
}

/// A session's transcript as kept: its entries split into shared halves
/// ([`Interner::halves`]), its status and time shared.
struct StoredTranscript {
    /// Oldest first; once the cap is reached, a ring whose oldest entry is at `head` (an
    /// append then overwrites the oldest entries in place instead of moving the whole box).
    entries: Box<[(Arc<str>, Arc<str>)]>,
    /// Where the ring starts (0 until the transcript is full).
    head: u32,
    status: Arc<str>,
    updated_at: Arc<str>,
    expires: Tick,
    /// The write counter at its last append (the cap drops the oldest first).
    written: u64,
}

/// Records, transcripts and timers in process memory.
#[derive(Default)]
pub struct MemoryRecords {
    inner: Mutex<Inner>,
}

fn expiry(ttl_secs: u64, now: Instant) -> Option<Instant> {
    (ttl_secs > 0).then(|| now + secs(ttl_secs))
}

/// Wait tokens are secrets: compared in constant time.
fn same_token(stored: &str, given: &str) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(stored.as_bytes().ct_eq(given.as_bytes()))
}

fn live<T>(e: &Expiring<T>, now: Instant) -> bool {
    e.1.is_none_or(|at| at > now)
}

impl Inner {
    /// Counts a write; every 4096 writes, drops everything expired.
    fn wrote(&mut self, now: Instant) {
        self.writes += 1;
        if self.writes.is_multiple_of(4096) {
            self.docs.retain(|_, e| live(e, now));
            self.lists.retain(|_, e| live(e, now));
            self.tokens.retain(|_, e| live(e, now));
            self.vars.retain(|_, e| live(e, now));
            let now = Tick::from(now);
            self.transcripts.retain(|_, t| t.expires > now);
        }
    }

    fn unschedule(&mut self, id: &str) {
        if let Some(due) = self.due.remove(id) {
            self.timers.remove(&(due, id.to_string()));
        }
    }

    /// `execution_put` under the lock held.
    fn put_execution(
        &mut self,
        id: &str,
        doc: Arc<dyn ExecutionDoc>,
        token: Option<&str>,
        ttl_secs: u64,
        now: Instant,
    ) {
        let at = expiry(ttl_secs, now);
        let doc = StoredDoc::Typed(doc);
        self.docs
            .insert((Doc::Execution, id.to_string()), (doc, at));
        if let Some(token) = token {
            let at = expiry(ttl_secs.max(1), now);
            self.tokens.insert(id.to_string(), (token.to_string(), at));
        }
        self.wrote(now);
    }

    /// `timer_schedule` under the lock held.
    fn schedule(&mut self, id: &str, due_ms: u64) {
        self.unschedule(id);
        self.timers.insert((due_ms, id.to_string()));
        self.due.insert(id.to_string(), due_ms);
    }
}

impl MemoryRecords {
    /// Records whose transcripts share their strings with the store's results.
    pub(super) fn sharing(strings: Strings) -> Self {
        MemoryRecords {
            inner: Mutex::new(Inner {
                strings,
                ..Inner::default()
            }),
        }
    }

    /// Most transcripts kept (the least recently written go first).
    pub(super) fn set_max_transcripts(&self, max: usize) {
        self.lock().oldest_transcripts.set_cap(max);
    }

    /// Number of transcripts kept (for tests).
    pub fn transcript_count(&self) -> usize {
        self.lock().transcripts.len()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every update is a few inserts or removes: a poisoned lock is recovered.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl MemoryRecords {
    /// A turn's execution write (see [`ExecutionWrite`]): the record, its token and its
    /// timers under one lock.
    pub(super) fn write_execution(&self, w: Option<ExecutionWrite<'_>>) {
        let Some(w) = w else { return };
        let mut g = self.lock();
        g.put_execution(w.id, w.doc.clone(), w.token, w.ttl_secs, Instant::now());
        if let Some((id, due)) = w.timer {
            g.schedule(id, due);
        }
        if let Some(id) = w.cancel {
            g.unschedule(id);
        }
    }
}

impl ExecutionStore for MemoryRecords {
    fn doc_put(
        &self,
        kind: Doc,
        id: &str,
        json: String,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let now = Instant::now();
        let mut g = self.lock();
        let doc = StoredDoc::Json(json);
        g.docs
            .insert((kind, id.to_string()), (doc, expiry(ttl_secs, now)));
        g.wrote(now);
        ready(Ok(()))
    }

    fn doc_get(&self, kind: Doc, id: &str) -> BoxFuture<'_, Result<Option<String>, StoreError>> {
        let now = Instant::now();
        let found = self
            .lock()
            .docs
            .get(&(kind, id.to_string()))
            .filter(|e| live(e, now))
            .map(|e| e.0.clone());
        // A typed document is encoded outside the lock.
        ready(found.map(|d| d.json()).transpose())
    }

    fn index_push(
        &self,
        kind: Index,
        key: &str,
        member: &str,
        max: usize,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let now = Instant::now();
        let mut g = self.lock();
        let entry = g
            .lists
            .entry((kind, key.to_string()))
            .or_insert_with(|| (VecDeque::new(), None));
        if !live(entry, now) {
            entry.0.clear();
        }
        entry.0.push_front(member.to_string());
        entry.0.truncate(max.max(1));
        entry.1 = expiry(ttl_secs, now);
        g.wrote(now);
        ready(Ok(()))
    }

    fn index_list(&self, kind: Index, key: &str) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        let now = Instant::now();
        let g = self.lock();
        let list = g
            .lists
            .get(&(kind, key.to_string()))
            .filter(|e| live(e, now))
            .map(|e| e.0.iter().cloned().collect())
            .unwrap_or_default();
        ready(Ok(list))
    }

    fn token_set(
        &self,
        execution_id: &str,
        token: &str,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let now = Instant::now();
        let mut g = self.lock();
        g.tokens.insert(
            execution_id.to_string(),
            (token.to_string(), expiry(ttl_secs, now)),
        );
        g.wrote(now);
        ready(Ok(()))
    }

    fn execution_put(
        &self,
        id: &str,
        doc: Arc<dyn ExecutionDoc>,
        token: Option<&str>,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let mut g = self.lock();
        g.put_execution(id, doc, token, ttl_secs, Instant::now());
        ready(Ok(()))
    }

    fn vars_merge(
        &self,
        conversation_id: &str,
        vars: Vec<(String, String)>,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let now = Instant::now();
        let mut g = self.lock();
        let entry = g
            .vars
            .entry(conversation_id.to_string())
            .or_insert_with(|| (HashMap::new(), None));
        if !live(entry, now) {
            entry.0.clear();
        }
        entry.0.extend(vars);
        entry.1 = expiry(ttl_secs.max(1), now);
        g.wrote(now);
        ready(Ok(()))
    }

    fn vars_get(
        &self,
        conversation_id: &str,
    ) -> BoxFuture<'_, Result<Vec<(String, String)>, StoreError>> {
        let now = Instant::now();
        let g = self.lock();
        let found = g
            .vars
            .get(conversation_id)
            .filter(|e| live(e, now))
            .map(|e| e.0.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        ready(Ok(found))
    }

    fn token_take_get(
        &self,
        execution_id: &str,
        token: &str,
    ) -> BoxFuture<'_, Result<(bool, Option<StoredDoc>), StoreError>> {
        let now = Instant::now();
        let mut g = self.lock();
        let taken = g
            .tokens
            .get(execution_id)
            .is_some_and(|e| live(e, now) && same_token(&e.0, token));
        if taken {
            g.tokens.remove(execution_id);
        }
        let doc = g
            .docs
            .get(&(Doc::Execution, execution_id.to_string()))
            .filter(|e| live(e, now))
            .map(|e| e.0.clone());
        ready(Ok((taken, doc)))
    }

    fn token_take(
        &self,
        execution_id: &str,
        token: &str,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        let now = Instant::now();
        let mut g = self.lock();
        let matches = g
            .tokens
            .get(execution_id)
            .is_some_and(|e| live(e, now) && same_token(&e.0, token));
        if matches {
            g.tokens.remove(execution_id);
        }
        ready(Ok(matches))
    }
}

impl TimerStore for MemoryRecords {
    fn timer_schedule(&self, id: &str, due_ms: u64) -> BoxFuture<'_, Result<(), StoreError>> {
        self.lock().schedule(id, due_ms);
        ready(Ok(()))
    }

    fn timer_cancel(&self, id: &str) -> BoxFuture<'_, Result<(), StoreError>> {
        self.lock().unschedule(id);
        ready(Ok(()))
    }

    fn timer_claim(
        &self,
        now_ms: u64,
        lease_ms: u64,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        let mut g = self.lock();
        let claimed: Vec<String> = g
            .timers
            .iter()
            .take_while(|(due, _)| *due <= now_ms)
            .take(limit)
            .map(|(_, id)| id.clone())
            .collect();
        let until = now_ms.saturating_add(lease_ms);
        for id in &claimed {
            g.unschedule(id);
            g.timers.insert((until, id.clone()));
            g.due.insert(id.clone(), until);
        }
        ready(Ok(claimed))
    }

    fn timer_stats(&self) -> BoxFuture<'_, Result<TimerStats, StoreError>> {
        let g = self.lock();
        ready(Ok(TimerStats {
            pending: g.timers.len() as u64,
            earliest_due_ms: g.timers.first().map(|(due, _)| *due),
        }))
    }
}
