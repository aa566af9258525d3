//! What the timer loop reports: the timer set as the queue `timers` (its depth and how
//! overdue its earliest timer is, read from the store when /metrics is scraped), how late each
//! fired timer ran (`tessera_timer_lateness_seconds`: when it was resumed minus its
//! `resume_at`) and what firing did (`tessera_timers_fired_total`).

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use super::timers::now_ms;
use crate::store::TimerStore;
use crate::telemetry::metrics::probes::{self, ProbeFuture, QueueProbe, QueueStats};
use crate::telemetry::metrics::{self, Counter, Histogram};

/// What firing a timer did.
#[derive(Debug, Clone, Copy)]
pub(super) enum Fired {
    /// The paused execution was resumed.
    Resumed = 0,
    /// Nothing to resume (resumed or aborted meanwhile): the timer was dropped.
    Dropped = 1,
    /// The session was busy or the store failed: claimed again after its lease.
    Retried = 2,
}

struct TimerMetrics {
    fired: Vec<Counter>,
    lateness: Histogram,
}

static TIMERS: LazyLock<TimerMetrics> = LazyLock::new(|| {
    let lateness = Histogram::latency();
    metrics::register(
        "tessera_timer_lateness_seconds",
        "How late a Wait block's timer resumed its execution (resume time minus resume_at)",
        lateness.clone(),
    );
    TimerMetrics {
        fired: metrics::counters(
            "tessera_timers_fired",
            "Timers fired by this process, per outcome",
            ["resumed", "dropped", "retried"].map(|o| [("outcome", o)]),
        ),
        lateness,
    }
});

/// Counts a fired timer; `due_ms` (the pause's `resume_at`) gives its lateness.
pub(super) fn fired(outcome: Fired, due_ms: Option<u64>) {
    let m = &*TIMERS;
    if let Some(c) = m.fired.get(outcome as usize) {
        c.inc();
    }
    if let (Fired::Resumed, Some(due)) = (outcome, due_ms) {
        m.lateness
            .observe(Duration::from_millis(now_ms().saturating_sub(due)));
    }
}

/// The pause's `resume_at` (RFC 3339) in milliseconds since the epoch.
pub(super) fn due_ms(resume_at: Option<&str>) -> Option<u64> {
    let at = chrono::DateTime::parse_from_rfc3339(resume_at?).ok()?;
    u64::try_from(at.timestamp_millis()).ok()
}

/// The timer set, as a queue for /metrics.
struct TimerQueue(Arc<dyn TimerStore>);

impl QueueProbe for TimerQueue {
    fn stats(&self) -> ProbeFuture<'_, Option<QueueStats>> {
        Box::pin(async move {
            let s = self.0.timer_stats().await.ok()?;
            let now = now_ms();
            let lag_ms = s.earliest_due_ms.map_or(0, |due| now.saturating_sub(due));
            Some(QueueStats {
                depth: s.pending,
                lag_seconds: Some(lag_ms as f64 / 1000.0),
            })
        })
    }
}

/// Registers the timer metrics and the timer set as the queue `timers`.
pub(super) fn register(timers: Arc<dyn TimerStore>) {
    LazyLock::force(&TIMERS);
    probes::register_queue("timers", Arc::new(TimerQueue(timers)));
}
