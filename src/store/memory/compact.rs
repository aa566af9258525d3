//! What keeps the in-memory maps small and bounded: an [`Interner`] sharing equal strings
//! between entries (the same bot message in every session's transcript, one flow id for all
//! its results), and [`Oldest`], which keeps a map under its cap by dropping the least
//! recently written entries first.
//!
//! Measured with `scripts/mem-sessions.sh` (docs/PERFORMANCE.md): before these, an idle
//! session with its result and transcript took about 1.9 KB, most of it copies of the same
//! strings and the slack of grown buffers.

use std::collections::{HashSet, VecDeque};
use std::hash::Hash;
use std::ops::{Add, Sub};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use indexmap::IndexMap;

/// Equal strings stored once. A string nobody holds any more is forgotten by a purge that
/// runs once as many strings were added as were live after the last one (amortised O(1)), so
/// the set stays within about twice the strings in use.
#[derive(Default)]
pub(super) struct Interner {
    set: HashSet<Arc<str>>,
    /// Strings added since the last purge, and how many that purge kept.
    added: usize,
    kept: usize,
}

impl Interner {
    /// The shared copy of `s`.
    pub(super) fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.set.get(s) {
            return a.clone();
        }
        self.added += 1;
        if self.added > self.kept.max(1024) {
            // Only the set's own reference left: no entry uses it.
            self.set.retain(|a| Arc::strong_count(a) > 1);
            self.added = 0;
            self.kept = self.set.len();
        }
        let a: Arc<str> = Arc::from(s);
        self.set.insert(a.clone());
        a
    }

    /// `s` as two shared halves, split before its last comma: a JSON document whose last
    /// field changes from copy to copy (a time) shares everything before it. Any string
    /// splits losslessly ([`joined`]); the split only decides what is shared.
    pub(super) fn halves(&mut self, s: &str) -> (Arc<str>, Arc<str>) {
        let (a, b) = s.split_at(s.rfind(',').unwrap_or(0));
        (self.get(a), self.get(b))
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.set.len()
    }
}

/// An [`Interner`] shared by the store's maps under a lock of its own, taken last (inside a
/// map's lock, never around one): a result's time is mostly its transcript's.
#[derive(Clone, Default)]
pub(super) struct Strings(Arc<Mutex<Interner>>);

impl Strings {
    pub(super) fn lock(&self) -> MutexGuard<'_, Interner> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The string [`Interner::halves`] split.
pub(super) fn joined((a, b): &(Arc<str>, Arc<str>)) -> String {
    let mut s = String::with_capacity(a.len() + b.len());
    s.push_str(a);
    s.push_str(b);
    s
}

/// Keeps an `IndexMap` at most `cap` entries, dropping the least recently written first.
/// Each entry carries the write counter of its last write; over the cap, one scan picks the
/// oldest `cap / 16` entries (or the excess, if larger) as the next to go, so a write pays
/// for a scan only once every `cap / 16` evictions. An entry written again since the scan
/// carries a newer counter and is skipped: it is among the newest now.
pub(super) struct Oldest<K> {
    cap: usize,
    next: VecDeque<(u64, K)>,
}

impl<K: Hash + Eq + Clone> Oldest<K> {
    pub(super) fn new(cap: usize) -> Self {
        Oldest {
            cap: cap.max(1),
            next: VecDeque::new(),
        }
    }

    pub(super) fn set_cap(&mut self, cap: usize) {
        self.cap = cap.max(1);
        self.next.clear();
    }

    /// Drops the least recently written entries until at most `cap` are left.
    pub(super) fn trim<V>(&mut self, map: &mut IndexMap<K, V>, written: impl Fn(&V) -> u64) {
        while map.len() > self.cap {
            let Some((w, k)) = self.next.pop_front() else {
                self.pick(map, &written);
                continue;
            };
            if map.get(&k).is_some_and(|v| written(v) == w) {
                map.swap_remove(&k);
            }
        }
    }

    fn pick<V>(&mut self, map: &IndexMap<K, V>, written: &impl Fn(&V) -> u64) {
        let n = (map.len() - self.cap).max(self.cap / 16).min(map.len());
        let mut all: Vec<(u64, usize)> = map
            .values()
            .enumerate()
            .map(|(i, v)| (written(v), i))
            .collect();
        if n < all.len() {
            all.select_nth_unstable(n);
            all.truncate(n);
        }
        all.sort_unstable();
        self.next = all
            .into_iter()
            .filter_map(|(w, i)| map.get_index(i).map(|(k, _)| (w, k.clone())))
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_strings_are_shared_and_unused_ones_forgotten() {
        let mut i = Interner::default();
        let a = i.get("hello");
        let b = i.get("hello");
        assert!(Arc::ptr_eq(&a, &b));
        let (x, y) = i.halves(r#"{"message":{"a":1,"b":2},"at":"t1"}"#);
        assert_eq!(&*y, r#","at":"t1"}"#);
        assert_eq!(joined(&(x, y)), r#"{"message":{"a":1,"b":2},"at":"t1"}"#);
        assert_eq!(joined(&i.halves("no comma")), "no comma");
        drop((a, b));
        for n in 0..5000 {
            i.get(&n.to_string());
        }
        assert!(i.len() <= 2 * 1024 + 2, "{} strings kept", i.len());
    }

    #[test]
    fn the_cap_drops_the_least_recently_written_first() {
        let mut map: IndexMap<u32, u64> = IndexMap::new();
        let mut oldest = Oldest::new(100);
        let mut clock = 0;
        for k in 0..1000u32 {
            clock += 1;
            map.insert(k, clock);
            // Key 0 is written again each time: it stays among the newest.
            clock += 1;
            map.insert(0, clock);
            oldest.trim(&mut map, |w| *w);
            assert!(map.len() <= 100);
        }
        let mut kept: Vec<u32> = map.keys().copied().collect();
        kept.sort_unstable();
        let mut newest: Vec<u32> = (901..1000).collect();
        newest.insert(0, 0);
        assert_eq!(kept, newest);
    }
}

/// A point in time as the maps keep it: milliseconds since the process's first use of the
/// store, 8 bytes where an `Instant` takes 16 (three of them per idle session).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Tick(u64);

impl Tick {
    pub(super) fn now() -> Tick {
        Tick::from(Instant::now())
    }
}

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

impl From<Instant> for Tick {
    fn from(i: Instant) -> Tick {
        Tick(millis(i.saturating_duration_since(epoch())))
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Add<Duration> for Tick {
    type Output = Tick;
    fn add(self, d: Duration) -> Tick {
        Tick(self.0.saturating_add(millis(d)))
    }
}

impl Sub<Duration> for Tick {
    type Output = Tick;
    fn sub(self, d: Duration) -> Tick {
        Tick(self.0.saturating_sub(millis(d)))
    }
}
