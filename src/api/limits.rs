//! Abuse limits on requests: a token bucket per client IP and one per chat session
//! (`/api/v{1,2}/sessions/{id}/...`), checked by the router before any handler runs; over the
//! rate, 429 `rate_limited` with `Retry-After`. The client IP is the TCP peer's, or, when the
//! peer is one of the configured `trusted_proxies`, the last address of `X-Forwarded-For` that
//! is not a trusted proxy (the one the outermost trusted proxy saw); an untrusted peer's
//! `X-Forwarded-For` is ignored, so no client can pick its own bucket.
//!
//! The timeouts for slow clients and the connection cap are actix settings (`server`); the
//! body read timeout is applied where bodies are read (`body::read_body`).
//!
//! Cost per request: one `Instant::now()`, one hash and one short mutex-held map update per
//! limit (the map is split in shards, so workers rarely wait on each other). Memory is bounded:
//! a shard holds at most [`SHARD_CAPACITY`] keys; when full, the buckets that have refilled
//! (idle clients) are dropped, and if none has, the new key is not tracked (fail open: a flood
//! of distinct addresses is the connection cap's job, not this map's).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::HttpRequest;

use super::error::{ApiError, ErrorCode};

const SHARDS: usize = 16;
/// Keys per shard (16 shards: about 65,000 clients or sessions tracked at once, ~3 MB).
pub const SHARD_CAPACITY: usize = 4096;

/// The request limits of one server.
pub struct RequestLimits {
    per_ip: Option<TokenBuckets<IpAddr>>,
    per_session: Option<TokenBuckets<u64>>,
    trusted_proxies: Vec<IpAddr>,
    /// How long reading a request body may take (`body::read_body`).
    pub body_timeout: Duration,
    keys: RandomState,
}

impl RequestLimits {
    /// `per_ip` / `per_session`: requests per second (0: no limit), with bursts of twice that.
    pub fn new(
        per_ip: u32,
        per_session: u32,
        trusted_proxies: Vec<IpAddr>,
        body_timeout: Duration,
    ) -> Self {
        RequestLimits {
            per_ip: (per_ip > 0).then(|| TokenBuckets::new(per_ip)),
            per_session: (per_session > 0).then(|| TokenBuckets::new(per_session)),
            trusted_proxies,
            body_timeout,
            keys: RandomState::new(),
        }
    }

    /// No limit at all (tests of other things, the CLI's in-process server).
    pub fn off() -> Self {
        Self::new(0, 0, Vec::new(), Duration::from_secs(30))
    }

    /// Ok, or 429 `rate_limited` with the seconds to wait. `per_ip` false skips the per-IP
    /// bucket: server-to-server routes, authenticated by a token or a trigger's secret, where
    /// one backend legitimately sends thousands of requests a second from one address.
    pub fn check(&self, req: &HttpRequest, per_ip: bool) -> Result<(), ApiError> {
        if self.per_ip.is_none() && self.per_session.is_none() {
            return Ok(());
        }
        let now = Instant::now();
        if let (true, Some(buckets), Some(ip)) = (per_ip, &self.per_ip, self.client_ip(req)) {
            buckets
                .take(ip, self.keys.hash_one(ip), now)
                .map_err(|wait| rate_limited(wait, "this client"))?;
        }
        if let (Some(buckets), Some(session)) = (&self.per_session, session_of(req.path())) {
            let key = self.keys.hash_one(session);
            buckets
                .take(key, key, now)
                .map_err(|wait| rate_limited(wait, "this session"))?;
        }
        Ok(())
    }

    /// The client's address (see the module comment).
    pub fn client_ip(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr()?.ip();
        if !self.trusted_proxies.contains(&peer) {
            return Some(peer);
        }
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .collect::<Vec<_>>();
        Some(
            forwarded
                .into_iter()
                .rev()
                .find(|a| !self.trusted_proxies.contains(a))
                .unwrap_or(peer),
        )
    }
}

/// The session id of a chat-session route (`/api/v1/sessions/{id}/...`, `/api/v2/...`).
fn session_of(path: &str) -> Option<&str> {
    let rest = path
        .strip_prefix("/api/v1/sessions/")
        .or_else(|| path.strip_prefix("/api/v2/sessions/"))?;
    rest.split_once('/')
        .map(|(id, _)| id)
        .filter(|id| !id.is_empty())
}

