//! Gauges read when /metrics is scraped, from probes registered by the subsystem that owns
//! the figure: the depth and lag of queues ([`register_queue`]) and the number of active
//! sessions ([`register_sessions`]). A probe may ask the store (one cheap call); each is given
//! [`PROBE_TIMEOUT`], and a probe that fails or times out drops its series from that scrape
//! rather than report a stale figure.
//!
//! **Registration point for queues.** A subsystem with a queue (the engine API's timer set
//! registers itself as `timers`, the trigger events' queue as `events`) implements [`QueueProbe`] and calls [`register_queue`] once at start-up.
//! The figures come out as `tessera_queue_depth{queue="NAME"}` (items waiting, including those
//! being worked on) and `tessera_queue_lag_seconds{queue="NAME"}` (how overdue the oldest item
//! is: 0 when nothing is late; not exported for a queue that cannot tell, like `events`). A later registration under the same name replaces the earlier
//! one (one server per process; tests build several).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use super::{Family, FloatGauge, Labels, register};

/// How long one probe may take at scrape time.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// What a probe's future resolves to.
pub type ProbeFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A queue's figures at scrape time.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct QueueStats {
    /// Items waiting (due or not), including those claimed and being worked on.
    pub depth: u64,
    /// How long the oldest item that is due has been waiting past its due time, in seconds
    /// (0 when none is overdue; for a plain FIFO, the age of its oldest item). None: the queue
    /// cannot tell cheaply (no lag series is exported for it).
    pub lag_seconds: Option<f64>,
}

/// A queue that reports its depth and lag (see the module's registration point).
pub trait QueueProbe: Send + Sync {
    /// The figures now (None: unknown, the store could not say).
    fn stats(&self) -> ProbeFuture<'_, Option<QueueStats>>;
}

/// The number of active sessions, as the session store can tell it cheaply.
pub trait SessionsProbe: Send + Sync {
    /// The count now (None: this store cannot say).
    fn active(&self) -> ProbeFuture<'_, Option<f64>>;
    /// The store's name (the `store` label).
    fn store(&self) -> &'static str;
}

struct Probes {
    queues: Mutex<Vec<(&'static str, Arc<dyn QueueProbe>)>>,
    sessions: Mutex<Option<Arc<dyn SessionsProbe>>>,
    depth: Family<Labels<1>, FloatGauge>,
    lag: Family<Labels<1>, FloatGauge>,
    active: Family<Labels<1>, FloatGauge>,
}

static PROBES: LazyLock<Probes> = LazyLock::new(|| {
    let p = Probes {
        queues: Mutex::new(Vec::new()),
        sessions: Mutex::new(None),
        depth: Family::default(),
        lag: Family::default(),
        active: Family::default(),
    };
    register(
        "tessera_queue_depth",
        "Items waiting in a queue (timers: scheduled Wait-block resumes), read at scrape time",
        p.depth.clone(),
    );
    register(
        "tessera_queue_lag_seconds",
        "How overdue the oldest due item of a queue is, in seconds (0: none is late)",
        p.lag.clone(),
    );
    register(
        "tessera_sessions_active",
        "Sessions stored and not expired (conversations waiting for their next reply); memory: exact, redis: estimated by sampling, read at scrape time",
        p.active.clone(),
    );
    p
});

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Registers (or replaces) the queue `name`: its figures are read at every scrape.
pub fn register_queue(name: &'static str, probe: Arc<dyn QueueProbe>) {
    let mut queues = lock(&PROBES.queues);
    queues.retain(|(n, _)| *n != name);
    queues.push((name, probe));
}

/// Registers (or replaces) the session store's probe.
pub fn register_sessions(probe: Arc<dyn SessionsProbe>) {
    *lock(&PROBES.sessions) = Some(probe);
}

/// Makes the probe gauges part of the exposition (also done by the first registration).
pub fn init() {
    LazyLock::force(&PROBES);
}

/// Reads every probe and sets its gauges (before [`super::render`]).
pub async fn refresh() {
    let p = &*PROBES;
    let queues = lock(&p.queues).clone();
    for (name, probe) in queues {
        let labels = [("queue", name)];
        match tokio::time::timeout(PROBE_TIMEOUT, probe.stats()).await {
            Ok(Some(s)) => {
                p.depth.get_or_create(&labels).set(s.depth as f64);
                match s.lag_seconds {
                    Some(lag) => {
                        p.lag.get_or_create(&labels).set(lag.max(0.0));
                    }
                    None => {
                        p.lag.remove(&labels);
                    }
                }
            }
            _ => {
                p.depth.remove(&labels);
                p.lag.remove(&labels);
            }
        }
    }
    let sessions = lock(&p.sessions).clone();
    if let Some(probe) = sessions {
        let labels = [("store", probe.store())];
        match tokio::time::timeout(PROBE_TIMEOUT, probe.active()).await {
            Ok(Some(n)) => {
                p.active.get_or_create(&labels).set(n);
            }
            _ => {
                p.active.remove(&labels);
            }
        }
    }
}
