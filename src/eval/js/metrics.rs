//! What the sandbox records: evaluations by outcome (`tessera_js_evaluations_total`) and their
//! time, compilation and awaited jobs included (`tessera_js_evaluation_duration_seconds`).
//! Handles resolved at start-up: an evaluation pays two clock reads and two atomic adds.

use std::sync::LazyLock;
use std::time::Instant;

use super::{JsError, JsOutcome};
use crate::telemetry::metrics::{self, Counter, Histogram};

const OUTCOMES: [&str; 5] = ["ok", "exception", "timeout", "out_of_memory", "internal"];

struct JsMetrics {
    evaluations: Vec<Counter>,
    duration: Histogram,
}

static JS: LazyLock<JsMetrics> = LazyLock::new(|| {
    let duration = Histogram::latency();
    metrics::register(
        "tessera_js_evaluation_duration_seconds",
        "Time of one JavaScript evaluation (compilation and awaited jobs included)",
        duration.clone(),
    );
    JsMetrics {
        evaluations: metrics::counters(
            "tessera_js_evaluations",
            "JavaScript evaluations of bot code, per outcome",
            OUTCOMES.map(|o| [("outcome", o)]),
        ),
        duration,
    }
});

/// Registers the sandbox's metrics (every series present from the first scrape).
pub fn init() {
    LazyLock::force(&JS);
}

/// Records an evaluation that started at `started`.
pub(super) fn record(started: Instant, r: &Result<JsOutcome, JsError>) {
    if !metrics::recording() {
        return;
    }
    let m = &*JS;
    m.duration.observe(started.elapsed());
    let i = match r {
        Ok(_) => 0,
        Err(JsError::Exception(_)) => 1,
        Err(JsError::Timeout) => 2,
        Err(JsError::OutOfMemory) => 3,
        Err(JsError::Internal(_)) => 4,
    };
    if let Some(c) = m.evaluations.get(i) {
        c.inc();
    }
}
