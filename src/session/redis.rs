//! The Redis store: the same [`Store`] and [`FlowStore`] contracts as the in-memory store, on a
//! single Redis (`redis://host:port/db`) or a Redis Cluster (`redis+cluster://h1:p1,h2:p2`).
//!
//! What it owns: the connection (one multiplexed [`ConnectionManager`] or one cluster-async
//! connection behind a single [`Conn`] type, so there is one code path), the key layout, and
//! the mapping of Redis failures to [`StoreError`]. It must not know what a session contains.
//!
//! - **One round trip per step.** `begin_turn`, `commit_turn`, `finish_turn`, `abort_turn`,
//!   `create` and `create_finished` are one Lua script each (see [`scripts`]); every key a
//!   script touches is hash-tagged by session (`{s:<id>}`), so the scripts work on a cluster.
//! - **Fail fast.** Every command is bounded by [`RedisOptions::command_timeout`]; connection,
//!   I/O, cluster-down and timeout errors become [`StoreError::Unavailable`]. Scripts are
//!   atomic, so a failed call has written either everything or nothing.
//! - **Recovers by itself.** The connection manager (and the cluster connection) reconnect in
//!   the background after Redis comes back; no restart is needed.
//! - **Lazy start.** [`RedisStore::connect`] does not fail when Redis is down at start-up: it
//!   logs a warning and returns a store whose [`Store::health`] reports the outage, so the
//!   server can start, answer `/readyz` with 503, and recover once Redis is reachable. Only a
//!   malformed URL (or `rediss://`, TLS not being compiled in) is an error.
//!
//! The key layout and the expiry rules are described in `docs/REDIS.md`.

#[path = "redis_flows.rs"]
mod flows;
#[path = "redis_results.rs"]
mod results;
#[path = "redis_scripts.rs"]
mod scripts;

use std::future::Future;
use std::time::Duration;

use ::redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use ::redis::cluster::{ClusterClient, ClusterConfig};
use ::redis::cluster_async::ClusterConnection;
use ::redis::{
    Cmd, ErrorKind, FromRedisValue, Pipeline, RedisError, RedisFuture, ScriptInvocation,
    ServerErrorKind, Value,
};

use super::{
    BoxFuture, EXPIRED_GRACE_SECS, FINISHED_MARKER_SECS, Leased, Loaded, ResultRecord,
    ResultUpdate, ResultsPage, Store, StoreError, StoredResponse,
};

/// Settings of a [`RedisStore`]. `Default` gives the production values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisOptions {
    /// First part of every key (`tessera` by default); lets several deployments (or test runs)
    /// share one Redis. Must not contain `{` or `}`.
    pub prefix: String,
    /// Upper bound of every store call, connection wait included (default 500 ms).
    pub command_timeout: Duration,
    /// Upper bound of one TCP connection attempt (default 2 s).
    pub connect_timeout: Duration,
    /// How long a finished session's marker is kept (default [`FINISHED_MARKER_SECS`]).
    pub finished_marker: Duration,
    /// How long after expiry a session is reported as expired (default [`EXPIRED_GRACE_SECS`]).
    pub expired_grace: Duration,
}

impl Default for RedisOptions {
    fn default() -> Self {
        RedisOptions {
            prefix: "tessera".into(),
            command_timeout: Duration::from_millis(500),
            connect_timeout: Duration::from_secs(2),
            finished_marker: Duration::from_secs(FINISHED_MARKER_SECS),
            expired_grace: Duration::from_secs(EXPIRED_GRACE_SECS),
        }
    }
}

impl RedisOptions {
    /// Sets the key prefix.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Sets how long the finished and expired markers live (tests use short values).
    pub fn with_marker_durations(
        mut self,
        finished_marker: Duration,
        expired_grace: Duration,
    ) -> Self {
        self.finished_marker = finished_marker;
        self.expired_grace = expired_grace;
        self
    }
}

