//! The in-memory [`ResultStore`]: every result in one map (its key the flow and the result
//! id), each with its retention deadline, at most the store's cap of them (the least recently
//! written go first).

use super::super::results::paginate;
use super::super::{
    BoxFuture, ResultRecord, ResultStore, ResultUpdate, ResultsPage, StoreError, ready,
};
use super::{Inner, KeyRef, MemoryStore, ResultBody, ResultKey, StoredResult, Tick, secs};

impl StoredResult {
    /// The record as the store API gives it.
    fn record(&self, key: &ResultKey) -> ResultRecord {
        let body = self.body.as_deref();
        ResultRecord {
            id: key.id.to_string(),
            flow_id: key.flow.to_string(),
            created_at: self.created_at.to_string(),
            updated_at: self.updated_at.to_string(),
            is_completed: self.is_completed,
            has_started: self.has_started,
            answers: body.map(|b| b.answers.clone()).unwrap_or_default(),
            variables: body.map(|b| b.variables.clone()).unwrap_or_default(),
            logs: body.map(|b| b.logs.clone()).unwrap_or_default(),
            token_usage: body.and_then(|b| b.token_usage.clone()),
        }
    }
}

/// Applies an update as [`ResultRecord::apply`] does (the record is rebuilt around it, its
/// parts moved, not copied), then keeps it compact.
pub(super) fn write(g: &mut Inner, update: &ResultUpdate, expires: Tick) {
    g.writes += 1;
    let written = g.writes;
    let at = g.strings.lock().get(&update.at);
    let lookup = KeyRef {
        flow: &update.flow_id,
        id: &update.result_id,
    };
    let record = match g.results.get_mut(&lookup) {
        Some(stored) => {
            let body = stored.body.take().map(|b| *b).unwrap_or_default();
            let mut r = ResultRecord {
                id: String::new(),
                flow_id: String::new(),
                created_at: String::new(),
                updated_at: String::new(),
                is_completed: stored.is_completed,
                has_started: stored.has_started,
                answers: body.answers,
                variables: body.variables,
                logs: body.logs,
                token_usage: body.token_usage,
            };
            r.apply(update);
            stored.updated_at = at;
            stored.expires = expires;
            stored.written = written;
            stored.is_completed = r.is_completed;
            stored.has_started = r.has_started;
            stored.body = body_of(r);
            return;
        }
        None => ResultRecord::new(update),
    };
    let key = ResultKey {
        flow: g.strings.lock().get(&update.flow_id),
        id: update.result_id.as_str().into(),
    };
    let stored = StoredResult {
        created_at: at.clone(),
        updated_at: at,
        has_started: record.has_started,
        is_completed: record.is_completed,
        body: body_of(record),
        expires,
        written,
    };
    g.results.insert(key, stored);
    let Inner {
        results,
        oldest_results,
        ..
    } = g;
    oldest_results.trim(results, |r| r.written);
}

/// The answers, variables, logs and token usage of a record; None when all are empty.
fn body_of(r: ResultRecord) -> Option<Box<ResultBody>> {
    if r.answers.is_empty()
        && r.variables.is_empty()
        && r.logs.is_empty()
        && r.token_usage.is_none()
    {
        return None;
    }
    let mut b = ResultBody {
        answers: r.answers,
        variables: r.variables,
        logs: r.logs,
        token_usage: r.token_usage,
    };
    b.answers.shrink_to_fit();
    b.logs.shrink_to_fit();
    Some(Box::new(b))
}

impl ResultStore for MemoryStore {
    fn record_result(
        &self,
        update: &ResultUpdate,
        retention_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        ready(self.with(|g, now| {
            write(g, update, now + secs(retention_secs));
            Ok(())
        }))
    }

    fn list_results(
        &self,
        flow_id: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> BoxFuture<'_, Result<ResultsPage, StoreError>> {
        let cursor = cursor.map(str::to_string);
        ready(self.with(|g, now| {
            let mut all: Vec<ResultRecord> = g
                .results
                .iter()
                .filter(|(k, r)| *k.flow == *flow_id && r.expires > now)
                .map(|(k, r)| r.record(k))
                .collect();
            // Newest first; ties broken by id so pages are stable.
            all.sort_by(|a, b| (&b.created_at, &b.id).cmp(&(&a.created_at, &a.id)));
            Ok(paginate(all, cursor.as_deref(), limit))
        }))
    }

    fn get_result(
        &self,
        flow_id: &str,
        result_id: &str,
    ) -> BoxFuture<'_, Result<Option<ResultRecord>, StoreError>> {
        ready(self.with(|g, now| {
            let key = KeyRef {
                flow: flow_id,
                id: result_id,
            };
            Ok(g.results
                .get_full(&key)
                .filter(|(_, _, r)| r.expires > now)
                .map(|(_, k, r)| r.record(k)))
        }))
    }
}
