//! The in-memory [`ResultStore`]: results per flow, each with its retention deadline.

use super::super::results::paginate;
use super::super::{
    BoxFuture, ResultRecord, ResultStore, ResultUpdate, ResultsPage, StoreError, ready,
};
use super::{MemoryStore, secs};

impl ResultStore for MemoryStore {
    fn record_result(
        &self,
        update: &ResultUpdate,
        retention_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let update = update.clone();
        ready(self.with(|g, now| {
            let results = g.results.entry(update.flow_id.clone()).or_default();
            let exp = now + secs(retention_secs);
            match results.get_mut(&update.result_id) {
                Some((r, e)) => {
                    r.apply(&update);
                    *e = exp;
                }
                None => {
                    results.insert(update.result_id.clone(), (ResultRecord::new(&update), exp));
                }
            }
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
                .get(flow_id)
                .map(|m| {
                    m.values()
                        .filter(|(_, e)| *e > now)
                        .map(|(r, _)| r.clone())
                        .collect()
                })
                .unwrap_or_default();
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
            Ok(g.results
                .get(flow_id)
                .and_then(|m| m.get(result_id))
                .filter(|(_, e)| *e > now)
                .map(|(r, _)| r.clone()))
        }))
    }
}
