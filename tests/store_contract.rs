//! The store contract: one suite of cases written against `&dyn Store` / `&dyn FlowStore`, run
//! against the in-memory store, a single Redis and a Redis Cluster (modules `memory`,
//! `single_redis`, `redis_cluster`), plus Redis-only checks (TTLs on every key, faults).
//!
//! - `TESSERA_TEST_REDIS_URL` (default `redis://127.0.0.1:6379`): the single Redis.
//! - `TESSERA_TEST_REDIS_CLUSTER_URL` (e.g. the output of `scripts/redis-cluster.sh start`).
//!
//! When a variable is set (or `CI` is set) and Redis is unreachable, the Redis tests FAIL.
//! Only on a developer machine without the variables do they skip, saying so on stderr.
//! Every Redis test uses its own random key prefix and deletes its keys when it ends.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use common::redis_env::{in_ci, required_by, scan, shared_redis_url};
use tessera::engine::turn::AnswerRecord;
use tessera::ids::new_id as id;
use tessera::session::flows::{FlowStore, MemoryFlowStore, Published};
use tessera::session::memory::MemoryStore;
use tessera::session::redis::{RedisOptions, RedisStore};
use tessera::session::{
    Leased, Loaded, ResultRecord, ResultUpdate, Store, StoreError, StoredResponse,
};

/// One store under test.
struct Backend {
    store: Arc<dyn Store>,
    flows: Arc<dyn FlowStore>,
    /// The finished and expired markers last [`MARKER`], so cases can wait for them to go.
    short_markers: bool,
    /// Raw access to the Redis nodes (and key cleanup on drop), for Redis backends.
    redis: Option<RawRedis>,
}

const MARKER: Duration = Duration::from_secs(1);

fn memory_backend() -> Backend {
    Backend {
        store: Arc::new(MemoryStore::new().with_marker_durations(MARKER, MARKER)),
        flows: Arc::new(MemoryFlowStore::default()),
        short_markers: true,
        redis: None,
    }
}

/// The Redis nodes behind a backend and the test's key prefix; deletes the prefix's keys on drop.
struct RawRedis {
    nodes: Vec<String>,
    prefix: String,
}

impl RawRedis {
    /// Every key of this test, on every node, with its PTTL.
    fn keys_with_pttl(&self) -> Vec<(String, i64)> {
        let mut out = Vec::new();
        for node in &self.nodes {
            let mut con = redis::Client::open(node.as_str())
                .and_then(|c| c.get_connection())
                .expect("raw connection");
            for key in scan(&mut con, &format!("{}:*", self.prefix)) {
                let pttl: i64 = redis::cmd("PTTL").arg(&key).query(&mut con).expect("PTTL");
                out.push((key, pttl));
            }
        }
        out
    }

    /// Deletes this test's keys whose name ends with `suffix` (as if they had expired).
    fn delete_ending_with(&self, suffix: &str) {
        let doomed: Vec<String> = self
            .keys_with_pttl()
            .into_iter()
            .map(|(k, _)| k)
            .filter(|k| k.ends_with(suffix))
            .collect();
        assert!(!doomed.is_empty(), "no key ends with {suffix}");
        for node in &self.nodes {
            let mut con = redis::Client::open(node.as_str())
                .and_then(|c| c.get_connection())
                .expect("raw connection");
            for key in &doomed {
                // On a cluster only the node owning the key's slot has it; others answer MOVED.
                let _: redis::RedisResult<i64> = redis::cmd("DEL").arg(key).query(&mut con);
            }
        }
    }
}

impl Drop for RawRedis {
    fn drop(&mut self) {
        for node in &self.nodes {
            let Ok(mut con) = redis::Client::open(node.as_str()).and_then(|c| c.get_connection())
            else {
                continue;
            };
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(format!("{}:*", self.prefix))
                .query(&mut con)
                .unwrap_or_default();
            for key in keys {
                let _: Result<i64, _> = redis::cmd("DEL").arg(key).query(&mut con);
            }
        }
    }
}

fn test_options() -> RedisOptions {
    RedisOptions {
        prefix: format!("tessera-test-{}", tessera::ids::new_id()),
        // Generous: the contract is about semantics, CI machines are busy. Faults have their own test.
        command_timeout: Duration::from_secs(3),
        ..RedisOptions::default()
    }
    .with_marker_durations(MARKER, MARKER)
}

/// Connects to `url`; fails the test if Redis is required, skips (None) otherwise.
async fn redis_backend_at(var: &str, url: Option<String>, nodes: Vec<String>) -> Option<Backend> {
    let required = required_by(var);
    let Some(url) = url else {
        assert!(
            !required,
            "{var} must be set when CI is set: Redis tests never skip in CI"
        );
        eprintln!("skipping: {var} is not set");
        return None;
    };
    let opts = test_options();
    let prefix = opts.prefix.clone();
    let store = RedisStore::connect(&url, opts)
        .await
        .unwrap_or_else(|e| panic!("connect {url}: {e}"));
    if let Err(e) = store.health().await {
        assert!(
            !required,
            "{var}={url} is set but Redis is unreachable: {e}"
        );
        eprintln!("skipping: no Redis at {url} ({e}); set {var} to make this a failure");
        return None;
    }
    let store = Arc::new(store);
    Some(Backend {
        store: store.clone(),
        flows: store,
        short_markers: true,
        redis: Some(RawRedis { nodes, prefix }),
    })
}