fn rate_limited(wait: Duration, whom: &str) -> ApiError {
    let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
    ApiError::new(
        ErrorCode::RateLimited,
        format!("Too many requests from {whom}: retry in {secs} s."),
    )
    .with_details(serde_json::json!({ "retryAfter": secs }))
}

/// Token buckets keyed by `K`: `rate` tokens a second, at most `2 * rate` saved up.
pub struct TokenBuckets<K> {
    shards: Vec<Mutex<HashMap<K, Bucket>>>,
    rate: f64,
    burst: f64,
    start: Instant,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    /// Seconds since `start` when `tokens` was computed.
    at: f64,
}

impl<K: Hash + Eq + Copy> TokenBuckets<K> {
    pub fn new(rate: u32) -> Self {
        TokenBuckets {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            rate: f64::from(rate),
            burst: 2.0 * f64::from(rate),
            start: Instant::now(),
        }
    }

    /// Takes one token of `key`'s bucket (`hash` picks the shard), or the time until one is
    /// there.
    pub fn take(&self, key: K, hash: u64, now: Instant) -> Result<(), Duration> {
        let t = now.saturating_duration_since(self.start).as_secs_f64();
        let Some(shard) = self.shards.get(hash as usize % SHARDS) else {
            return Ok(());
        };
        // A poisoned shard (a panic while held, which nothing here can do) still limits.
        let mut map = shard.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= SHARD_CAPACITY && !map.contains_key(&key) {
            let (rate, burst) = (self.rate, self.burst);
            map.retain(|_, b| b.tokens + (t - b.at) * rate < burst);
            if map.len() >= SHARD_CAPACITY {
                return Ok(());
            }
        }
        let b = map.entry(key).or_insert(Bucket {
            tokens: self.burst,
            at: t,
        });
        b.tokens = (b.tokens + (t - b.at) * self.rate).min(self.burst);
        b.at = t;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) / self.rate))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_refills_at_its_rate() {
        let buckets = TokenBuckets::new(5);
        let t0 = Instant::now();
        for _ in 0..10 {
            assert!(buckets.take(1u64, 1, t0).is_ok());
        }
        let wait = buckets.take(1u64, 1, t0).err();
        assert!(wait.is_some_and(|w| w <= Duration::from_millis(200)));
        assert!(buckets.take(2u64, 2, t0).is_ok(), "another key has its own");
        assert!(
            buckets
                .take(1u64, 1, t0 + Duration::from_millis(210))
                .is_ok()
        );
        assert!(
            buckets
                .take(1u64, 1, t0 + Duration::from_millis(210))
                .is_err()
        );
    }

    #[test]
    fn a_full_shard_drops_idle_buckets_and_never_grows_past_its_capacity() {
        let buckets = TokenBuckets::new(1);
        let t0 = Instant::now();
        // Every key lands in shard 0 (hash 0).
        for k in 0..SHARD_CAPACITY as u64 {
            assert!(buckets.take(k, 0, t0).is_ok());
        }
        assert!(
            buckets.take(u64::MAX, 0, t0).is_ok(),
            "fails open when full"
        );
        let len = |b: &TokenBuckets<u64>| b.shards[0].lock().map(|m| m.len()).unwrap_or(0);
        assert_eq!(len(&buckets), SHARD_CAPACITY);
        // Two seconds later every bucket has refilled: they make room.
        assert!(
            buckets
                .take(u64::MAX, 0, t0 + Duration::from_secs(2))
                .is_ok()
        );
        assert_eq!(len(&buckets), 1);
    }

    #[test]
    fn session_ids_come_from_the_chat_session_routes_only() {
        assert_eq!(session_of("/api/v1/sessions/abc/continueChat"), Some("abc"));
        assert_eq!(session_of("/api/v2/sessions/abc/clientLogs"), Some("abc"));
        assert_eq!(session_of("/api/v1/sessions//continueChat"), None);
        assert_eq!(session_of("/api/v1/flows/abc"), None);
    }
}
