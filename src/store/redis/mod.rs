//! The Redis store: the same session, idempotency, result and flow contracts as the in-memory
//! store, on a single Redis (`redis://host:port/db`) or a Redis Cluster
//! (`redis+cluster://h1:p1,h2:p2`).
//!
//! What it owns: the connection (one multiplexed connection manager or one cluster-async
//! connection behind a single `Conn` type, so there is one code path), the key layout, and
//! the mapping of Redis failures to [`StoreError`]. It must not know what a session contains.
//! This file holds the options and the plumbing every call goes through; the contracts are
//! implemented beside it, one file each: `sessions.rs` (with the state header in `state.rs`),
//! `idempotency.rs`, `results.rs`, `flows.rs`.
//!
//! - **One round trip per step.** `begin_turn` (take the lease, read the state), `create` and
//!   `create_finished` are pipelines of plain commands; `commit_turn`, `finish_turn`,
//!   `abort_turn` and the combined `save_turn` are one Lua script each (`scripts.rs`);
//!   every key of a session is hash-tagged by session (`{s:<id>}`), so it all works on a
//!   cluster.
//! - **Fail fast.** Every command is bounded by [`RedisOptions::command_timeout`]; connection,
//!   I/O, cluster-down and timeout errors become [`StoreError::Unavailable`]. Scripts are
//!   atomic, so a failed save has written either everything or nothing; the plain-command
//!   steps only write what is harmless alone (a lease, a marker).
//! - **Recovers by itself.** The connection manager (and the cluster connection) reconnect in
//!   the background after Redis comes back; no restart is needed.
//! - **Lazy start.** [`RedisStore::connect`] does not fail when Redis is down at start-up: it
//!   logs a warning and returns a store whose [`SessionStore::health`] reports the outage, so the
//!   server can start, answer `/readyz` with 503, and recover once Redis is reachable. Only a
//!   malformed URL (or `rediss://`, TLS not being compiled in) is an error.
//!
//! The key layout and the expiry rules are described in `docs/REDIS.md`.

mod conn;
mod credentials;
mod events;
mod events_scripts;
mod events_worker;
mod flows;
#[doc(hidden)]
pub mod fuzzing;
mod idempotency;
mod keys;
mod records;
mod results;
pub mod rooms;
mod scripts;
mod sessions;
mod state;
mod stats;
mod transcripts;

use std::future::Future;
use std::time::Duration;

use ::redis::{Cmd, FromRedisValue, RedisError, ScriptInvocation};

use self::conn::{Conn, map_err};
use self::keys::Keys;

use super::{EXPIRED_GRACE_SECS, FINISHED_MARKER_SECS, SessionStore, StoreError};

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

/// Sessions, idempotency records, results and published flows in Redis or Redis Cluster.
pub struct RedisStore {
    /// The connection of the thread that created the store (start-up probe, `kind`).
    conn: Conn,
    /// What per-thread connections are opened from.
    url: String,
    /// Distinguishes stores in the per-thread connection table.
    id: usize,
    keys: Keys,
    opts: RedisOptions,
}

static NEXT_STORE_ID: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

thread_local! {
    /// One connection per store and thread. Connections are lazy: the first command sent from
    /// a thread opens it there, so its I/O driver runs on that thread's runtime (an HTTP
    /// worker), instead of every command crossing to the thread that created the store.
    /// A list, not a map: a process has one or two stores, and this runs on every call.
    static CONNS: std::cell::RefCell<Vec<(usize, Conn)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("kind", &self.kind())
            .field("opts", &self.opts)
            .finish()
    }
}

/// Whole milliseconds of a duration, at least 1 (Redis rejects a zero expiry).
fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

fn secs_ms(secs: u64) -> u64 {
    secs.saturating_mul(1000).max(1)
}

/// The connection was lost (not refused: a refusal never carried the command).
fn dropped(e: &RedisError) -> bool {
    e.is_connection_dropped() && !e.is_connection_refusal()
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
        let conn = conn::open(url, &opts)?;
        let store = RedisStore {
            conn,
            url: url.to_string(),
            id: NEXT_STORE_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
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

    /// This thread's connection (opened lazily on first use).
    fn con(&self) -> Conn {
        CONNS
            .try_with(|m| {
                if let Some((_, c)) = m.borrow().iter().find(|(id, _)| *id == self.id) {
                    return c.clone();
                }
                // The URL was parsed when the store was created: opening cannot fail here, but
                // fall back to the shared connection rather than erroring.
                let c = conn::open(&self.url, &self.opts).unwrap_or_else(|_| self.conn.clone());
                m.borrow_mut().push((self.id, c.clone()));
                c
            })
            .unwrap_or_else(|_| self.conn.clone())
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
        let mut con = self.con();
        self.bounded(what, cmd.query_async(&mut con)).await
    }

    /// Runs a command that is safe to send twice (a read), sending it once more if the
    /// connection turns out to be dropped. A connection left idle through a Redis restart only
    /// finds out when it is used, and then cannot tell whether the command reached Redis: a
    /// read may be repeated, a write may not. (Refused connections are retried for every call,
    /// in [`Conn`].)
    async fn read<T: FromRedisValue>(&self, what: &str, cmd: &Cmd) -> Result<T, StoreError> {
        self.bounded(what, async {
            match cmd.query_async(&mut self.con()).await {
                Err(e) if dropped(&e) => cmd.query_async(&mut self.con()).await,
                r => r,
            }
        })
        .await
    }

    /// Runs a pipeline of plain commands (one round trip, not a transaction).
    async fn pipeline<T: FromRedisValue>(
        &self,
        what: &str,
        pipe: &::redis::Pipeline,
    ) -> Result<T, StoreError> {
        let mut con = self.con();
        self.bounded(what, pipe.query_async(&mut con)).await
    }

    /// Runs one script (one EVALSHA round trip once the script is loaded).
    async fn script<T: FromRedisValue>(
        &self,
        what: &str,
        invocation: &ScriptInvocation<'_>,
    ) -> Result<T, StoreError> {
        let mut con = self.con();
        self.bounded(what, invocation.invoke_async(&mut con)).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.read::<String>("PING", &::redis::cmd("PING"))
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
