//! The process's metrics, exposed by `GET /metrics` in the Prometheus text format (0.0.4).
//! This module owns the one registry, the primitives the layers record with, and the probes
//! read when /metrics is scraped ([`probes`]); each layer defines and records its own metrics
//! (`api::metrics`: requests and errors, `conversation::metrics`: turns, `store::metered`:
//! store operations, `eval::js`: evaluations, the timer loop: timer lateness and the timer
//! queue). The exposition is written by `prometheus-client`'s encoder, never by hand.
//!
//! The hot path pays for atomics only: every label set is registered at start-up and its
//! handle kept (a route's histogram is resolved by the route's index, an error code's counter
//! by the code), so recording is a `fetch_add` or two; no lock, no allocation, no label
//! lookup. Metrics are per process (as Prometheus scrapes them): several servers built in one
//! process (tests) share them.

pub mod histogram;
pub mod probes;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{LazyLock, Mutex};

use prometheus_client::registry::{Metric, Registry};

pub use histogram::Histogram;
pub use prometheus_client::metrics::counter::Counter;
pub use prometheus_client::metrics::family::Family;
pub use prometheus_client::metrics::gauge::Gauge;

static RECORDING: AtomicBool = AtomicBool::new(true);

/// Whether the layers record (true unless [`stop_recording`] was called). Every recording
/// function checks it first, so a process that serves with `metrics = "off"` pays one relaxed
/// load per would-be observation and nothing else.
#[inline]
pub fn recording() -> bool {
    RECORDING.load(Ordering::Relaxed)
}

/// Stops every recording in this process, for good: `tessera serve` with `metrics = "off"`
/// (one server per process). Not called by [`crate::server::build_state`], because tests
/// build several servers in one process and the others still record.
pub fn stop_recording() {
    RECORDING.store(false, Ordering::Relaxed);
}

/// The `Content-Type` of the exposition.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// A metric's label set, fixed when it is registered.
pub type Labels<const N: usize> = [(&'static str, &'static str); N];

/// A gauge holding a float (seconds, estimates).
pub type FloatGauge = Gauge<f64, std::sync::atomic::AtomicU64>;

static REGISTRY: LazyLock<Mutex<Registry>> = LazyLock::new(|| Mutex::new(Registry::default()));

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    // Registration and scrapes only: a panic elsewhere cannot leave the registry half-written.
    REGISTRY
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Registers a metric (a counter's name without `_total`: the encoder adds it). Called once
/// per metric, when the layer that owns it builds its handles.
pub fn register(name: &str, help: &str, metric: impl Metric) {
    registry().register(name, help, metric);
}

/// The exposition of every registered metric (call [`probes::refresh`] first for the gauges
/// read at scrape time).
pub fn render() -> String {
    let mut out = String::with_capacity(64 * 1024);
    let encoded = prometheus_client::encoding::prometheus_text::encode(&mut out, &registry());
    if encoded.is_err() {
        tracing::error!("metrics could not be encoded");
    }
    out
}

/// A counter per label set, registered as one family; the handles come back in the order of
/// `label_sets`.
pub fn counters<const N: usize>(
    name: &str,
    help: &str,
    label_sets: impl IntoIterator<Item = Labels<N>>,
) -> Vec<Counter> {
    let family = Family::<Labels<N>, Counter>::default();
    let handles = label_sets
        .into_iter()
        .map(|l| family.get_or_create_owned(&l))
        .collect();
    register(name, help, family);
    handles
}

/// A histogram per label set (with the given bucket bounds, seconds), registered as one
/// family; the handles come back in the order of `label_sets`.
pub fn histograms<const N: usize>(
    name: &str,
    help: &str,
    buckets: fn() -> Histogram,
    label_sets: impl IntoIterator<Item = Labels<N>>,
) -> Vec<Histogram> {
    let family = Family::<Labels<N>, Histogram, fn() -> Histogram>::new_with_constructor(buckets);
    let handles = label_sets
        .into_iter()
        .map(|l| family.get_or_create_owned(&l))
        .collect();
    register(name, help, family);
    handles
}
