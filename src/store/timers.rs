//! Durable timers: an id due at a wall-clock time (milliseconds since the Unix epoch). Claiming
//! is atomic: a claimed timer is pushed back by a lease, so no other process claims it while
//! it runs, and one whose claimer died is claimed again once the lease is over. The claimer
//! cancels it when it has run. On Redis this is one sorted set, so timers survive restarts and
//! are shared by every server process.

use super::{BoxFuture, StoreError};

/// What `/metrics` reports of the timer set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimerStats {
    /// Timers scheduled (claimed ones included, until cancelled).
    pub pending: u64,
    /// The due time of the earliest (a claimed timer counts at its lease's end).
    pub earliest_due_ms: Option<u64>,
}

pub trait TimerStore: Send + Sync {
    /// Schedules (or reschedules) `id` at `due_ms`.
    fn timer_schedule(&self, id: &str, due_ms: u64) -> BoxFuture<'_, Result<(), StoreError>>;
    /// Forgets `id` (run, or no longer needed).
    fn timer_cancel(&self, id: &str) -> BoxFuture<'_, Result<(), StoreError>>;
    /// Claims up to `limit` timers due at `now_ms`, earliest first, pushing each back to
    /// `now_ms + lease_ms` in the same atomic step.
    fn timer_claim(
        &self,
        now_ms: u64,
        lease_ms: u64,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<String>, StoreError>>;
    /// How many timers are scheduled and when the earliest is due (cheap: for `/metrics`).
    fn timer_stats(&self) -> BoxFuture<'_, Result<TimerStats, StoreError>>;
}