/// The one connection type: a single server or a cluster. Both are cheap to clone (handles
/// to a multiplexed connection) and both implement [`ConnectionLike`], so every command and
/// script is written once.
#[derive(Clone)]
enum Conn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Conn::Single(c) => c.req_packed_command(cmd),
            Conn::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Conn::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Conn::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Single(c) => c.get_db(),
            Conn::Cluster(c) => c.get_db(),
        }
    }
}

/// Builds every key name. All keys of one session, one flow's results or the flow pointers
/// share a hash tag (`{...}`), so the scripts over them stay within one cluster slot.
struct Keys {
    prefix: String,
}

impl Keys {
    /// State, lease and seen keys of a session.
    fn session(&self, id: &str) -> [String; 3] {
        let base = format!("{}:{{s:{id}}}", self.prefix);
        [
            format!("{base}:state"),
            format!("{base}:lease"),
            format!("{base}:seen"),
        ]
    }

    fn idempotency(&self, key: &str) -> String {
        format!("{}:{{i:{key}}}", self.prefix)
    }

    /// Record key, created-time index and expiry index of a flow's results.
    fn result(&self, flow_id: &str, result_id: &str) -> String {
        format!("{}:{{r:{flow_id}}}:res:{result_id}", self.prefix)
    }

    fn result_indexes(&self, flow_id: &str) -> [String; 2] {
        let base = format!("{}:{{r:{flow_id}}}", self.prefix);
        [format!("{base}:idx"), format!("{base}:exp")]
    }

    /// The published-pointer hash and the public-id hash.
    fn flows(&self) -> [String; 2] {
        [
            format!("{}:{{flows}}:pub", self.prefix),
            format!("{}:{{flows}}:public", self.prefix),
        ]
    }

    fn revision(&self, flow_id: &str, revision: &str) -> String {
        format!("{}:{{rev:{flow_id}}}:{revision}", self.prefix)
    }
}

/// Sessions, idempotency records, results and published flows in Redis or Redis Cluster.
pub struct RedisStore {
    conn: Conn,
    keys: Keys,
    opts: RedisOptions,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("kind", &self.kind())
            .field("opts", &self.opts)
            .finish()
    }
}

/// Where to connect, parsed from the store URL.
#[derive(Debug, PartialEq)]
enum Target {
    Single(String),
    Cluster(Vec<String>),
}

fn parse_url(url: &str) -> Result<Target, StoreError> {
    let url = url.trim();
    let bad = |why: &str| StoreError::Other(format!("invalid Redis URL {url:?}: {why}"));
    if url.starts_with("rediss://") || url.starts_with("rediss+cluster://") {
        return Err(StoreError::Other(
            "rediss:// (TLS) is not compiled into this build: use redis:// on a private network or a TLS-terminating proxy"
                .into(),
        ));
    }
    if let Some(rest) = url.strip_prefix("redis+cluster://") {
        let rest = rest.trim_end_matches('/');
        let (auth, hosts) = match rest.rsplit_once('@') {
            Some((auth, hosts)) => (format!("{auth}@"), hosts),
            None => (String::new(), rest),
        };
        let nodes: Vec<String> = hosts
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(|h| format!("redis://{auth}{h}"))
            .collect();
        if nodes.is_empty() {
            return Err(bad("no cluster nodes"));
        }
        return Ok(Target::Cluster(nodes));
    }
    if url.starts_with("redis://") && url.contains(',') {
        // A plain list of node URLs also selects the cluster client.
        let nodes: Vec<String> = url
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .collect();
        if nodes.iter().any(|n| !n.starts_with("redis://")) {
            return Err(bad("every node of a list must be a redis:// URL"));
        }
        return Ok(Target::Cluster(nodes));
    }
    if url.starts_with("redis://") || url.starts_with("redis+unix://") || url.starts_with("unix://")
    {
        return Ok(Target::Single(url.to_string()));
    }
    Err(bad(
        "expected redis://, redis+cluster:// or a comma-separated list of redis:// nodes",
    ))
}

/// Whole milliseconds of a duration, at least 1 (Redis rejects a zero expiry).
fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

fn secs_ms(secs: u64) -> u64 {
    secs.saturating_mul(1000).max(1)
}