async fn single_backend() -> Option<Backend> {
    let url = shared_redis_url();
    redis_backend_at("TESSERA_TEST_REDIS_URL", Some(url.clone()), vec![url]).await
}

async fn cluster_backend() -> Option<Backend> {
    let url = std::env::var("TESSERA_TEST_REDIS_CLUSTER_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let nodes = url.as_deref().map(cluster_nodes).unwrap_or_default();
    redis_backend_at("TESSERA_TEST_REDIS_CLUSTER_URL", url, nodes).await
}

/// `redis+cluster://h1:p1,h2:p2` -> `["redis://h1:p1", "redis://h2:p2"]`.
fn cluster_nodes(url: &str) -> Vec<String> {
    let hosts = url
        .strip_prefix("redis+cluster://")
        .unwrap_or(url)
        .trim_end_matches('/');
    hosts
        .split(',')
        .map(|h| {
            if h.starts_with("redis://") {
                h.to_string()
            } else {
                format!("redis://{h}")
            }
        })
        .collect()
}

/// Polls all futures together (real concurrency on the multiplexed Redis connection).
async fn join_all<'a, T>(mut futures: Vec<Pin<Box<dyn Future<Output = T> + Send + 'a>>>) -> Vec<T> {
    let mut out: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (slot, fut) in out.iter_mut().zip(futures.iter_mut()) {
            if slot.is_none() {
                match fut.as_mut().poll(cx) {
                    Poll::Ready(v) => *slot = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    out.into_iter().flatten().collect()
}

async fn active(store: &dyn Store, id: &str) -> Leased {
    match store.begin_turn(id, 10_000).await {
        Ok(Loaded::Active(l)) => l,
        other => panic!("expected an active session, got {other:?}"),
    }
}

fn update(
    flow: &str,
    result: &str,
    at: &str,
    answers: &[(&str, &str)],
    vars: &[(&str, &str)],
    done: bool,
) -> ResultUpdate {
    ResultUpdate {
        flow_id: flow.into(),
        result_id: result.into(),
        at: at.into(),
        answers: answers
            .iter()
            .map(|(k, c)| AnswerRecord {
                block_id: format!("b-{k}"),
                key: k.to_string(),
                content: c.to_string(),
                attached_file_urls: vec![],
            })
            .collect(),
        variables: vars
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
            .collect(),
        logs: vec![],
        completed: done,
    }
}

fn published(flow: &str, public: &str, rev: &str) -> Published {
    Published {
        flow_id: flow.into(),
        public_id: public.into(),
        revision: rev.into(),
        published_at: "2024-05-01T10:00:00Z".into(),
        name: format!("Bot {flow}"),
    }
}

/// The contract cases. Each takes a backend and must hold for every store.
mod cases {
    use super::*;

    pub async fn a_turn_round_trip_saves_bumps_the_version_and_refreshes_the_ttl(b: &Backend) {
        let s = &*b.store;
        let sid = id();
        s.create(&sid, b"one".to_vec(), 1).await.unwrap();
        let l = active(s, &sid).await;
        assert_eq!((l.data.as_slice(), l.version), (&b"one"[..], 1));
        tokio::time::sleep(Duration::from_millis(600)).await;
        s.commit_turn(&sid, b"two".to_vec(), &l, 1).await.unwrap();
        // 1.2 s after creation: alive only because the commit refreshed the 1 s TTL.
        tokio::time::sleep(Duration::from_millis(600)).await;
        let l = active(s, &sid).await;
        assert_eq!((l.data.as_slice(), l.version), (&b"two"[..], 2));
        s.commit_turn(&sid, b"three".to_vec(), &l, 60)
            .await
            .unwrap();
        assert_eq!(active(s, &sid).await.version, 3);
        assert_eq!(s.begin_turn(&id(), 1000).await.unwrap(), Loaded::Missing);
    }

    pub async fn peek_reads_active_sessions_without_taking_the_lease(b: &Backend) {
        let s = &*b.store;
        let sid = id();
        assert_eq!(s.peek(&sid).await.unwrap(), None);
        s.create(&sid, b"x".to_vec(), 60).await.unwrap();
        assert_eq!(s.peek(&sid).await.unwrap(), Some(b"x".to_vec()));
        let l = active(s, &sid).await;
        // A running turn does not hide the session, and peeking does not disturb the turn.
        assert_eq!(s.peek(&sid).await.unwrap(), Some(b"x".to_vec()));
        s.finish_turn(&sid, &l).await.unwrap();
        assert_eq!(s.peek(&sid).await.unwrap(), None);
    }

    pub async fn saving_a_turn_records_its_result_only_when_the_save_applies(b: &Backend) {
        let s = &*b.store;
        let (sid, flow, rid) = (id(), id(), id());
        s.create(&sid, b"v1".to_vec(), 60).await.unwrap();
        let l = active(s, &sid).await;
        let u1 = update(
            &flow,
            &rid,
            "2024-05-01T10:00:00Z",
            &[("q1", "a")],
            &[("x", "1")],
            false,
        );
        s.save_turn(&sid, Some(b"v2".to_vec()), &l, 60, Some((&u1, 3600)))
            .await
            .unwrap();
        assert_eq!(
            s.get_result(&flow, &rid).await.unwrap(),
            Some(ResultRecord::new(&u1))
        );
        // A stale save (the lease it held is gone) changes neither the session nor the result.
        let u2 = update(
            &flow,
            &rid,
            "2024-05-01T10:01:00Z",
            &[("q2", "b")],
            &[],
            true,
        );
        assert_eq!(
            s.save_turn(&sid, Some(b"late".to_vec()), &l, 60, Some((&u2, 3600)))
                .await,
            Err(StoreError::Busy)
        );
        assert_eq!(
            s.get_result(&flow, &rid).await.unwrap(),
            Some(ResultRecord::new(&u1))
        );
        let l2 = active(s, &sid).await;
        assert_eq!(l2.data, b"v2");
        // Finishing saves the last result update with it.
        s.save_turn(&sid, None, &l2, 60, Some((&u2, 3600)))
            .await
            .unwrap();
        assert_eq!(s.begin_turn(&sid, 1000).await.unwrap(), Loaded::Finished);
        let mut expected = ResultRecord::new(&u1);
        expected.apply(&u2);
        assert_eq!(s.get_result(&flow, &rid).await.unwrap(), Some(expected));
    }

    pub async fn a_start_turn_creates_its_session_and_records_its_result(b: &Backend) {
        let s = &*b.store;
        let (sid, flow, rid) = (id(), id(), id());
        let u = update(
            &flow,
            &rid,
            "2024-05-01T10:00:00Z",
            &[("q1", "a")],
            &[("x", "1")],
            false,
        );
        s.create_with_result(&sid, b"v1".to_vec(), 60, Some((&u, 3600)))
            .await
            .unwrap();
        let l = active(s, &sid).await;
        assert_eq!((l.data.as_slice(), l.version), (&b"v1"[..], 1));
        assert_eq!(
            s.get_result(&flow, &rid).await.unwrap(),
            Some(ResultRecord::new(&u))
        );
        let listed = s.list_results(&flow, None, 10).await.unwrap().results;
        assert_eq!(
            listed.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            [rid.as_str()]
        );
        // An id that is taken: busy, and nothing recorded.
        let other = update(
            &flow,
            &id(),
            "2024-05-01T10:01:00Z",
            &[("q1", "b")],
            &[],
            false,
        );
        assert_eq!(
            s.create_with_result(&sid, b"again".to_vec(), 60, Some((&other, 3600)))
                .await,
            Err(StoreError::Busy)
        );
        assert_eq!(s.get_result(&flow, &other.result_id).await.unwrap(), None);
        s.abort_turn(&sid, &l).await.unwrap();
        assert_eq!(active(s, &sid).await.data, b"v1");
        // Without an update it is a plain create.
        let plain = id();
        s.create_with_result(&plain, b"p".to_vec(), 60, None)
            .await
            .unwrap();
        assert_eq!(active(s, &plain).await.data, b"p");
    }

    pub async fn a_leased_session_is_busy_until_released_or_the_lease_ends(b: &Backend) {
        let s = &*b.store;
        let sid = id();
        s.create(&sid, b"x".to_vec(), 60).await.unwrap();
        let l = active(s, &sid).await;
        assert_eq!(s.begin_turn(&sid, 1000).await, Err(StoreError::Busy));
        s.abort_turn(&sid, &l).await.unwrap();
        let l = match s.begin_turn(&sid, 150).await.unwrap() {
            Loaded::Active(l) => l,
            other => panic!("{other:?}"),
        };
        assert_eq!(s.begin_turn(&sid, 1000).await, Err(StoreError::Busy));
        tokio::time::sleep(Duration::from_millis(300)).await;
        let l2 = active(s, &sid).await;
        // The first turn's lease ended and was taken over: its commit must not apply.
        assert_eq!(
            s.commit_turn(&sid, b"late".to_vec(), &l, 60).await,
            Err(StoreError::Busy)
        );
        s.commit_turn(&sid, b"y".to_vec(), &l2, 60).await.unwrap();
        assert_eq!(active(s, &sid).await.data, b"y");
        // Creating over an active session is refused too.
        assert_eq!(
            s.create(&sid, b"new".to_vec(), 60).await,
            Err(StoreError::Busy)
        );
    }

    pub async fn a_lease_that_ran_out_untouched_still_saves(b: &Backend) {
        let s = &*b.store;
        let sid = id();
        s.create(&sid, b"v1".to_vec(), 60).await.unwrap();
        let l = match s.begin_turn(&sid, 100).await.unwrap() {
            Loaded::Active(l) => l,
            other => panic!("{other:?}"),
        };
        // A slow turn: its lease ends, but nobody took the session meanwhile.
        tokio::time::sleep(Duration::from_millis(250)).await;
        s.commit_turn(&sid, b"v2".to_vec(), &l, 60).await.unwrap();
        let after = active(s, &sid).await;
        assert_eq!((after.data.as_slice(), after.version), (&b"v2"[..], 2));
    }

    pub async fn a_session_that_expired_during_its_turn_is_not_brought_back(b: &Backend) {
        let s = &*b.store;
        let sid = id();
        s.create(&sid, b"v1".to_vec(), 1).await.unwrap();
        let l = active(s, &sid).await;
        tokio::time::sleep(Duration::from_millis(1300)).await;
        assert_eq!(
            s.commit_turn(&sid, b"v2".to_vec(), &l, 60).await,
            Err(StoreError::Busy)
        );
        assert_eq!(s.finish_turn(&sid, &l).await, Err(StoreError::Busy));
        assert_eq!(s.peek(&sid).await.unwrap(), None);
    }

    pub async fn stale_or_foreign_commits_are_busy_and_change_nothing(b: &Backend) {
        let s = &*b.store;
        let sid = id();
        s.create(&sid, b"v1".to_vec(), 60).await.unwrap();
        let first = active(s, &sid).await;
        s.commit_turn(&sid, b"v2".to_vec(), &first, 60)
            .await
            .unwrap();
        let current = active(s, &sid).await;
        let wrong_lease = Leased {
            lease: "not-the-lease".into(),
            ..current.clone()
        };
        for bad in [&first, &wrong_lease] {
            assert_eq!(
                s.commit_turn(&sid, b"bad".to_vec(), bad, 60).await,
                Err(StoreError::Busy)
            );
            assert_eq!(s.finish_turn(&sid, bad).await, Err(StoreError::Busy));
            s.abort_turn(&sid, bad).await.unwrap(); // Not ours: a no-op.
        }
        assert_eq!(
            s.begin_turn(&sid, 1000).await,
            Err(StoreError::Busy),
            "foreign aborts must not release"
        );
        s.abort_turn(&sid, &current).await.unwrap();
        // A lease that ran out with a version this turn did not load: someone saved since.
        let stale_version = Leased {
            version: 1,
            ..current.clone()
        };
        assert_eq!(
            s.commit_turn(&sid, b"bad".to_vec(), &stale_version, 60)
                .await,
            Err(StoreError::Busy)
        );
        assert_eq!(
            s.finish_turn(&sid, &stale_version).await,
            Err(StoreError::Busy)
        );
        let after = active(s, &sid).await;
        assert_eq!((after.data.as_slice(), after.version), (&b"v2"[..], 2));
        assert_eq!(
            s.commit_turn(&id(), b"x".to_vec(), &after, 60).await,
            Err(StoreError::Busy),
            "unknown session"
        );
    }

    pub async fn racing_turns_have_exactly_one_winner(b: &Backend) {
        let s = &*b.store;
        let sid = id();
        s.create(&sid, b"race".to_vec(), 60).await.unwrap();
        let begins = join_all((0..20).map(|_| s.begin_turn(&sid, 10_000)).collect()).await;
        let winners: Vec<&Leased> = begins
            .iter()
            .filter_map(|r| {
                if let Ok(Loaded::Active(l)) = r {
                    Some(l)
                } else {
                    None
                }
            })
            .collect();
        assert_eq!(winners.len(), 1, "{begins:?}");
        assert_eq!(
            begins
                .iter()
                .filter(|r| **r == Err(StoreError::Busy))
                .count(),
            19
        );
        let sid2 = id();
        let creates = join_all((0..20).map(|i| s.create(&sid2, vec![i], 60)).collect()).await;
        assert_eq!(
            creates.iter().filter(|r| r.is_ok()).count(),
            1,
            "{creates:?}"
        );
    }

    pub async fn finished_sessions_answer_finished_until_the_marker_ends(b: &Backend) {
        let s = &*b.store;
        let (sid, instant) = (id(), id());
        s.create(&sid, b"x".to_vec(), 60).await.unwrap();
        let l = active(s, &sid).await;
        s.finish_turn(&sid, &l).await.unwrap();
        assert_eq!(s.begin_turn(&sid, 1000).await.unwrap(), Loaded::Finished);
        assert_eq!(
            s.commit_turn(&sid, b"y".to_vec(), &l, 60).await,
            Err(StoreError::Busy)
        );
        s.create_finished(&instant).await.unwrap();
        assert_eq!(
            s.begin_turn(&instant, 1000).await.unwrap(),
            Loaded::Finished
        );
        if b.short_markers {
            tokio::time::sleep(MARKER + Duration::from_millis(300)).await;
            assert_eq!(s.begin_turn(&sid, 1000).await.unwrap(), Loaded::Missing);
            assert_eq!(s.begin_turn(&instant, 1000).await.unwrap(), Loaded::Missing);
        }
    }

    pub async fn inactive_sessions_expire_then_are_forgotten(b: &Backend) {
        let s = &*b.store;
        let sid = id();
        s.create(&sid, b"x".to_vec(), 1).await.unwrap();
        tokio::time::sleep(Duration::from_millis(1300)).await;
        assert_eq!(s.begin_turn(&sid, 1000).await.unwrap(), Loaded::Expired);
        if b.short_markers {
            tokio::time::sleep(MARKER).await;
            assert_eq!(s.begin_turn(&sid, 1000).await.unwrap(), Loaded::Missing);
        }
        // The id can be used again once the session expired.
        s.create(&sid, b"again".to_vec(), 60).await.unwrap();
        assert_eq!(active(s, &sid).await.data, b"again");
    }

    pub async fn idempotency_keeps_the_first_response(b: &Backend) {
        let s = &*b.store;
        let (k, short) = (format!("flow:{}", id()), format!("flow:{}", id()));
        let first = StoredResponse {
            fingerprint: "f1".into(),
            status: 200,
            body: "{\"a\":1}".into(),
        };
        let second = StoredResponse {
            fingerprint: "f2".into(),
            status: 409,
            body: "{}".into(),
        };
        assert_eq!(s.idempotency_get(&k).await.unwrap(), None);
        s.idempotency_put(&k, &first, 60).await.unwrap();
        s.idempotency_put(&k, &second, 60).await.unwrap();
        assert_eq!(s.idempotency_get(&k).await.unwrap(), Some(first.clone()));
        s.idempotency_put(&short, &first, 1).await.unwrap();
        tokio::time::sleep(Duration::from_millis(1300)).await;
        assert_eq!(s.idempotency_get(&short).await.unwrap(), None);
    }

    pub async fn results_merge_like_result_record_apply(b: &Backend) {
        let s = &*b.store;
        let (flow, rid) = (id(), id());
        let u1 = update(
            &flow,
            &rid,
            "2024-05-01T10:00:00Z",
            &[("q1", "a"), ("q2", "b")],
            &[("x", "1")],
            false,
        );
        let u2 = update(
            &flow,
            &rid,
            "2024-05-01T10:01:00Z",
            &[("q1", "A"), ("q3", "c")],
            &[("y", "2")],
            true,
        );
        s.record_result(&u1, 3600).await.unwrap();
        s.record_result(&u2, 3600).await.unwrap();
        let mut expected = ResultRecord::new(&u1);
        expected.apply(&u2);
        assert_eq!(s.get_result(&flow, &rid).await.unwrap(), Some(expected));
        assert_eq!(s.get_result(&flow, &id()).await.unwrap(), None);
        // Concurrent updates of one result lose nothing.
        let rid2 = id();
        let keys: Vec<String> = (0..20).map(|i| format!("k{i}")).collect();
        let updates: Vec<ResultUpdate> = keys
            .iter()
            .map(|k| {
                update(
                    &flow,
                    &rid2,
                    "2024-05-01T11:00:00Z",
                    &[(k, "v")],
                    &[(k, "v")],
                    false,
                )
            })
            .collect();
        let done = join_all(updates.iter().map(|u| s.record_result(u, 3600)).collect()).await;
        assert!(done.iter().all(Result::is_ok), "{done:?}");
        let merged = s.get_result(&flow, &rid2).await.unwrap().unwrap();
        assert_eq!(merged.answers.len(), 20);
        assert_eq!(merged.variables.len(), 20);
    }

    pub async fn results_list_newest_first_in_stable_pages(b: &Backend) {
        let s = &*b.store;
        let flow = id();
        // r5a and r5b share a timestamp: ties are ordered by id, newest first means "r5b" first.
        let made = [
            ("r0", 0),
            ("r1", 1),
            ("r2", 2),
            ("r3", 3),
            ("r4", 4),
            ("r5a", 5),
            ("r5b", 5),
        ];
        for (rid, sec) in made {
            let at = format!("2024-05-01T10:00:0{sec}.000Z");
            s.record_result(&update(&flow, rid, &at, &[("q", rid)], &[], false), 3600)
                .await
                .unwrap();
        }
        s.record_result(
            &update(&id(), "elsewhere", "2024-05-01T10:00:09Z", &[], &[], false),
            3600,
        )
        .await
        .unwrap();
        let want = ["r5b", "r5a", "r4", "r3", "r2", "r1", "r0"];
        for limit in [1, 3, 7, 50] {
            let (mut seen, mut cursor) = (Vec::new(), None::<String>);
            loop {
                let page = s
                    .list_results(&flow, cursor.as_deref(), limit)
                    .await
                    .unwrap();
                assert!(page.results.len() <= limit);
                seen.extend(page.results.iter().map(|r| r.id.clone()));
                match page.next_cursor {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
            assert_eq!(seen, want, "limit {limit}");
        }
        assert!(
            s.list_results(&id(), None, 10)
                .await
                .unwrap()
                .results
                .is_empty()
        );
    }

    pub async fn results_are_dropped_after_their_retention(b: &Backend) {
        let s = &*b.store;
        let flow = id();
        s.record_result(
            &update(
                &flow,
                "short",
                "2024-05-01T10:00:00Z",
                &[("q", "a")],
                &[],
                false,
            ),
            1,
        )
        .await
        .unwrap();
        s.record_result(
            &update(
                &flow,
                "long",
                "2024-05-01T09:00:00Z",
                &[("q", "a")],
                &[],
                false,
            ),
            3600,
        )
        .await
        .unwrap();
        assert_eq!(
            s.list_results(&flow, None, 10).await.unwrap().results.len(),
            2
        );
        tokio::time::sleep(Duration::from_millis(1300)).await;
        let left: Vec<String> = s
            .list_results(&flow, None, 10)
            .await
            .unwrap()
            .results
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(left, ["long"]);
        assert_eq!(s.get_result(&flow, "short").await.unwrap(), None);
    }

    pub async fn flows_publish_atomically_with_unique_public_ids(b: &Backend) {
        let f = &*b.flows;
        f.put_revision("f1", "rev1", "{\"v\":1}").await.unwrap();
        f.put_revision("f1", "rev1", "{\"v\":1}").await.unwrap();
        assert_eq!(
            f.get_revision("f1", "rev1").await.unwrap().as_deref(),
            Some("{\"v\":1}")
        );
        assert_eq!(f.get_revision("f1", "nope").await.unwrap(), None);
        f.publish(&published("f1", "hello", "rev1")).await.unwrap();
        assert!(
            matches!(f.publish(&published("f2", "hello", "r")).await, Err(StoreError::Other(m)) if m.contains("f1"))
        );
        assert_eq!(
            f.by_public_id("hello").await.unwrap(),
            Some(published("f1", "hello", "rev1"))
        );
        // Republishing under a new public id frees the old one.
        f.publish(&published("f1", "hi", "rev2")).await.unwrap();
        assert_eq!(f.by_public_id("hello").await.unwrap(), None);
        assert_eq!(
            f.by_flow_id("f1").await.unwrap(),
            Some(published("f1", "hi", "rev2"))
        );
        f.publish(&published("f2", "hello", "r")).await.unwrap();
        let list: Vec<String> = f
            .list()
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.public_id)
            .collect();
        assert_eq!(list, ["hello", "hi"]);
        assert_eq!(
            f.unpublish("f1").await.unwrap(),
            Some(published("f1", "hi", "rev2"))
        );
        assert_eq!(f.unpublish("f1").await.unwrap(), None);
        assert_eq!(
            (
                f.by_flow_id("f1").await.unwrap(),
                f.by_public_id("hi").await.unwrap()
            ),
            (None, None)
        );
        assert_eq!(
            f.get_revision("f1", "rev1").await.unwrap().as_deref(),
            Some("{\"v\":1}"),
            "revisions stay"
        );
        assert_eq!(f.list().await.unwrap(), [published("f2", "hello", "r")]);
    }
}

macro_rules! contract_suite {
    ($($case:ident),* $(,)?) => {
        mod memory {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                super::cases::$case(&super::memory_backend()).await;
            })*
        }
        mod single_redis {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                if let Some(b) = super::single_backend().await {
                    super::cases::$case(&b).await;
                }
            })*
        }
        mod redis_cluster {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                if let Some(b) = super::cluster_backend().await {
                    super::cases::$case(&b).await;
                }
            })*
        }
    };
}

