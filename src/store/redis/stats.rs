//! What `/metrics` asks of Redis: an estimate of the active sessions and the timer set's
//! figures. Both are one pipelined round trip of O(1) or O(log N) commands, at scrape time
//! only.

use ::redis::Value;

use super::RedisStore;
use super::conn::Conn;
use crate::store::{StoreError, TimerStats};

/// Keys sampled for the session estimate (its relative error is about `1/sqrt(hits)`).
const SAMPLES: usize = 64;

impl RedisStore {
    /// Sessions stored and not expired, estimated: `DBSIZE` times the share of session state
    /// keys (of this store's prefix) among `SAMPLES` random keys. Counting them exactly would
    /// take a `SCAN` of the whole database. None on a cluster (each node would need its own
    /// sample).
    pub(super) async fn estimate_sessions(&self) -> Result<Option<u64>, StoreError> {
        if matches!(self.conn, Conn::Cluster(_)) {
            return Ok(None);
        }
        let mut pipe = ::redis::pipe();
        pipe.cmd("DBSIZE");
        for _ in 0..SAMPLES {
            pipe.cmd("RANDOMKEY");
        }
        let mut replies: Vec<Value> = self.pipeline("session estimate", &pipe).await?;
        if replies.is_empty() {
            return Ok(None);
        }
        let total = match replies.remove(0) {
            Value::Int(n) => u64::try_from(n).unwrap_or(0),
            _ => return Ok(None),
        };
        let head = format!("{}:{{s:", self.keys.prefix);
        let hits = replies
            .iter()
            .filter(|v| match v {
                Value::BulkString(k) => k.starts_with(head.as_bytes()) && k.ends_with(b"}:st"),
                _ => false,
            })
            .count() as u64;
        Ok(Some(total * hits / SAMPLES as u64))
    }

    /// `ZCARD` and the earliest score of the timer set.
    pub(super) async fn timer_figures(&self, key: String) -> Result<TimerStats, StoreError> {
        let mut pipe = ::redis::pipe();
        pipe.cmd("ZCARD").arg(&key);
        pipe.cmd("ZRANGE").arg(&key).arg(0).arg(0).arg("WITHSCORES");
        let (pending, first): (u64, Vec<(String, f64)>) =
            self.pipeline("timer stats", &pipe).await?;
        Ok(TimerStats {
            pending,
            earliest_due_ms: first.first().map(|(_, due)| due.max(0.0) as u64),
        })
    }
}
