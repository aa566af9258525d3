//! The embedded in-memory store: the default for `tessera serve` and the reference
//! implementation of the [`Store`] contract. Expired entries are purged lazily on access and by
//! an incremental sweep: every few calls look at a few more entries, round and round, so
//! nothing accumulates without bound and no call pays for a scan of the whole store (whose
//! cost grew with the number of sessions and results kept).

use std::collections::BTreeMap;
use std::ops::Bound;

use indexmap::IndexMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::{
    BoxFuture, EXPIRED_GRACE_SECS, FINISHED_MARKER_SECS, Leased, Loaded, ResultRecord,
    ResultUpdate, ResultsPage, Store, StoreError, StoredResponse, ready,
};

enum Entry {
    Active {
        data: Vec<u8>,
        version: u64,
        lease: Option<(String, Instant)>,
        expires: Instant,
        forget: Instant,
    },
    Finished {
        forget: Instant,
    },
}

#[derive(Default)]
struct Inner {
    sessions: IndexMap<String, Entry>,
    idempotency: IndexMap<String, (StoredResponse, Instant)>,
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

/// Sessions, idempotency records and results in process memory.
pub struct MemoryStore {
    inner: Mutex<Inner>,
    writes: AtomicU64,
    leases: AtomicU64,
    finished_marker: Duration,
    expired_grace: Duration,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self {
            inner: Mutex::default(),
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
    } = g;
    sweep_some(sessions, &mut cursor.session, step, |e| match e {
        Entry::Active { forget, .. } | Entry::Finished { forget } => *forget <= now,
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

impl Store for MemoryStore {
    fn create(
        &self,
        id: &str,
        data: Vec<u8>,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        ready(self.with(|g, now| {
            if matches!(g.sessions.get(id), Some(Entry::Active { expires, .. }) if *expires > now) {
                return Err(StoreError::Busy);
            }
            let expires = now + secs(ttl_secs);
            g.sessions.insert(
                id.to_string(),
                Entry::Active {
                    data,
                    version: 1,
                    lease: None,
                    expires,
                    forget: expires + self.expired_grace,
                },
            );
            Ok(())
        }))
    }

    fn create_finished(&self, id: &str) -> BoxFuture<'_, Result<(), StoreError>> {
        ready(self.with(|g, now| {
            g.sessions.insert(
                id.to_string(),
                Entry::Finished {
                    forget: now + self.finished_marker,
                },
            );
            Ok(())
        }))
    }

    fn begin_turn(&self, id: &str, lease_ms: u64) -> BoxFuture<'_, Result<Loaded, StoreError>> {
        let token = self.new_lease();
        ready(self.with(|g, now| {
            let Some(entry) = g.sessions.get_mut(id) else {
                return Ok(Loaded::Missing);
            };
            match entry {
                Entry::Finished { forget } if *forget > now => Ok(Loaded::Finished),
                Entry::Finished { .. } => Ok(Loaded::Missing),
                Entry::Active {
                    expires, forget, ..
                } if *expires <= now => Ok(if *forget > now {
                    Loaded::Expired
                } else {
                    Loaded::Missing
                }),
                Entry::Active {
                    data,
                    version,
                    lease,
                    ..
                } => {
                    if matches!(lease, Some((_, until)) if *until > now) {
                        return Err(StoreError::Busy);
                    }
                    *lease = Some((token.clone(), now + Duration::from_millis(lease_ms)));
                    Ok(Loaded::Active(Leased {
                        data: data.clone(),
                        version: *version,
                        lease: token,
                    }))
                }
            }
        }))
    }

    fn commit_turn(
        &self,
        id: &str,
        data: Vec<u8>,
        leased: &Leased,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        ready(self.with(|g, now| {
            let entry = check_lease(g.sessions.get_mut(id), leased, now)?;
            let expires = now + secs(ttl_secs);
            *entry = Entry::Active {
                data,
                version: leased.version + 1,
                lease: None,
                expires,
                forget: expires + self.expired_grace,
            };
            Ok(())
        }))
    }

    fn finish_turn(&self, id: &str, leased: &Leased) -> BoxFuture<'_, Result<(), StoreError>> {
        ready(self.with(|g, now| {
            let entry = check_lease(g.sessions.get_mut(id), leased, now)?;
            *entry = Entry::Finished {
                forget: now + self.finished_marker,
            };
            Ok(())
        }))
    }