/// Connection-level failures (the store is unreachable or failing over) are `Unavailable`;
/// anything else (a script error, a wrong type) is a bug or corruption: `Other`.
fn map_err(what: &str, e: RedisError) -> StoreError {
    let transient = e.is_io_error()
        || e.is_timeout()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || e.is_cluster_error()
        || matches!(
            e.kind(),
            ErrorKind::ClusterConnectionNotFound
                | ErrorKind::Server(
                    ServerErrorKind::BusyLoading
                        | ServerErrorKind::MasterDown
                        | ServerErrorKind::ReadOnly
                        | ServerErrorKind::TryAgain
                        | ServerErrorKind::ClusterDown
                )
        );
    if transient {
        StoreError::Unavailable(format!("redis {what}: {e}"))
    } else {
        StoreError::Other(format!("redis {what}: {e}"))
    }
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Other(format!("redis {what}: unreadable stored value: {e}"))
}

impl RedisStore {
    /// Creates the store for `url` (see the module docs for the URL forms). Never waits longer
    /// than `opts.connect_timeout`; succeeds even when Redis is down (reported by `health`).
    pub async fn connect(url: &str, opts: RedisOptions) -> Result<RedisStore, StoreError> {
        if opts.prefix.is_empty() || opts.prefix.contains(['{', '}']) {
            return Err(StoreError::Other(format!(
                "invalid Redis key prefix {:?}: must be non-empty, without braces",
                opts.prefix
            )));
        }
        let config_err =
            |e: RedisError| StoreError::Other(format!("invalid Redis configuration: {e}"));
        let conn = match parse_url(url)? {
            Target::Single(url) => {
                let client = ::redis::Client::open(url.as_str()).map_err(config_err)?;
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(opts.connect_timeout))
                    .set_response_timeout(Some(opts.command_timeout))
                    // Few, quick reconnection attempts: every later call starts a new attempt
                    // anyway, and callers must not queue behind a long back-off.
                    .set_number_of_retries(1)
                    .set_min_delay(Duration::from_millis(50))
                    .set_max_delay(Duration::from_millis(500));
                Conn::Single(
                    ConnectionManager::new_lazy_with_config(client, config).map_err(config_err)?,
                )
            }
            Target::Cluster(nodes) => {
                let client = ClusterClient::builder(nodes)
                    .connection_timeout(opts.connect_timeout)
                    .response_timeout(opts.command_timeout)
                    .retries(2)
                    .build()
                    .map_err(config_err)?;
                let config = ClusterConfig::new()
                    .set_connection_timeout(opts.connect_timeout)
                    .set_response_timeout(opts.command_timeout);
                Conn::Cluster(client.get_pending_async_connection_with_config(config))
            }
        };
        let store = RedisStore {
            conn,
            keys: Keys {
                prefix: opts.prefix.clone(),
            },
            opts,
        };
        let probe = tokio::time::timeout(store.opts.connect_timeout, store.ping()).await;
        match probe {
            Ok(Ok(())) => tracing::info!(kind = store.kind(), "connected to the Redis store"),
            Ok(Err(e)) => {
                tracing::warn!(kind = store.kind(), error = %e, "Redis is not reachable yet; starting anyway")
            }
            Err(_) => tracing::warn!(
                kind = store.kind(),
                "Redis did not answer at start-up; starting anyway"
            ),
        }
        Ok(store)
    }

    /// The options the store runs with.
    pub fn options(&self) -> &RedisOptions {
        &self.opts
    }

    /// Runs one Redis call within the command timeout.
    async fn bounded<T>(
        &self,
        what: &str,
        call: impl Future<Output = Result<T, RedisError>>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(self.opts.command_timeout, call).await {
            Ok(result) => result.map_err(|e| map_err(what, e)),
            Err(_) => Err(StoreError::Unavailable(format!(
                "redis {what}: no answer within {} ms",
                self.opts.command_timeout.as_millis()
            ))),
        }
    }

    /// Runs one command (one round trip).
    async fn query<T: FromRedisValue>(&self, what: &str, cmd: &Cmd) -> Result<T, StoreError> {
        let mut con = self.conn.clone();
        self.bounded(what, cmd.query_async(&mut con)).await
    }

    /// Runs one script (one EVALSHA round trip once the script is loaded).
    async fn script<T: FromRedisValue>(
        &self,
        what: &str,
        invocation: &ScriptInvocation<'_>,
    ) -> Result<T, StoreError> {
        let mut con = self.conn.clone();
        self.bounded(what, invocation.invoke_async(&mut con)).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.query::<String>("PING", &::redis::cmd("PING"))
            .await
            .map(|_| ())
    }

    /// A session script over the session's three keys.
    fn session_script(
        &self,
        script: &'static ::redis::Script,
        id: &str,
    ) -> ScriptInvocation<'static> {
        let mut inv = script.prepare_invoke();
        for key in self.keys.session(id) {
            inv.key(key);
        }
        inv
    }

    fn seen_ms(&self, ttl_secs: u64) -> u64 {
        secs_ms(ttl_secs).saturating_add(ms(self.opts.expired_grace))
    }
}

