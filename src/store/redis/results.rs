//! Results on Redis: one hash per result, written field by field and never read back on the
//! write path: `a:<key>` answers (with a sequence number for their order), `v:<name>`
//! variables, `flow`, `created`, `updated`, `done`; a list of logs beside it (the last 200);
//! both with the retention (plus up to an hour) as TTL. Two sorted sets per flow index them:
//! `idx` (scored by creation time, for newest-first listing and cursors) and `exp` (scored by
//! expiry time, so index entries of expired results are trimmed).
//!
//! One write is one script call (one round trip); inside, a turn's update is one `HSET`, the
//! TTL and index entries being refreshed about once an hour per conversation.
//! Merge semantics match [`ResultRecord::apply`]: answers with the same key are replaced,
//! variables merged, a result is completed once a completing update arrived and it has answers.

use std::collections::HashMap;

use serde_json::Value;

use super::{RedisStore, corrupt, scripts, secs_ms};
use crate::store::{
    AnswerRecord, BoxFuture, ResultRecord, ResultStore, ResultUpdate, ResultsPage, StoreError,
};

/// The index score of a result: its creation time in microseconds (exact in a double), or 0
/// when `created_at` is not RFC 3339. Cursors use the same function, so paging stays stable.
fn created_score(created_at: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(created_at)
        .map(|d| d.timestamp_micros())
        .unwrap_or(0)
}

/// The TTL (ms) a record gets: the retention plus a slack of 1/32 of it, at most an hour. The
/// TTL is refreshed at most once per slack period while a conversation goes on, not on every
/// turn.
pub(super) fn record_ttl_ms(retention_secs: u64) -> u64 {
    let retention = secs_ms(retention_secs);
    retention.saturating_add((retention / 32).min(3_600_000))
}

/// Sequence numbers of answers, which order them in a result: the high 32 bits are a time in
/// seconds (a session's creation, or the write's time for writes outside a turn), the next 24
/// the microseconds of a write outside a turn (below 2^20) or 2^20 + a session's version, the
/// low 8 the answer's index in its update. So a session's answers keep their order whatever
/// the clocks of the instances that wrote them, follow those its start turn wrote, and a
/// later session continuing a result (remember-user) lists its answers after the earlier ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Seq(u64);

impl Seq {
    /// For the turn that saves `version` of a session created at `created_s`.
    pub(super) fn session(created_s: u64, version: u64) -> Seq {
        Seq::new(created_s, (1 << 20) + version.min((1 << 23) - 1))
    }

    /// For a write outside a session turn (start turns, client logs, linked results).
    pub(super) fn now() -> Seq {
        let now = now_micros();
        Seq::new(now / 1_000_000, now % 1_000_000)
    }

    pub(super) fn new(secs: u64, middle: u64) -> Seq {
        Seq(((secs & 0xffff_ffff) << 32) | ((middle & 0xff_ffff) << 8))
    }

    pub(super) fn nth(self, i: usize) -> u64 {
        self.0 | (i.min(255) as u64)
    }
}

/// Microseconds since the epoch on this machine's clock (the scripts' notion of "now").
pub(super) fn now_micros() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// Rebuilds a record from its hash fields and logs (None when the hash is gone).
fn parse_record(
    id: &str,
    fields: Vec<(String, String)>,
    logs: Vec<String>,
) -> Result<Option<ResultRecord>, StoreError> {
    if fields.is_empty() {
        return Ok(None);
    }
    let mut map: HashMap<String, String> = HashMap::with_capacity(fields.len());
    let mut answers: Vec<(u64, AnswerRecord)> = Vec::new();
    let mut variables = serde_json::Map::new();
    let mut usage: Vec<(u64, Value)> = Vec::new();
    for (k, v) in fields {
        if let Some(_key) = k.strip_prefix("a:") {
            let (seq, json) = v.split_once(' ').unwrap_or(("0", &v));
            let answer: AnswerRecord =
                serde_json::from_str(json).map_err(|e| corrupt("result answer", e))?;
            answers.push((seq.parse().unwrap_or(0), answer));
        } else if let Some(seq) = k.strip_prefix("u:") {
            let turn: Value = serde_json::from_str(&v).map_err(|e| corrupt("result usage", e))?;
            usage.push((seq.parse().unwrap_or(0), turn));
        } else if let Some(name) = k.strip_prefix("v:") {
            variables.insert(
                name.to_string(),
                serde_json::from_str(&v).map_err(|e| corrupt("result variable", e))?,
            );
        } else {
            map.insert(k, v);
        }
    }
    answers.sort_by_key(|(seq, _)| *seq);
    // In turn order, so the model is the latest turn's.
    usage.sort_by_key(|(seq, _)| *seq);
    let mut token_usage = None;
    for (_, turn) in &usage {
        crate::store::results::add_usage(&mut token_usage, turn);
    }
    let answers: Vec<AnswerRecord> = answers.into_iter().map(|(_, a)| a).collect();
    let logs = logs
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect();
    let get = |k: &str| map.get(k).cloned().unwrap_or_default();
    Ok(Some(ResultRecord {
        id: id.to_string(),
        flow_id: get("flow"),
        created_at: get("created"),
        updated_at: get("updated"),
        is_completed: map.contains_key("done") && !answers.is_empty(),
        has_started: !answers.is_empty(),
        answers,
        variables,
        logs,
        token_usage,
    }))
}

