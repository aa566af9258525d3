//! The stores under test ([`Backend`]): the in-memory store, a single Redis
//! (`TESSERA_TEST_REDIS_URL`) and a Redis Cluster (`TESSERA_TEST_REDIS_CLUSTER_URL`), each Redis
//! one with its own key prefix, deleted on drop ([`RawRedis`]); and the tests of connecting.

use std::sync::Arc;
use std::time::Duration;

use tessera::store::memory::{MemoryCredentialStore, MemoryEvents, MemoryFlowStore, MemoryStore};
use tessera::store::redis::{RedisOptions, RedisStore};
use tessera::store::{CredentialStore, EventStore, FlowStore, SessionStore, StoreError};

use crate::common::redis_env::{required_by, scan, shared_redis_url};
use crate::support::{Records, Store};

/// One store under test.
pub struct Backend {
    pub store: Arc<dyn Store>,
    pub flows: Arc<dyn FlowStore>,
    pub credentials: Arc<dyn CredentialStore>,
    /// Engine-API records, transcripts and timers.
    pub records: Arc<dyn Records>,
    /// Trigger events (the queue, the log).
    pub events: Arc<dyn EventStore>,
    /// The finished and expired markers last [`MARKER`], so cases can wait for them to go.
    pub short_markers: bool,
    /// Raw access to the Redis nodes (and key cleanup on drop), for Redis backends.
    pub redis: Option<RawRedis>,
}

pub const MARKER: Duration = Duration::from_secs(1);

pub fn memory_backend() -> Backend {
    let store = Arc::new(MemoryStore::new().with_marker_durations(MARKER, MARKER));
    let records = store.records();
    Backend {
        records: records.clone(),
        events: Arc::new(MemoryEvents::new(records)),
        store,
        flows: Arc::new(MemoryFlowStore::default()),
        credentials: Arc::new(MemoryCredentialStore::default()),
        short_markers: true,
        redis: None,
    }
}

/// The Redis nodes behind a backend and the test's key prefix; deletes the prefix's keys on drop.
pub struct RawRedis {
    pub nodes: Vec<String>,
    pub prefix: String,
}

impl RawRedis {
    /// Every key of this test, on every node, with its PTTL.
    pub fn keys_with_pttl(&self) -> Vec<(String, i64)> {
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

    /// The PTTL of this test's key ending with `suffix` (None when there is none).
    pub fn pttl_ending_with(&self, suffix: &str) -> Option<i64> {
        self.keys_with_pttl()
            .into_iter()
            .find(|(k, _)| k.ends_with(suffix))
            .map(|(_, pttl)| pttl)
    }

    /// Sets the TTL of this test's keys ending with `suffix` (as another writer might).
    pub fn pexpire_ending_with(&self, suffix: &str, ms: u64) {
        for (key, _) in self.keys_with_pttl() {
            if !key.ends_with(suffix) {
                continue;
            }
            for node in &self.nodes {
                let mut con = redis::Client::open(node.as_str())
                    .and_then(|c| c.get_connection())
                    .expect("raw connection");
                // On a cluster only the node owning the key's slot has it; others answer MOVED.
                let _: redis::RedisResult<i64> =
                    redis::cmd("PEXPIRE").arg(&key).arg(ms).query(&mut con);
            }
        }
    }

    /// Deletes this test's keys whose name ends with `suffix` (as if they had expired).
    pub fn delete_ending_with(&self, suffix: &str) {
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

pub fn test_options() -> RedisOptions {
    RedisOptions {
        prefix: format!("tessera-test-{}", tessera::ids::new_id()),
        // Generous: the contract is about semantics, CI machines are busy. Faults have their own test.
        command_timeout: Duration::from_secs(3),
        ..RedisOptions::default()
    }
    .with_marker_durations(MARKER, MARKER)
}

/// Connects to `url`; fails the test if Redis is required, skips (None) otherwise.
pub async fn redis_backend_at(
    var: &str,
    url: Option<String>,
    nodes: Vec<String>,
) -> Option<Backend> {
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
        flows: store.clone(),
        credentials: store.clone(),
        records: store.clone(),
        events: store,
        short_markers: true,
        redis: Some(RawRedis { nodes, prefix }),
    })
}

pub async fn single_backend() -> Option<Backend> {
    let url = shared_redis_url();
    redis_backend_at("TESSERA_TEST_REDIS_URL", Some(url.clone()), vec![url]).await
}

pub async fn cluster_backend() -> Option<Backend> {
    let url = std::env::var("TESSERA_TEST_REDIS_CLUSTER_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let nodes = url.as_deref().map(cluster_nodes).unwrap_or_default();
    redis_backend_at("TESSERA_TEST_REDIS_CLUSTER_URL", url, nodes).await
}

/// `redis+cluster://h1:p1,h2:p2` -> `["redis://h1:p1", "redis://h2:p2"]`.
pub fn cluster_nodes(url: &str) -> Vec<String> {
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
