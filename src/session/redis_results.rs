//! Results on Redis: one hash per result (`v` version, `j` the [`ResultRecord`] JSON) with the
//! retention as TTL, plus two sorted sets per flow: `idx` (scored by creation time, for newest
//! first listing and cursors) and `exp` (scored by expiry time, so index entries of expired
//! results are trimmed on every write and the indexes never grow beyond the live results).
//!
//! Updates merge in Rust with [`ResultRecord::apply`] (the same semantics as the memory store)
//! and are written with a version compare-and-set script; a writer that lost a race reads and
//! merges again, so concurrent updates of one result never lose answers.

use super::{RedisStore, corrupt, scripts, secs_ms};
use crate::session::{ResultRecord, ResultUpdate, ResultsPage, StoreError};

/// Compare-and-set attempts before giving up with `Busy`. Every round has a winner, so this
/// bounds the number of concurrent writers of one result that always succeed.
const MAX_ATTEMPTS: usize = 64;

/// The index score of a result: its creation time in microseconds (exact in a double), or 0
/// when `created_at` is not RFC 3339. Cursors use the same function, so paging stays stable.
fn created_score(created_at: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(created_at)
        .map(|d| d.timestamp_micros())
        .unwrap_or(0)
}

impl RedisStore {
    /// Reads a result and its version (one round trip).
    pub(super) async fn read_result(
        &self,
        key: &str,
    ) -> Result<Option<(ResultRecord, u64)>, StoreError> {
        let cmd = ::redis::cmd("HMGET").arg(key).arg("v").arg("j").clone();
        let (version, json): (Option<u64>, Option<String>) = self.query("get_result", &cmd).await?;
        match json {
            Some(json) => {
                let record = serde_json::from_str(&json).map_err(|e| corrupt("get_result", e))?;
                Ok(Some((record, version.unwrap_or(0))))
            }
            None => Ok(None),
        }
    }

    /// Applies an update with a read-merge-compare-and-set loop (two round trips when there is
    /// no contention).
    pub(super) async fn record_result_cas(
        &self,
        update: &ResultUpdate,
        retention_secs: u64,
    ) -> Result<(), StoreError> {
        let key = self.keys.result(&update.flow_id, &update.result_id);
        let [idx, exp] = self.keys.result_indexes(&update.flow_id);
        for _ in 0..MAX_ATTEMPTS {
            let (record, version) = match self.read_result(&key).await? {
                Some((mut record, version)) => {
                    record.apply(update);
                    (record, version)
                }
                None => (ResultRecord::new(update), 0),
            };
            let json = serde_json::to_string(&record)
                .map_err(|e| StoreError::Other(format!("record_result: {e}")))?;
            let mut inv = scripts::RECORD_RESULT.prepare_invoke();
            inv.key(&key)
                .key(&idx)
                .key(&exp)
                .arg(version)
                .arg(json)
                .arg(created_score(&record.created_at))
                .arg(secs_ms(retention_secs))
                .arg(&update.result_id);
            if self.script::<i64>("record_result", &inv).await? == 1 {
                return Ok(());
            }
            tokio::task::yield_now().await;
        }
        Err(StoreError::Busy)
    }

    /// One page of a flow's results, newest first. Reads the index in batches and skips entries
    /// whose result has expired but is not trimmed yet.
    pub(super) async fn list_results_page(
        &self,
        flow_id: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<ResultsPage, StoreError> {
        let limit = limit.clamp(1, 500);
        let [idx, _] = self.keys.result_indexes(flow_id);
        let after = match cursor {
            Some(c) => match c.split_once('|') {
                Some((created, id)) => Some((created_score(created) as f64, id.to_string())),
                // Like the memory store: an unknown cursor is past the end.
                None => {
                    return Ok(ResultsPage {
                        results: Vec::new(),
                        next_cursor: None,
                    });
                }
            },
            None => None,
        };
        let max = after
            .as_ref()
            .map_or_else(|| "+inf".to_string(), |(score, _)| format!("{score}"));
        let batch = limit + 1 + 16;
        let mut page: Vec<ResultRecord> = Vec::with_capacity(limit + 1);
        let mut offset = 0;
        'scan: loop {
            let cmd = ::redis::cmd("ZREVRANGEBYSCORE")
                .arg(&idx)
                .arg(&max)
                .arg("-inf")
                .arg("WITHSCORES")
                .arg("LIMIT")
                .arg(offset)
                .arg(batch)
                .clone();
            let entries: Vec<(String, f64)> = self.query("list_results", &cmd).await?;
            offset += entries.len();
            let ids: Vec<&String> = entries
                .iter()
                .filter(|(id, score)| {
                    after
                        .as_ref()
                        .is_none_or(|(cs, cid)| *score < *cs || id < cid)
                })
                .map(|(id, _)| id)
                .collect();
            if !ids.is_empty() {
                let mut inv = scripts::GET_RESULTS.prepare_invoke();
                for id in &ids {
                    inv.key(self.keys.result(flow_id, id));
                }
                let found: Vec<String> = self.script("list_results", &inv).await?;
                for json in found.iter().filter(|j| !j.is_empty()) {
                    page.push(serde_json::from_str(json).map_err(|e| corrupt("list_results", e))?);
                    if page.len() > limit {
                        break 'scan;
                    }
                }
            }
            if entries.len() < batch {
                break;
            }
        }
        let next_cursor = if page.len() > limit {
            page.truncate(limit);
            page.last().map(|r| format!("{}|{}", r.created_at, r.id))
        } else {
            None
        };
        Ok(ResultsPage {
            results: page,
            next_cursor,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::created_score;

    #[test]
    fn created_scores_follow_time_and_fit_a_double() {
        let a = created_score("2024-05-01T10:00:00.000001Z");
        let b = created_score("2024-05-01T10:00:00.000002Z");
        assert_eq!(b - a, 1);
        assert_eq!((a as f64) as i64, a);
        assert_eq!(created_score("yesterday"), 0);
    }
}