contract_suite!(
    a_turn_round_trip_saves_bumps_the_version_and_refreshes_the_ttl,
    a_lease_that_ran_out_untouched_still_saves,
    peek_reads_active_sessions_without_taking_the_lease,
    saving_a_turn_records_its_result_only_when_the_save_applies,
    a_start_turn_creates_its_session_and_records_its_result,
    a_leased_session_is_busy_until_released_or_the_lease_ends,
    stale_or_foreign_commits_are_busy_and_change_nothing,
    a_session_that_expired_during_its_turn_is_not_brought_back,
    racing_turns_have_exactly_one_winner,
    finished_sessions_answer_finished_until_the_marker_ends,
    inactive_sessions_expire_then_are_forgotten,
    idempotency_keeps_the_first_response,
    results_merge_like_result_record_apply,
    results_list_newest_first_in_stable_pages,
    results_are_dropped_after_their_retention,
    flows_publish_atomically_with_unique_public_ids,
);

/// Writes one of everything, then checks every key carries a TTL except the flow pointers and
/// revisions (which must outlive sessions; they grow with publishes, not with traffic).
async fn every_key_but_flows_expires(b: &Backend) {
    let s = &*b.store;
    let sid = id();
    s.create(&sid, b"x".to_vec(), 600).await.unwrap();
    let l = active(s, &sid).await;
    s.commit_turn(&sid, b"y".to_vec(), &l, 600).await.unwrap();
    let _leased = active(s, &sid).await;
    let done = id();
    s.create(&done, b"x".to_vec(), 600).await.unwrap();
    let l = active(s, &done).await;
    s.finish_turn(&done, &l).await.unwrap();
    s.create_finished(&id()).await.unwrap();
    s.idempotency_put(
        "k",
        &StoredResponse {
            fingerprint: "f".into(),
            status: 200,
            body: String::new(),
        },
        600,
    )
    .await
    .unwrap();
    s.record_result(
        &update(
            "flow",
            "r1",
            "2024-05-01T10:00:00Z",
            &[("q", "a")],
            &[],
            false,
        ),
        600,
    )
    .await
    .unwrap();
    // Turns that save their result: the first one creates the record; the second finds it gone
    // (its retention ended while the session lived on) and must not leave it without a TTL,
    // although its session only refreshes the record's TTL once in a while.
    let redis = b.redis.as_ref().expect("a Redis backend");
    let chat = id();
    s.create(&chat, b"x".to_vec(), 600).await.unwrap();
    for (n, at) in ["2024-05-01T10:00:00Z", "2024-05-01T10:01:00Z"]
        .into_iter()
        .enumerate()
    {
        if n == 1 {
            redis.delete_ending_with(":res:r2");
        }
        let l = active(s, &chat).await;
        let u = update("flow", "r2", at, &[("q", "a")], &[], false);
        s.save_turn(&chat, Some(b"y".to_vec()), &l, 600, Some((&u, 600)))
            .await
            .unwrap();
    }
    b.flows.put_revision("flow", "rev", "{}").await.unwrap();
    b.flows
        .publish(&published("flow", "pub", "rev"))
        .await
        .unwrap();
    // The recreated record is listed again.
    let listed = s.list_results("flow", None, 10).await.unwrap().results;
    assert!(listed.iter().any(|r| r.id == "r2"), "{listed:?}");
    let keys = redis.keys_with_pttl();
    assert!(
        keys.iter().any(|(k, _)| k.ends_with(":res:r2")),
        "the second turn recreated the record: {keys:?}"
    );
    assert!(keys.len() >= 12, "{keys:?}");
    for (key, pttl) in keys {
        let persistent = key.contains(":{flows}:") || key.contains(":{rev:");
        if persistent {
            assert_eq!(pttl, -1, "{key}");
        } else {
            assert!(pttl > 0, "{key} has no TTL ({pttl})");
        }
    }
}