    fn peek(&self, id: &str) -> BoxFuture<'_, Result<Option<Vec<u8>>, StoreError>> {
        ready(self.with(|g, now| {
            Ok(match g.sessions.get(id) {
                Some(Entry::Active { data, expires, .. }) if *expires > now => Some(data.clone()),
                _ => None,
            })
        }))
    }

    fn abort_turn(&self, id: &str, leased: &Leased) -> BoxFuture<'_, Result<(), StoreError>> {
        ready(self.with(|g, now| {
            if let Ok(Entry::Active { lease, .. }) =
                check_lease(g.sessions.get_mut(id), leased, now)
            {
                *lease = None;
            }
            Ok(())
        }))
    }

    fn idempotency_get(
        &self,
        key: &str,
    ) -> BoxFuture<'_, Result<Option<StoredResponse>, StoreError>> {
        ready(self.with(|g, now| {
            Ok(g.idempotency
                .get(key)
                .filter(|(_, exp)| *exp > now)
                .map(|(r, _)| r.clone()))
        }))
    }

    fn idempotency_put(
        &self,
        key: &str,
        response: &StoredResponse,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        let response = response.clone();
        ready(self.with(|g, now| {
            let fresh = ttl_secs > 0 && g.idempotency.get(key).is_none_or(|(_, exp)| *exp <= now);
            if fresh {
                g.idempotency
                    .insert(key.to_string(), (response, now + secs(ttl_secs)));
            }
            Ok(fresh)
        }))
    }

    fn idempotency_replace(
        &self,
        key: &str,
        response: &StoredResponse,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let response = response.clone();
        ready(self.with(|g, now| {
            g.idempotency
                .insert(key.to_string(), (response, now + secs(ttl_secs)));
            Ok(())
        }))
    }

    fn idempotency_release(&self, key: &str) -> BoxFuture<'_, Result<(), StoreError>> {
        ready(self.with(|g, _| {
            g.idempotency.swap_remove(key);
            Ok(())
        }))
    }

    fn record_result(
        &self,
        update: &ResultUpdate,
        retention_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let update = update.clone();
        ready(self.with(|g, now| {
            let results = g.results.entry(update.flow_id.clone()).or_default();
            let exp = now + secs(retention_secs);
            match results.get_mut(&update.result_id) {
                Some((r, e)) => {
                    r.apply(&update);
                    *e = exp;
                }
                None => {
                    results.insert(update.result_id.clone(), (ResultRecord::new(&update), exp));
                }
            }
            Ok(())
        }))
    }

    fn list_results(
        &self,
        flow_id: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> BoxFuture<'_, Result<ResultsPage, StoreError>> {
        let cursor = cursor.map(str::to_string);
        ready(self.with(|g, now| {
            let mut all: Vec<ResultRecord> = g
                .results
                .get(flow_id)
                .map(|m| {
                    m.values()
                        .filter(|(_, e)| *e > now)
                        .map(|(r, _)| r.clone())
                        .collect()
                })
                .unwrap_or_default();
            // Newest first; ties broken by id so pages are stable.
            all.sort_by(|a, b| (&b.created_at, &b.id).cmp(&(&a.created_at, &a.id)));
            Ok(super::results::paginate(all, cursor.as_deref(), limit))
        }))
    }

    fn get_result(
        &self,
        flow_id: &str,
        result_id: &str,
    ) -> BoxFuture<'_, Result<Option<ResultRecord>, StoreError>> {
        ready(self.with(|g, now| {
            Ok(g.results
                .get(flow_id)
                .and_then(|m| m.get(result_id))
                .filter(|(_, e)| *e > now)
                .map(|(r, _)| r.clone()))
        }))
    }

    fn health(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        ready(Ok(()))
    }

    fn kind(&self) -> &'static str {
        "memory"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &str) -> ResultRecord {
        ResultRecord::new(&ResultUpdate {
            flow_id: "f".into(),
            result_id: id.into(),
            at: "2024-05-01T10:00:00Z".into(),
            answers: vec![],
            variables: serde_json::Map::new(),
            logs: vec![],
            completed: false,
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
                .insert(format!("s{i}"), Entry::Finished { forget });
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
