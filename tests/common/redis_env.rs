//! Where the Redis tests find Redis and whether they may skip without it (never in CI, nor when
//! the variable naming the Redis is set), plus raw connections and key listing.

use std::time::Duration;

/// The variable naming the shared Redis.
pub const SHARED_REDIS_VAR: &str = "TESSERA_TEST_REDIS_URL";

/// True in CI, where Redis tests never skip.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some()
}

/// True when a missing Redis fails the test instead of skipping it: in CI, or when `var` is set.
pub fn required_by(var: &str) -> bool {
    in_ci() || std::env::var_os(var).is_some()
}

/// The shared Redis: [`SHARED_REDIS_VAR`], else `redis://127.0.0.1:6379`.
pub fn shared_redis_url() -> String {
    std::env::var(SHARED_REDIS_VAR)
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "redis://127.0.0.1:6379".into())
}

/// A plain connection that answered PING (2 s to connect, 5 s read timeout).
pub fn raw_connect(url: &str) -> redis::RedisResult<redis::Connection> {
    let mut con = redis::Client::open(url)?.get_connection_with_timeout(Duration::from_secs(2))?;
    con.set_read_timeout(Some(Duration::from_secs(5)))?;
    redis::cmd("PING").query::<String>(&mut con)?;
    Ok(con)
}

/// Every key matching `pattern` (SCAN, 1000 at a time).
pub fn scan(con: &mut redis::Connection, pattern: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = 0u64;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(pattern)
            .arg("COUNT")
            .arg(1000)
            .query(con)
            .expect("SCAN");
        out.extend(keys);
        if next == 0 {
            return out;
        }
        cursor = next;
    }
}
