//! The connection of the Redis store: URL parsing, the single-server / cluster connection
//! behind one [`Conn`] type, and the mapping of Redis errors to [`StoreError`]. Nothing here
//! knows about keys or sessions.

use std::time::Duration;

use ::redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use ::redis::cluster::{ClusterClient, ClusterConfig};
use ::redis::cluster_async::ClusterConnection;
use ::redis::{Cmd, ErrorKind, Pipeline, RedisError, RedisFuture, ServerErrorKind, Value};

use super::RedisOptions;
use crate::store::StoreError;

/// The one connection type: a single server or a cluster. Both are cheap to clone (handles
/// to a multiplexed connection) and both implement [`ConnectionLike`], so every command and
/// script is written once.
///
/// A single-server call refused at connection time is tried once more. The connection
/// manager hands every caller the outcome of its last reconnection attempt, then starts a new
/// one: without the second try, the first call after Redis is back, on each thread whose last
/// attempt was refused, would fail although Redis answers. A refused connection never carried
/// the command, so the second try cannot apply it twice.
#[derive(Clone)]
pub(super) enum Conn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Conn::Single(c) => Box::pin(async move {
                match c.send_packed_command(cmd).await {
                    Err(e) if e.is_connection_refusal() => c.send_packed_command(cmd).await,
                    r => r,
                }
            }),
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
            Conn::Single(c) => Box::pin(async move {
                match c.send_packed_commands(pipeline, offset, count).await {
                    Err(e) if e.is_connection_refusal() => {
                        c.send_packed_commands(pipeline, offset, count).await
                    }
                    r => r,
                }
            }),
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

/// Where to connect, parsed from the store URL.
#[derive(Debug, PartialEq)]
enum Target {
    Single(String),
    Cluster(Vec<String>),
}

fn parse_url(url: &str) -> Result<Target, StoreError> {
    let url = url.trim();
    let shown = crate::config::redact_url(url);
    let bad = |why: &str| StoreError::Other(format!("invalid Redis URL {shown:?}: {why}"));
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

/// The URL of one server of `url` (the first node of a cluster): where pub/sub subscribes.
pub(super) fn first_node(url: &str) -> Result<String, StoreError> {
    Ok(match parse_url(url)? {
        Target::Single(u) => u,
        Target::Cluster(nodes) => nodes.into_iter().next().unwrap_or_default(),
    })
}

/// Creates the (lazy) connection for `url`: nothing is sent until the first command, so this
/// never blocks and never fails because Redis is down; only a bad URL is an error.
pub(super) fn open(url: &str, opts: &RedisOptions) -> Result<Conn, StoreError> {
    let config_err = |e: RedisError| StoreError::Other(format!("invalid Redis configuration: {e}"));
    let conn = match parse_url(url)? {
        Target::Single(url) => {
            let client = ::redis::Client::open(url.as_str()).map_err(config_err)?;
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(opts.connect_timeout))
                // No response timeout here: every store call is already bounded by
                // `command_timeout` (`RedisStore::bounded`), and a second timer per call costs.
                .set_response_timeout(None)
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
    Ok(conn)
}

/// Connection-level failures (the store is unreachable, failing over, out of memory or busy)
/// are `Unavailable`; anything else (a script error, a wrong type) is a bug or corruption: `Other`.
pub(super) fn map_err(what: &str, e: RedisError) -> StoreError {
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
        )
        // Out of memory (maxmemory with noeviction) and a script running too long: the store
        // refuses work for now. Redis refuses a script's writes only before its first write,
        // so a script is still applied entirely or not at all.
        || matches!(e.code(), Some("OOM" | "BUSY"));
    if transient {
        StoreError::Unavailable(format!("redis {what}: {e}"))
    } else {
        StoreError::Other(format!("redis {what}: {e}"))
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
}