/// A save that finds another turn's lease takes it away only to give it back unchanged: same
/// holder, same expiry (its value carries when it ends).
async fn a_foreign_lease_is_given_back_with_its_own_expiry(b: &Backend) {
    let (s, redis) = (&*b.store, b.redis.as_ref().expect("a Redis backend"));
    let sid = id();
    s.create(&sid, b"v1".to_vec(), 60).await.unwrap();
    let holder = match s.begin_turn(&sid, 5_000).await.unwrap() {
        Loaded::Active(l) => l,
        other => panic!("{other:?}"),
    };
    let lease_pttl = || {
        redis
            .keys_with_pttl()
            .into_iter()
            .find(|(k, _)| k.ends_with(&format!("{{s:{sid}}}:lease")))
            .map(|(_, pttl)| pttl)
    };
    let before = lease_pttl().expect("the lease key");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let intruder = Leased {
        lease: "someone-else 99999999999999".into(),
        ..holder.clone()
    };
    assert_eq!(
        s.commit_turn(&sid, b"bad".to_vec(), &intruder, 60).await,
        Err(StoreError::Busy)
    );
    let after = lease_pttl().expect("the lease is back");
    assert!(after > 0 && after <= before - 200, "{before} -> {after}");
    s.commit_turn(&sid, b"v2".to_vec(), &holder, 60)
        .await
        .unwrap();
    assert_eq!(lease_pttl(), None, "released by its own save");
}

