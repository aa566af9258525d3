//! The embedded in-memory store: the default for `tessera serve` and the reference
//! implementation of the session, idempotency and result contracts (flows: [`MemoryFlowStore`]). Expired entries are purged lazily on access and by
//! an incremental sweep: every few calls look at a few more entries, round and round, so
//! nothing accumulates without bound and no call pays for a scan of the whole store (whose
//! cost grew with the number of sessions and results kept).

use std::sync::{Arc, Mutex};

use indexmap::IndexMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

mod compact;
mod credentials;
mod events;
mod flows;
mod idempotency;
mod records;
mod results;
mod sessions;

pub use credentials::MemoryCredentialStore;
pub use events::MemoryEvents;
pub use flows::MemoryFlowStore;
pub use records::MemoryRecords;

use compact::{Oldest, Strings, Tick};

use super::{
    AnswerRecord, EXPIRED_GRACE_SECS, FINISHED_MARKER_SECS, Leased, StoreError, StoredResponse,
};

/// A session. Sized for many idle ones: the encoded state only (no spare capacity), the
/// lease boxed (held during a turn only), the "forget" time of an active one derived from its
/// expiry.
enum Entry {
    Active {
        data: Box<[u8]>,
        version: u64,
        lease: Option<Box<(String, Tick)>>,
        expires: Tick,
        /// The last applied trigger event ([`Leased::mark`]).
        mark: u64,
    },
    Finished {
        forget: Tick,
        mark: u64,
    },
}

/// A result as kept: the record without the ids its key holds, its times shared, its
/// answers, variables and logs boxed and absent while empty (an idle session's result).
struct StoredResult {
    created_at: Arc<str>,
    updated_at: Arc<str>,
    has_started: bool,
    is_completed: bool,
    body: Option<Box<ResultBody>>,
    expires: Tick,
    /// The store's write counter at its last write (the cap drops the oldest first).
    written: u64,
}

#[derive(Default)]
struct ResultBody {
    answers: Vec<AnswerRecord>,
    variables: serde_json::Map<String, serde_json::Value>,
    logs: Vec<serde_json::Value>,
    token_usage: Option<serde_json::Value>,
}

/// A result's key: its flow (shared) and its id.
#[derive(Clone, PartialEq, Eq, Hash)]
struct ResultKey {
    flow: Arc<str>,
    id: Box<str>,
}

/// A borrowed [`ResultKey`] for lookups (hashes as the key does: the two strings in order).
#[derive(Hash)]
struct KeyRef<'a> {
    flow: &'a str,
    id: &'a str,
}

impl indexmap::Equivalent<ResultKey> for KeyRef<'_> {
    fn equivalent(&self, key: &ResultKey) -> bool {
        *key.flow == *self.flow && *key.id == *self.id
    }
}

struct Inner {
    sessions: IndexMap<Box<str>, Entry>,
    idempotency: IndexMap<Box<str>, (StoredResponse, Tick)>,
    /// Claim owners' liveness (one entry per server process: never swept).
    owners: std::collections::HashMap<String, Tick>,
    results: IndexMap<ResultKey, StoredResult>,
    /// Flow ids and result times, shared between results.
    strings: Strings,
    oldest_results: Oldest<ResultKey>,
    /// The "finished" markers in the order they were written, at most `max_finished` of them:
    /// beyond, the oldest marker goes (its session then reads as unknown, not finished).
    finished: std::collections::VecDeque<(Box<str>, Tick)>,
    max_finished: usize,
    writes: u64,
    cursor: Cursor,
}

impl Inner {
    /// Ends session `id` with a "finished" marker (kept until `forget`, and within the cap).
    fn finish(&mut self, id: &str, forget: Tick, mark: u64) {
        match self.sessions.get_mut(id) {
            Some(e) => *e = Entry::Finished { forget, mark },
            None => {
                self.sessions
                    .insert(id.into(), Entry::Finished { forget, mark });
            }
        }
        self.finished.push_back((id.into(), forget));
        while self.finished.len() > self.max_finished.max(1) {
            let Some((old, at)) = self.finished.pop_front() else {
                break;
            };
            // Only the marker this entry recorded (not a session re-created since).
            if matches!(self.sessions.get(&*old), Some(Entry::Finished { forget, .. }) if *forget == at)
            {
                self.sessions.swap_remove(&*old);
            }
        }
    }
}

impl Default for Inner {
    fn default() -> Self {
        Inner {
            sessions: IndexMap::new(),
            idempotency: IndexMap::new(),
            owners: std::collections::HashMap::new(),
            results: IndexMap::new(),
            strings: Strings::default(),
            oldest_results: Oldest::new(DEFAULT_MAX_RESULTS),
            finished: std::collections::VecDeque::new(),
            max_finished: DEFAULT_MAX_RESULTS,
            writes: 0,
            cursor: Cursor::default(),
        }
    }
}

/// Results (and transcripts, and "finished" markers) the memory store keeps at most by default: beyond, the least
/// recently written go first. About 100 MB for finished conversations of a few turns.
pub const DEFAULT_MAX_RESULTS: usize = 100_000;

/// Where the incremental sweep goes on from.
#[derive(Default)]
struct Cursor {
    session: usize,
    idempotency: usize,
    result: usize,
}