/// Maps a "did the compare-and-set apply" script answer.
fn applied(n: i64) -> Result<(), StoreError> {
    if n == 1 {
        Ok(())
    } else {
        Err(StoreError::Busy)
    }
}

impl Store for RedisStore {
    fn create(
        &self,
        id: &str,
        data: Vec<u8>,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let mut inv = self.session_script(&scripts::CREATE, id);
        inv.arg(data)
            .arg(secs_ms(ttl_secs))
            .arg(self.seen_ms(ttl_secs));
        Box::pin(async move { applied(self.script("create", &inv).await?) })
    }

    fn create_finished(&self, id: &str) -> BoxFuture<'_, Result<(), StoreError>> {
        let mut inv = self.session_script(&scripts::CREATE_FINISHED, id);
        inv.arg(ms(self.opts.finished_marker));
        Box::pin(async move {
            self.script::<i64>("create_finished", &inv)
                .await
                .map(|_| ())
        })
    }

    fn begin_turn(&self, id: &str, lease_ms: u64) -> BoxFuture<'_, Result<Loaded, StoreError>> {
        let token = crate::ids::new_id();
        let mut inv = self.session_script(&scripts::BEGIN, id);
        inv.arg(&token).arg(lease_ms.max(1));
        Box::pin(async move {
            let (code, version, data): (i64, u64, Vec<u8>) =
                self.script("begin_turn", &inv).await?;
            match code {
                3 => Ok(Loaded::Active(Leased {
                    data,
                    version,
                    lease: token,
                })),
                2 => Ok(Loaded::Finished),
                1 => Ok(Loaded::Expired),
                0 => Ok(Loaded::Missing),
                -1 => Err(StoreError::Busy),
                other => Err(StoreError::Other(format!(
                    "redis begin_turn: unexpected answer {other}"
                ))),
            }
        })
    }

    fn commit_turn(
        &self,
        id: &str,
        data: Vec<u8>,
        leased: &Leased,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let mut inv = self.session_script(&scripts::COMMIT, id);
        inv.arg(&leased.lease)
            .arg(leased.version)
            .arg(data)
            .arg(secs_ms(ttl_secs))
            .arg(self.seen_ms(ttl_secs));
        Box::pin(async move { applied(self.script("commit_turn", &inv).await?) })
    }

    fn finish_turn(&self, id: &str, leased: &Leased) -> BoxFuture<'_, Result<(), StoreError>> {
        let mut inv = self.session_script(&scripts::FINISH, id);
        inv.arg(&leased.lease)
            .arg(leased.version)
            .arg(ms(self.opts.finished_marker));
        Box::pin(async move { applied(self.script("finish_turn", &inv).await?) })
    }

    fn abort_turn(&self, id: &str, leased: &Leased) -> BoxFuture<'_, Result<(), StoreError>> {
        let [state, lease, _] = self.keys.session(id);
        let mut inv = scripts::ABORT.prepare_invoke();
        inv.key(state)
            .key(lease)
            .arg(&leased.lease)
            .arg(leased.version);
        // Like the memory store, releasing a lease that is no longer ours is not an error.
        Box::pin(async move { self.script::<i64>("abort_turn", &inv).await.map(|_| ()) })
    }

    fn idempotency_get(
        &self,
        key: &str,
    ) -> BoxFuture<'_, Result<Option<StoredResponse>, StoreError>> {
        let cmd = ::redis::cmd("GET").arg(self.keys.idempotency(key)).clone();
        Box::pin(async move {
            let raw: Option<String> = self.query("idempotency_get", &cmd).await?;
            raw.map(|s| serde_json::from_str(&s).map_err(|e| corrupt("idempotency_get", e)))
                .transpose()
        })
    }

    fn idempotency_put(
        &self,
        key: &str,
        response: &StoredResponse,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let key = self.keys.idempotency(key);
        let json = serde_json::to_string(response);
        Box::pin(async move {
            if ttl_secs == 0 {
                return Ok(()); // Would expire at once, as in the memory store.
            }
            let json = json.map_err(|e| StoreError::Other(format!("idempotency_put: {e}")))?;
            // First writer wins: SET NX leaves an existing record untouched.
            let cmd = ::redis::cmd("SET")
                .arg(key)
                .arg(json)
                .arg("NX")
                .arg("EX")
                .arg(ttl_secs)
                .clone();
            self.query::<Value>("idempotency_put", &cmd)
                .await
                .map(|_| ())
        })
    }

    fn record_result(
        &self,
        update: &ResultUpdate,
        retention_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let update = update.clone();
        Box::pin(async move { self.record_result_cas(&update, retention_secs).await })
    }

    fn list_results(
        &self,
        flow_id: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> BoxFuture<'_, Result<ResultsPage, StoreError>> {
        let (flow_id, cursor) = (flow_id.to_string(), cursor.map(str::to_string));
        Box::pin(async move {
            self.list_results_page(&flow_id, cursor.as_deref(), limit)
                .await
        })
    }

    fn get_result(
        &self,
        flow_id: &str,
        result_id: &str,
    ) -> BoxFuture<'_, Result<Option<ResultRecord>, StoreError>> {
        let key = self.keys.result(flow_id, result_id);
        Box::pin(async move { Ok(self.read_result(&key).await?.map(|(record, _)| record)) })
    }

    fn health(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(self.ping())
    }

    fn kind(&self) -> &'static str {
        match self.conn {
            Conn::Single(_) => "redis",
            Conn::Cluster(_) => "redis-cluster",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_select_single_or_cluster() {
        assert_eq!(
            parse_url("redis://127.0.0.1:6379/2").ok(),
            Some(Target::Single("redis://127.0.0.1:6379/2".into()))
        );
        assert_eq!(
            parse_url("redis+cluster://a:1,b:2/").ok(),
            Some(Target::Cluster(vec![
                "redis://a:1".into(),
                "redis://b:2".into()
            ]))
        );
        assert_eq!(
            parse_url("redis+cluster://u:p@a:1,b:2").ok(),
            Some(Target::Cluster(vec![
                "redis://u:p@a:1".into(),
                "redis://u:p@b:2".into()
            ]))
        );
        assert_eq!(
            parse_url("redis://a:1,redis://b:2").ok(),
            Some(Target::Cluster(vec![
                "redis://a:1".into(),
                "redis://b:2".into()
            ]))
        );
        assert!(
            matches!(parse_url("rediss://a:1"), Err(StoreError::Other(m)) if m.contains("TLS"))
        );
        assert!(parse_url("memcached://a").is_err());
        assert!(parse_url("redis+cluster://").is_err());
    }

    #[test]
    fn keys_of_one_session_share_a_hash_tag() {
        let keys = Keys { prefix: "t".into() };
        assert_eq!(
            keys.session("abc"),
            [
                "t:{s:abc}:state".to_string(),
                "t:{s:abc}:lease".into(),
                "t:{s:abc}:seen".into()
            ]
        );
        assert_eq!(keys.result("f", "r"), "t:{r:f}:res:r");
        assert_eq!(keys.flows()[1], "t:{flows}:public");
        assert_eq!(keys.revision("f", "9"), "t:{rev:f}:9");
    }
}