/// Pointers published before the `bypublic` hash existed are still found by public id (by
/// the fallback script, which copies them there).
async fn flows_published_by_an_older_version_resolve(b: &Backend) {
    let redis = b.redis.as_ref().expect("a Redis backend");
    b.flows
        .publish(&published("old", "legacy", "rev"))
        .await
        .unwrap();
    redis.delete_ending_with(":bypublic");
    assert!(
        !redis
            .keys_with_pttl()
            .iter()
            .any(|(k, _)| k.ends_with(":bypublic"))
    );
    for _ in 0..2 {
        assert_eq!(
            b.flows.by_public_id("legacy").await.unwrap(),
            Some(published("old", "legacy", "rev"))
        );
        assert!(
            redis
                .keys_with_pttl()
                .iter()
                .any(|(k, _)| k.ends_with(":bypublic")),
            "copied on the first lookup"
        );
    }
    assert_eq!(b.flows.by_public_id("unknown").await.unwrap(), None);
}

/// Runs checks that need a Redis backend (they look at keys directly) on single Redis and on
/// the cluster.
macro_rules! redis_suite {
    ($($check:ident),* $(,)?) => {
        mod redis_only_single {
            $(#[tokio::test]
            async fn $check() {
                if let Some(b) = super::single_backend().await {
                    super::$check(&b).await;
                }
            })*
        }
        mod redis_only_cluster {
            $(#[tokio::test]
            async fn $check() {
                if let Some(b) = super::cluster_backend().await {
                    super::$check(&b).await;
                }
            })*
        }
    };
}

