//! A latency histogram on atomics: fixed bucket bounds, one `fetch_add` for the bucket and one
//! for the sum per observation, no lock and no allocation. prometheus-client's own `Histogram`
//! takes a mutex on every observation; this one plugs into the same encoder through its
//! [`EncodeMetric`] trait, so the exposition is still the crate's.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::{MetricType, TypedMetric};

/// Bucket upper bounds of request and turn latencies, in seconds: 250 µs to 10 s (a memory
/// turn takes about 50 µs of CPU, a Redis turn a few hundred µs, a slow webhook seconds).
pub const LATENCY_BUCKETS: &[f64] = &[
    0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
    10.0,
];

/// Bucket upper bounds of store operations, in seconds: 50 µs (an in-memory operation) to
/// 2.5 s (a Redis timeout).
pub const STORE_BUCKETS: &[f64] = &[
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
    2.5,
];

/// A histogram of durations (recorded in nanoseconds, exposed in seconds). Clones share the
/// same counts.
#[derive(Debug, Clone)]
pub struct Histogram {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Upper bounds in nanoseconds, ascending; the last bucket (+Inf) has no bound.
    bounds: Vec<u64>,
    /// Seconds, for the exposition.
    bounds_secs: Vec<f64>,
    /// Observations per bucket (not cumulative), one more than `bounds` (+Inf).
    counts: Vec<AtomicU64>,
    sum_nanos: AtomicU64,
}

impl Histogram {
    /// A histogram with these upper bounds (seconds, ascending).
    pub fn new(bounds_secs: &[f64]) -> Self {
        let bounds = bounds_secs.iter().map(|s| (s * 1e9) as u64).collect();
        let counts = (0..=bounds_secs.len()).map(|_| AtomicU64::new(0)).collect();
        Histogram {
            inner: Arc::new(Inner {
                bounds,
                bounds_secs: bounds_secs.to_vec(),
                counts,
                sum_nanos: AtomicU64::new(0),
            }),
        }
    }

    /// A latency histogram ([`LATENCY_BUCKETS`]).
    pub fn latency() -> Self {
        Self::new(LATENCY_BUCKETS)
    }

    /// A store-operation histogram ([`STORE_BUCKETS`]).
    pub fn store() -> Self {
        Self::new(STORE_BUCKETS)
    }

    /// Records one duration.
    pub fn observe(&self, d: Duration) {
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let i = self.inner.bounds.partition_point(|&b| b < nanos);
        if let Some(c) = self.inner.counts.get(i) {
            c.fetch_add(1, Ordering::Relaxed);
        }
        self.inner.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// How many observations so far.
    pub fn count(&self) -> u64 {
        self.inner
            .counts
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum()
    }
}

impl TypedMetric for Histogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for Histogram {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        // Per-bucket counts, the last one unbounded: the crate's encoders accumulate them.
        let mut count = 0;
        let mut buckets = Vec::with_capacity(self.inner.counts.len());
        for (i, c) in self.inner.counts.iter().enumerate() {
            let n = c.load(Ordering::Relaxed);
            count += n;
            let bound = self
                .inner
                .bounds_secs
                .get(i)
                .copied()
                .unwrap_or(f64::INFINITY);
            buckets.push((bound, n));
        }
        let sum = self.inner.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_the_first_bucket_whose_bound_they_do_not_exceed() {
        let h = Histogram::new(&[0.001, 0.01]);
        h.observe(Duration::from_micros(500));
        h.observe(Duration::from_millis(1));
        h.observe(Duration::from_millis(5));
        h.observe(Duration::from_secs(1));
        let counts: Vec<u64> = h
            .inner
            .counts
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect();
        assert_eq!(counts, vec![2, 1, 1]);
        assert_eq!(h.count(), 4);
        assert_eq!(h.inner.sum_nanos.load(Ordering::Relaxed), 1_006_500_000);
    }
}