impl RedisStore {
    /// Reads records by id (one round trip for the batch).
    async fn read_results(
        &self,
        flow_id: &str,
        ids: &[&str],
    ) -> Result<Vec<Option<ResultRecord>>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut inv = scripts::GET_RESULTS.prepare_invoke();
        for id in ids {
            let key = self.keys.result(flow_id, id);
            inv.key(&key).key(format!("{key}:logs"));
        }
        type Raw = Vec<(Vec<(String, String)>, Vec<String>)>;
        let raw: Raw = self.script("get_results", &inv).await?;
        raw.into_iter()
            .zip(ids)
            .map(|((fields, logs), id)| parse_record(id, fields, logs))
            .collect()
    }

    /// One result, or None when it does not exist (or expired).
    pub(super) async fn read_result(
        &self,
        flow_id: &str,
        result_id: &str,
    ) -> Result<Option<ResultRecord>, StoreError> {
        Ok(self
            .read_results(flow_id, &[result_id])
            .await?
            .pop()
            .flatten())
    }

    /// The four keys a result update writes: record, its logs, the two indexes.
    pub(super) fn result_keys(&self, update: &ResultUpdate) -> [String; 4] {
        self.keys.result_update(&update.flow_id, &update.result_id)
    }

    /// Appends the record arguments of an update (see `RECORD_FN`) to a script invocation.
    /// `ensure`: refresh the record's TTL and its index entries now. `seq`: the high bits
    /// of its answers' sequence numbers (their order in the result), see [`Seq`].
    pub(super) fn push_result_args(
        &self,
        inv: &mut ::redis::ScriptInvocation<'_>,
        update: &ResultUpdate,
        retention_secs: u64,
        ensure: bool,
        seq: Seq,
    ) -> Result<(), StoreError> {
        let ret_ms = record_ttl_ms(retention_secs);
        inv.arg(ret_ms)
            .arg(if ensure { "1" } else { "0" })
            .arg(&update.at)
            .arg(&update.flow_id)
            .arg(created_score(&update.at))
            .arg(&update.result_id)
            .arg(now_micros().saturating_add(ret_ms.saturating_mul(1000)));
        inv.arg(update.logs.len());
        for l in &update.logs {
            inv.arg(json(l)?);
        }
        push_fields(inv, update, seq)
    }

    /// Applies an update on its own: one write-only script call that also refreshes the TTL
    /// and the indexes.
    pub(super) async fn record_result_fields(
        &self,
        update: &ResultUpdate,
        retention_secs: u64,
        seq: Seq,
    ) -> Result<(), StoreError> {
        let mut inv = scripts::RECORD_RESULT.prepare_invoke();
        for k in self.result_keys(update) {
            inv.key(k);
        }
        self.push_result_args(&mut inv, update, retention_secs, true, seq)?;
        self.script::<i64>("record_result", &inv).await.map(|_| ())
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
            let entries: Vec<(String, f64)> = self.read("list_results", &cmd).await?;
            offset += entries.len();
            let ids: Vec<&str> = entries
                .iter()
                .filter(|(id, score)| {
                    after
                        .as_ref()
                        .is_none_or(|(cs, cid)| *score < *cs || id < cid)
                })
                .map(|(id, _)| id.as_str())
                .collect();
            for record in self
                .read_results(flow_id, &ids)
                .await?
                .into_iter()
                .flatten()
            {
                page.push(record);
                if page.len() > limit {
                    break 'scan;
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

/// Appends the field/value pairs of an update's `HSET`: `updated` first, `done`, answers (the
/// last one per key: a key appears once, so an `HSET` that adds every field proves the record
/// is new), variables.
pub(super) fn push_fields(
    inv: &mut ::redis::ScriptInvocation<'_>,
    update: &ResultUpdate,
    seq: Seq,
) -> Result<(), StoreError> {
    inv.arg("updated").arg(&update.at);
    if update.completed {
        inv.arg("done").arg("1");
    }
    for (i, a) in update.answers.iter().enumerate() {
        if update.answers[i + 1..]
            .iter()
            .any(|later| later.key == a.key)
        {
            continue;
        }
        let mut value = seq.nth(i).to_string();
        value.push(' ');
        value.push_str(&json(a)?);
        inv.arg(format!("a:{}", a.key)).arg(value);
    }
    for (name, v) in &update.variables {
        inv.arg(format!("v:{name}")).arg(json(v)?);
    }
    // One field per turn (write-only, like the rest): summed when the record is read.
    if let Some(u) = &update.token_usage {
        inv.arg(format!("u:{}", seq.nth(0))).arg(json(u)?);
    }
    Ok(())
}

fn json(v: &dyn erased::Json) -> Result<String, StoreError> {
    v.json()
        .map_err(|e| StoreError::Other(format!("record_result: {e}")))
}

/// JSON encoding of the heterogeneous values passed to the script.
mod erased {
    pub trait Json {
        fn json(&self) -> Result<String, serde_json::Error>;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> Result<String, serde_json::Error> {
            serde_json::to_string(self)
        }
    }
}

impl ResultStore for RedisStore {
    fn record_result(
        &self,
        update: &ResultUpdate,
        retention_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let update = update.clone();
        Box::pin(async move {
            self.record_result_fields(&update, retention_secs, Seq::now())
                .await
        })
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
        let (flow_id, result_id) = (flow_id.to_string(), result_id.to_string());
        Box::pin(async move { self.read_result(&flow_id, &result_id).await })
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
