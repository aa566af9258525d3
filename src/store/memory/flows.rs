//! Published flows in process memory (the embedded default's [`FlowStore`]).

use super::super::{BoxFuture, FlowStore, Published, StoreError, ready};

/// Flow storage in process memory (the embedded default).
#[derive(Default)]
pub struct MemoryFlowStore {
    inner: std::sync::Mutex<MemInner>,
}

#[derive(Default)]
struct MemInner {
    revisions: std::collections::HashMap<(String, String), String>,
    by_flow: std::collections::HashMap<String, Published>,
    /// public id -> flow id, kept in step with `by_flow` (the Redis store's `public` hash).
    by_public: std::collections::HashMap<String, String>,
}

impl MemoryFlowStore {
    fn with<T>(
        &self,
        f: impl FnOnce(&mut MemInner) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut g = self
            .inner
            .lock()
            .map_err(|_| StoreError::Other("flow store lock poisoned".into()))?;
        f(&mut g)
    }
}

impl FlowStore for MemoryFlowStore {
    fn put_revision(
        &self,
        flow_id: &str,
        revision: &str,
        json: &str,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        ready(self.with(|g| {
            g.revisions.insert(
                (flow_id.to_string(), revision.to_string()),
                json.to_string(),
            );
            Ok(())
        }))
    }
    fn get_revision(
        &self,
        flow_id: &str,
        revision: &str,
    ) -> BoxFuture<'_, Result<Option<String>, StoreError>> {
        ready(self.with(|g| {
            Ok(g.revisions
                .get(&(flow_id.to_string(), revision.to_string()))
                .cloned())
        }))
    }
    fn publish(&self, entry: &Published) -> BoxFuture<'_, Result<(), StoreError>> {
        let entry = entry.clone();
        ready(self.with(|g| {
            if let Some(other) = g.by_public.get(&entry.public_id)
                && *other != entry.flow_id
            {
                return Err(StoreError::Conflict(format!(
                    "public id {} is used by flow {other}",
                    entry.public_id
                )));
            }
            let (public_id, flow_id) = (entry.public_id.clone(), entry.flow_id.clone());
            if let Some(old) = g.by_flow.insert(flow_id.clone(), entry)
                && old.public_id != public_id
            {
                g.by_public.remove(&old.public_id);
            }
            g.by_public.insert(public_id, flow_id);
            Ok(())
        }))
    }
    fn unpublish(&self, flow_id: &str) -> BoxFuture<'_, Result<Option<Published>, StoreError>> {
        ready(self.with(|g| {
            let removed = g.by_flow.remove(flow_id);
            if let Some(p) = &removed {
                g.by_public.remove(&p.public_id);
            }
            Ok(removed)
        }))
    }
    fn by_flow_id(&self, flow_id: &str) -> BoxFuture<'_, Result<Option<Published>, StoreError>> {
        ready(self.with(|g| Ok(g.by_flow.get(flow_id).cloned())))
    }
    fn by_public_id(
        &self,
        public_id: &str,
    ) -> BoxFuture<'_, Result<Option<Published>, StoreError>> {
        ready(self.with(|g| {
            Ok(g.by_public
                .get(public_id)
                .and_then(|flow_id| g.by_flow.get(flow_id))
                .cloned())
        }))
    }
    fn list(&self) -> BoxFuture<'_, Result<Vec<Published>, StoreError>> {
        ready(self.with(|g| {
            let mut v: Vec<Published> = g.by_flow.values().cloned().collect();
            v.sort_by(|a, b| a.public_id.cmp(&b.public_id));
            Ok(v)
        }))
    }
}
