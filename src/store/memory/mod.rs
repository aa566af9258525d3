//! The embedded in-memory store: the default for `tessera serve` and the reference
//! implementation of the session, idempotency and result contracts (flows: [`MemoryFlowStore`]). Expired entries are purged lazily on access and by
//! an incremental sweep: every few calls look at a few more entries, round and round, so
//! nothing accumulates without bound and no call pays for a scan of the whole store (whose
//! cost grew with the number of sessions and results kept).

use std::collections::BTreeMap;
use std::ops::Bound;

use indexmap::IndexMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

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

use super::{
    EXPIRED_GRACE_SECS, FINISHED_MARKER_SECS, Leased, ResultRecord, StoreError, StoredResponse,
};

enum Entry {
    Active {
        data: Vec<u8>,
        version: u64,
        lease: Option<(String, Instant)>,
        expires: Instant,
        forget: Instant,
        /// The last applied trigger event ([`Leased::mark`]).
        mark: u64,
    },
    Finished {
        forget: Instant,
        mark: u64,
    },
}

#[derive(Default)]
struct Inner {
    sessions: IndexMap<String, Entry>,
    idempotency: IndexMap<String, (StoredResponse, Instant)>,
    /// Claim owners' liveness (one entry per server process: never swept).
    owners: std::collections::HashMap<String, Instant>,
    results: IndexMap<String, BTreeMap<String, (ResultRecord, Instant)>>,
    cursor: Cursor,
}

/// Where the incremental sweep goes on from.
#[derive(Default)]
struct Cursor {
    session: usize,
    idempotency: usize,
    flow: usize,
    result: Option<String>,
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
        Self {
            inner: Mutex::default(),
            records: std::sync::Arc::default(),
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

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Inner, Instant) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let now = Instant::now();
        // A panic while the lock was held cannot leave the maps inconsistent (every update is a
        // single insert or remove), so a poisoned lock is recovered rather than failing forever.
        let mut g = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let out = f(&mut g, now);
        if self
            .writes
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(SWEEP_EVERY)
        {
            sweep(&mut g, now, SWEEP_STEP);
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
        self.inner.lock().map(|g| g.sessions.len()).unwrap_or(0)
    }
}

/// Every `SWEEP_EVERY` calls, the sweep looks at `SWEEP_STEP` entries of each map: four per
/// call, more than any call adds, so expired entries go within one round of the maps.
const SWEEP_EVERY: u64 = 8;
const SWEEP_STEP: usize = 32;

fn sweep(g: &mut Inner, now: Instant, step: usize) {
    let Inner {
        sessions,
        idempotency,
        results,
        cursor,
        owners: _,
    } = g;
    sweep_some(sessions, &mut cursor.session, step, |e| match e {
        Entry::Active { forget, .. } | Entry::Finished { forget, .. } => *forget <= now,
    });
    sweep_some(idempotency, &mut cursor.idempotency, step, |(_, exp)| {
        *exp <= now
    });
    sweep_results(results, cursor, now, step);
}

/// Looks at up to `n` entries of `map` from `cursor` on (wrapping), removing expired ones.
fn sweep_some<V>(
    map: &mut IndexMap<String, V>,
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

/// Looks at up to `n` results of the flow under the cursor, then moves to the next flow.
fn sweep_results(
    results: &mut IndexMap<String, BTreeMap<String, (ResultRecord, Instant)>>,
    cursor: &mut Cursor,
    now: Instant,
    n: usize,
) {
    if results.is_empty() {
        return;
    }
    if cursor.flow >= results.len() {
        cursor.flow = 0;
        cursor.result = None;
    }
    let Some((_, flow)) = results.get_index_mut(cursor.flow) else {
        return;
    };
    let from = match &cursor.result {
        Some(r) => Bound::Excluded(r.clone()),
        None => Bound::Unbounded,
    };
    let mut seen = 0;
    let mut last = None;
    let mut gone = Vec::new();
    for (id, (_, exp)) in flow.range((from, Bound::Unbounded)).take(n) {
        seen += 1;
        last = Some(id.clone());
        if *exp <= now {
            gone.push(id.clone());
        }
    }
    for id in gone {
        flow.remove(&id);
    }
    if seen < n {
        // This flow is done: on to the next one (dropping it if it is empty now).
        cursor.result = None;
        if flow.is_empty() {
            results.swap_remove_index(cursor.flow);
        } else {
            cursor.flow += 1;
        }
    } else {
        cursor.result = last;
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
    now: Instant,
) -> Result<&'a mut Entry, StoreError> {
    let Some(e) = entry else {
        return Err(StoreError::Busy);
    };
    let ok = matches!(&*e, Entry::Active { version, lease, expires, .. }
        if *expires > now
            && *version == leased.version
            && lease.as_ref().map(|(l, _)| l.as_str()) == Some(leased.lease.as_str()));
    if ok { Ok(e) } else { Err(StoreError::Busy) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ResultUpdate;

    fn result(id: &str) -> ResultRecord {
        ResultRecord::new(&ResultUpdate {
            flow_id: "f".into(),
            result_id: id.into(),
            at: "2024-05-01T10:00:00Z".into(),
            answers: vec![],
            variables: serde_json::Map::new(),
            logs: vec![],
            completed: false,
            token_usage: None,
        })
    }

    #[test]
    fn the_sweep_removes_every_expired_entry_in_bounded_steps_and_keeps_live_ones() {
        let now = Instant::now();
        let past = now - Duration::from_secs(1);
        let later = now + Duration::from_secs(60);
        let mut g = Inner::default();
        for i in 0..1000 {
            let forget = if i % 3 == 0 { later } else { past };
            g.sessions
                .insert(format!("s{i}"), Entry::Finished { forget, mark: 0 });
            let exp = if i % 4 == 0 { later } else { past };
            g.idempotency.insert(
                format!("k{i}"),
                (
                    StoredResponse {
                        fingerprint: String::new(),
                        status: 200,
                        body: String::new(),
                    },
                    exp,
                ),
            );
            let flow = g.results.entry(format!("f{}", i % 7)).or_default();
            let exp = if i % 5 == 0 { later } else { past };
            flow.insert(format!("r{i}"), (result(&format!("r{i}")), exp));
        }
        // Each step looks at a bounded number of entries; enough steps go round every map.
        for _ in 0..200 {
            sweep(&mut g, now, 32);
        }
        assert_eq!(g.sessions.len(), 334);
        assert!(
            g.sessions
                .keys()
                .all(|k| k[1..].parse::<u32>().unwrap() % 3 == 0)
        );
        assert_eq!(g.idempotency.len(), 250);
        let results: usize = g.results.values().map(BTreeMap::len).sum();
        assert_eq!(results, 200);
        // Once everything expired, flows without results are dropped too.
        for _ in 0..200 {
            sweep(&mut g, later + Duration::from_secs(1), 32);
        }
        assert!(g.sessions.is_empty() && g.idempotency.is_empty() && g.results.is_empty());
    }
}