redis_suite!(
    a_foreign_lease_is_given_back_with_its_own_expiry,
    flows_published_by_an_older_version_resolve,
    every_key_but_flows_expires,
);

#[tokio::test]
async fn stores_report_their_kind() {
    assert_eq!(memory_backend().store.kind(), "memory");
    if let Some(b) = single_backend().await {
        assert_eq!(b.store.kind(), "redis");
    }
    if let Some(b) = cluster_backend().await {
        assert_eq!(b.store.kind(), "redis-cluster");
    }
}

#[tokio::test]
async fn tls_urls_are_refused_with_a_clear_error() {
    let err = RedisStore::connect("rediss://127.0.0.1:6380", RedisOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Other(m) if m.contains("TLS")),
        "{err}"
    );
}

/// Fault tests on a private redis-server (loopback port 7200-7999, append-only file in a temp
/// dir so data survives a restart), stopped and removed when the test ends.
mod faults {
    use super::common::redis_server::PrivateRedis;

    use super::*;

    /// Calls of the commands a client can use to run scripts (EVALSHA, EVAL, SCRIPT LOAD),
    /// read over `con`. Commands run inside scripts are counted by Redis too, which is why
    /// `total_commands_processed` cannot measure round trips.
    fn script_calls(con: &mut redis::Connection) -> [u64; 3] {
        let info: String = redis::cmd("INFO")
            .arg("commandstats")
            .query(con)
            .expect("INFO");
        ["evalsha", "eval", "script|load"].map(|name| {
            info.lines()
                .find_map(|l| l.strip_prefix(&format!("cmdstat_{name}:calls=")))
                .and_then(|rest| rest.split(',').next()?.parse().ok())
                .unwrap_or(0)
        })
    }

