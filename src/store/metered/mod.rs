//! Store operations, measured: [`Stores::metered`] wraps every capability of a backend so
//! that each call records its duration (`tessera_store_operation_duration_seconds`) and, when
//! it fails, its error kind (`tessera_store_errors_total`), labelled by backend (`memory`,
//! `redis`, `redis-cluster`) and operation (the trait method). The label sets of a backend
//! are registered when it is first wrapped; a call pays two clock reads, one boxed future and
//! two atomic adds.
//!
//! The wrappers forward every method to the backend's own (so a backend's one-round-trip
//! overrides stay in use). A new trait method needs its forwarding line here.

mod records;
mod sessions;

use std::sync::{Arc, LazyLock, Mutex};
use std::time::Instant;

use super::{BoxFuture, StoreError, Stores};
use crate::telemetry::metrics::{Counter, Family, Histogram, Labels, register};

macro_rules! operations {
    ($($op:ident,)*) => {
        /// Every measured operation: the trait methods of the stores.
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum Op { $($op,)* }

        /// The operation labels, in the order of [`Op`].
        const OPS: &[&str] = &[$(stringify!($op),)*];
    };
}

operations! {
    create, create_with_result, create_finished, begin_turn, commit_turn, finish_turn,
    save_turn, peek, abort_turn, health, active_sessions, create_marked, create_finished_marked,
    mark,
    record_result, list_results, get_result,
    idempotency_get, idempotency_put, idempotency_replace, idempotency_release,
    idempotency_settle, owner_heartbeat, owner_alive,
    put_revision, get_revision, publish, unpublish, by_flow_id, by_public_id, list_flows,
    put_credential, get_credential, delete_credential,
    doc_put, doc_get, index_push, index_list, token_set, token_take, token_take_get, execution_put,
    vars_merge, vars_get,
    transcript_append, transcript_get,
    timer_schedule, timer_cancel, timer_claim, timer_stats,
}

/// The error kinds, in the order [`kind_of`] numbers them. `busy` is contention (a turn
/// already holds the session), not a failure of the store.
const KINDS: [&str; 4] = ["busy", "conflict", "unavailable", "other"];

fn kind_of(e: &StoreError) -> usize {
    match e {
        StoreError::Busy => 0,
        StoreError::Conflict(_) => 1,
        StoreError::Unavailable(_) => 2,
        StoreError::Other(_) => 3,
    }
}

/// The handles of one backend: a histogram per operation, a counter per operation and kind.
pub(crate) struct StoreMetrics {
    durations: Vec<Histogram>,
    errors: Vec<Counter>,
}

struct Families {
    durations: Family<Labels<2>, Histogram, fn() -> Histogram>,
    errors: Family<Labels<3>, Counter>,
    /// The backends wrapped so far (at most three names: their handles are kept for good).
    backends: Mutex<Vec<(&'static str, &'static StoreMetrics)>>,
}

static FAMILIES: LazyLock<Families> = LazyLock::new(|| {
    let f = Families {
        durations: Family::new_with_constructor(Histogram::store),
        errors: Family::default(),
        backends: Mutex::new(Vec::new()),
    };
    register(
        "tessera_store_operation_duration_seconds",
        "Duration of store operations, per backend and operation",
        f.durations.clone(),
    );
    register(
        "tessera_store_errors",
        "Failed store operations, per backend, operation and kind (busy: the session was leased by another turn)",
        f.errors.clone(),
    );
    f
});

impl StoreMetrics {
    /// The handles of `backend`, registered on first use.
    fn of(backend: &'static str) -> &'static StoreMetrics {
        let f = &*FAMILIES;
        let mut known = f
            .backends
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, m)) = known.iter().find(|(b, _)| *b == backend) {
            return m;
        }
        let durations = OPS
            .iter()
            .map(|op| {
                f.durations
                    .get_or_create_owned(&[("backend", backend), ("operation", op)])
            })
            .collect();
        let errors = OPS
            .iter()
            .flat_map(|op| KINDS.iter().map(move |k| (op, k)))
            .map(|(op, kind)| {
                f.errors.get_or_create_owned(&[
                    ("backend", backend),
                    ("operation", op),
                    ("kind", kind),
                ])
            })
            .collect();
        // Leaked once per backend name (at most three): the handles live as long as the process.
        let m: &'static StoreMetrics = Box::leak(Box::new(StoreMetrics { durations, errors }));
        known.push((backend, m));
        m
    }

    fn record(&self, op: Op, started: Instant, error: Option<&StoreError>) {
        let i = op as usize;
        if let Some(h) = self.durations.get(i) {
            h.observe(started.elapsed());
        }
        if let Some(c) = error.and_then(|e| self.errors.get(i * KINDS.len() + kind_of(e))) {
            c.inc();
        }
    }
}

/// One capability of a backend, measured.
pub(crate) struct Metered<T: ?Sized> {
    inner: Arc<T>,
    metrics: &'static StoreMetrics,
}

impl<T: ?Sized> Metered<T> {
    fn wrap(inner: Arc<T>, metrics: &'static StoreMetrics) -> Arc<Self> {
        Arc::new(Metered { inner, metrics })
    }

    /// Measures a call: `started` is taken before the backend was called (the in-memory
    /// backend does its work in the call and returns a finished future).
    fn timed<'a, R: Send + 'a>(
        &self,
        op: Op,
        started: Instant,
        call: BoxFuture<'a, Result<R, StoreError>>,
    ) -> BoxFuture<'a, Result<R, StoreError>> {
        let metrics = self.metrics;
        Box::pin(async move {
            let r = call.await;
            metrics.record(op, started, r.as_ref().err());
            r
        })
    }
}

impl Stores {
    /// Every capability wrapped so that its operations are measured (see the module).
    pub fn metered(self) -> Stores {
        let m = StoreMetrics::of(self.sessions.kind());
        Stores {
            sessions: Metered::wrap(self.sessions, m),
            idempotency: Metered::wrap(self.idempotency, m),
            results: Metered::wrap(self.results, m),
            flows: Metered::wrap(self.flows, m),
            credentials: Metered::wrap(self.credentials, m),
            executions: Metered::wrap(self.executions, m),
            transcripts: Metered::wrap(self.transcripts, m),
            timers: Metered::wrap(self.timers, m),
            // The trigger queue reports its own depth (telemetry::metrics::probes).
            events: self.events,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_its_label_and_error_kinds() {
        assert_eq!(OPS.len(), Op::timer_stats as usize + 1);
        assert_eq!(OPS[Op::begin_turn as usize], "begin_turn");
        let m = StoreMetrics::of("test-backend");
        assert_eq!(m.durations.len(), OPS.len());
        assert_eq!(m.errors.len(), OPS.len() * KINDS.len());
        let before = m.errors[Op::peek as usize * 4 + 2].get();
        m.record(
            Op::peek,
            Instant::now(),
            Some(&StoreError::Unavailable("down".into())),
        );
        assert_eq!(m.errors[Op::peek as usize * 4 + 2].get(), before + 1);
        assert_eq!(m.durations[Op::peek as usize].count(), 1);
        assert!(std::ptr::eq(m, StoreMetrics::of("test-backend")));
    }
}
