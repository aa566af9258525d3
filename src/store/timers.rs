//! Durable timers: an id due at a wall-clock time (milliseconds since the Unix epoch). Claiming
//! is atomic: a claimed timer is pushed back by a lease, so no other process claims it while
//! it runs, and one whose claimer died is claimed again once the lease is over. The claimer
//! cancels it when it has run. On Redis this is one sorted set, so timers survive restarts and
//! are shared by every server process.

use super::{BoxFuture, StoreError};

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
}