    fn fast_options() -> RedisOptions {
        RedisOptions {
            command_timeout: Duration::from_millis(300),
            connect_timeout: Duration::from_millis(300),
            ..test_options()
        }
    }

    /// Asserts the call fails with `Unavailable` in well under a second.
    async fn fails_fast<T: std::fmt::Debug>(call: impl Future<Output = Result<T, StoreError>>) {
        let started = Instant::now();
        let result = call.await;
        assert!(
            matches!(result, Err(StoreError::Unavailable(_))),
            "{result:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "took {:?}",
            started.elapsed()
        );
    }

    /// A store with [`fast_options`] on `server`.
    async fn connect(server: &PrivateRedis) -> RedisStore {
        RedisStore::connect(&server.url(), fast_options())
            .await
            .unwrap()
    }

    /// A private redis-server, started, and a store on it; `None` where Redis tests skip.
    async fn booted() -> Option<(PrivateRedis, RedisStore)> {
        let mut server = PrivateRedis::new(None, in_ci())?;
        server.boot();
        let store = connect(&server).await;
        Some((server, store))
    }

    /// Retries `begin_turn` until Redis is back (bounded), returning the leased session.
    async fn active_again(store: &RedisStore, sid: &str) -> Leased {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            match store.begin_turn(sid, 10_000).await {
                Ok(Loaded::Active(l)) => return l,
                Ok(other) => panic!("session lost after the outage: {other:?}"),
                Err(StoreError::Unavailable(_)) | Err(StoreError::Busy)
                    if Instant::now() < deadline =>
                {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("the store did not recover: {e}"),
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_outage_fails_fast_and_the_conversation_resumes_where_it_was() {
        let Some((mut server, store)) = booted().await else {
            return;
        };
        store.health().await.unwrap();
        let sid = id();
        store.create(&sid, b"hello".to_vec(), 600).await.unwrap();
        let l = active(&store, &sid).await;
        store
            .commit_turn(&sid, b"turn 1".to_vec(), &l, 600)
            .await
            .unwrap();

        // Scripts are loaded now: a turn is one round trip to load (plain commands) and one
        // script to save.
        let mut raw = server.raw().expect("raw connection");
        let before = script_calls(&mut raw);
        let l = active(&store, &sid).await;
        store
            .commit_turn(&sid, b"turn 2".to_vec(), &l, 600)
            .await
            .unwrap();
        let after = script_calls(&mut raw);
        let calls: Vec<u64> = after.iter().zip(before).map(|(a, b)| a - b).collect();
        assert_eq!(
            calls,
            [1, 0, 0],
            "EVALSHA, EVAL, SCRIPT LOAD for begin_turn + commit_turn"
        );

        // A hung server (SIGSTOP) times out instead of hanging.
        server.signal("-STOP");
        fails_fast(store.health()).await;
        fails_fast(store.begin_turn(&sid, 200)).await;
        server.signal("-CONT");
        let l = active_again(&store, &sid).await;
        store.abort_turn(&sid, &l).await.unwrap();

        // A stopped server: every call fails fast, nothing hangs, nothing panics.
        server.shutdown();
        for _ in 0..3 {
            fails_fast(store.begin_turn(&sid, 10_000)).await;
        }
        fails_fast(store.health()).await;
        fails_fast(store.create(&id(), b"x".to_vec(), 60)).await;

        // Back again: the same store (no restart) continues the conversation where it was.
        server.boot();
        let l = active_again(&store, &sid).await;
        assert_eq!((l.data.as_slice(), l.version), (&b"turn 2"[..], 3));
        store
            .commit_turn(&sid, b"turn 3".to_vec(), &l, 600)
            .await
            .unwrap();
        assert_eq!(active(&store, &sid).await.version, 4);
        store.health().await.unwrap();
    }

    /// Once Redis accepts connections again, the very first call succeeds: the connection's
    /// last reconnection attempt, refused during the outage, is not the answer to it. (One
    /// thread, so every call goes through the same connection.)
    #[tokio::test(flavor = "current_thread")]
    async fn the_first_call_after_a_restart_succeeds() {
        let Some((mut server, store)) = booted().await else {
            return;
        };
        let sid = id();
        store.create(&sid, b"kept".to_vec(), 600).await.unwrap();

        server.shutdown();
        // The first call finds the connection dropped, the next ones get refused attempts.
        for _ in 0..3 {
            fails_fast(store.health()).await;
        }
        // Each failed call starts a new reconnection attempt in the background: let the last
        // one be refused too, as it is when Redis stays down a while.
        tokio::time::sleep(Duration::from_millis(700)).await;
        server.boot(); // returns once Redis accepts connections

        store
            .health()
            .await
            .expect("the first call after the restart");
        let l = active(&store, &sid).await;
        assert_eq!(l.data, b"kept");
        store.abort_turn(&sid, &l).await.unwrap();
    }

    /// A connection nobody used during the outage is dead when Redis is back. The first call
    /// of a turn (taking the lease and reading the state) and the health check are sent again
    /// on a new connection, so they succeed; both are safe to repeat.
    #[tokio::test(flavor = "current_thread")]
    async fn a_connection_idle_through_a_restart_serves_its_first_turn() {
        let Some((mut server, turns)) = booted().await else {
            return;
        };
        let checks = connect(&server).await;
        let sid = id();
        turns.create(&sid, b"kept".to_vec(), 600).await.unwrap();
        checks.health().await.unwrap();

        server.shutdown();
        // Let each connection's driver see the end of its socket.
        tokio::time::sleep(Duration::from_millis(200)).await;
        server.boot();

        checks.health().await.expect("the first health check");
        match turns.begin_turn(&sid, 10_000).await {
            Ok(Loaded::Active(l)) => {
                assert_eq!((l.data.as_slice(), l.version), (&b"kept"[..], 1));
                turns.abort_turn(&sid, &l).await.unwrap();
            }
            other => panic!("the first turn after the restart: {other:?}"),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_store_started_while_redis_is_down_recovers_by_itself() {
        let Some(mut server) = PrivateRedis::new(None, in_ci()) else {
            return;
        };
        let started = Instant::now();
        let store = RedisStore::connect(&server.url(), fast_options())
            .await
            .expect("lazy connect");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "connect took {:?}",
            started.elapsed()
        );
        fails_fast(store.health()).await;
        fails_fast(store.create(&id(), b"x".to_vec(), 60)).await;

        server.boot();
        let deadline = Instant::now() + Duration::from_secs(15);
        while store.health().await.is_err() {
            assert!(Instant::now() < deadline, "the store never reconnected");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let sid = id();
        store.create(&sid, b"up".to_vec(), 60).await.unwrap();
        assert_eq!(active(&store, &sid).await.data, b"up");
    }
}