/// Sessions, idempotency records and results in process memory; beside them, under a lock of
/// their own, the engine-API records, transcripts and timers ([`MemoryStore::records`]).
pub struct MemoryStore {
    inner: Mutex<Inner>,
    records: std::sync::Arc<MemoryRecords>,
    writes: AtomicU64,
    leases: AtomicU64,
    finished_marker: Duration,
    expired_grace: Duration,
}

impl Default for MemoryStore {
    fn default() -> Self {
        let strings = Strings::default();
        Self {
            inner: Mutex::new(Inner {
                strings: strings.clone(),
                ..Inner::default()
            }),
            records: Arc::new(MemoryRecords::sharing(strings)),
            writes: AtomicU64::new(0),
            leases: AtomicU64::new(0),
            finished_marker: secs(FINISHED_MARKER_SECS),
            expired_grace: secs(EXPIRED_GRACE_SECS),
        }
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// How long the "finished" and "expired" markers are kept (short values for tests).
    pub fn with_marker_durations(mut self, finished: Duration, expired_grace: Duration) -> Self {
        self.finished_marker = finished;
        self.expired_grace = expired_grace;
        self
    }

    /// Most results, and most transcripts, kept (the least recently written go first; at
    /// least one). [`DEFAULT_MAX_RESULTS`] otherwise.
    pub fn with_max_results(self, max: usize) -> Self {
        {
            let mut g = self.lock();
            g.oldest_results.set_cap(max);
            g.max_finished = max.max(1);
        }
        self.records.set_max_transcripts(max);
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while the lock was held cannot leave the maps inconsistent (every update is a
        // single insert or remove), so a poisoned lock is recovered rather than failing forever.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Inner, Tick) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let now = Tick::now();
        let mut g = self.lock();
        let out = f(&mut g, now);
        if self
            .writes
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(SWEEP_EVERY)
        {
            sweep(&mut g, now, self.expired_grace, SWEEP_STEP);
        }
        out
    }

    fn new_lease(&self) -> String {
        format!(
            "{}-{}",
            self.leases.fetch_add(1, Ordering::Relaxed),
            crate::ids::new_id()
        )
    }

    /// The records, transcripts and timers kept beside the sessions (a turn's save writes its
    /// transcript there).
    pub fn records(&self) -> std::sync::Arc<MemoryRecords> {
        self.records.clone()
    }

    /// Number of live session entries (for tests and metrics).
    pub fn session_count(&self) -> usize {
        self.lock().sessions.len()
    }

    /// Number of results kept (for tests).
    pub fn result_count(&self) -> usize {
        self.lock().results.len()
    }
}

/// Every `SWEEP_EVERY` calls, the sweep looks at `SWEEP_STEP` entries of each map: four per
/// call, more than any call adds, so expired entries go within one round of the maps.
const SWEEP_EVERY: u64 = 8;
const SWEEP_STEP: usize = 32;

fn sweep(g: &mut Inner, now: Tick, grace: Duration, step: usize) {
    let Inner {
        sessions,
        idempotency,
        results,
        cursor,
        ..
    } = g;
    sweep_some(sessions, &mut cursor.session, step, |e| match e {
        Entry::Active { expires, .. } => *expires + grace <= now,
        Entry::Finished { forget, .. } => *forget <= now,
    });
    sweep_some(idempotency, &mut cursor.idempotency, step, |(_, exp)| {
        *exp <= now
    });
    sweep_some(results, &mut cursor.result, step, |r| r.expires <= now);
}

/// Looks at up to `n` entries of `map` from `cursor` on (wrapping), removing expired ones.
fn sweep_some<K: std::hash::Hash + Eq, V>(
    map: &mut IndexMap<K, V>,
    cursor: &mut usize,
    n: usize,
    expired: impl Fn(&V) -> bool,
) {
    for _ in 0..n.min(map.len()) {
        if *cursor >= map.len() {
            *cursor = 0;
        }
        match map.get_index(*cursor) {
            // The last entry moves into this slot: look at the same index next.
            Some((_, v)) if expired(v) => {
                map.swap_remove_index(*cursor);
            }
            Some(_) => *cursor += 1,
            None => return,
        }
    }
}

/// Longest duration the store keeps anything (ten years): larger TTLs are clamped, so adding
/// them to `Instant::now()` can never overflow.
const MAX_SECS: u64 = 10 * 365 * 86_400;

fn secs(s: u64) -> Duration {
    let s = s.min(MAX_SECS);
    Duration::from_secs(s)
}

/// The entry a turn may save: still active (a session that expired during its turn is not
/// brought back), at the version the turn loaded, under its lease.
fn check_lease<'a>(
    entry: Option<&'a mut Entry>,
    leased: &Leased,
    now: Tick,
) -> Result<&'a mut Entry, StoreError> {
    let Some(e) = entry else {
        return Err(StoreError::Busy);
    };
    let ok = matches!(&*e, Entry::Active { version, lease, expires, .. }
        if *expires > now
            && *version == leased.version
            && lease.as_ref().map(|l| l.0.as_str()) == Some(leased.lease.as_str()));
    if ok { Ok(e) } else { Err(StoreError::Busy) }
}

#[cfg(test)]
mod tests;
