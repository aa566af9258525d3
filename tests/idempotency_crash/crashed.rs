//! Process A's stores after its crash: the idempotency store, whose settles never land, and
//! the engine-API records, where every write the conversation core makes after a turn's save
//! (the execution's record and wait token, its timers) never lands; the reads, and the writes
//! before the turn, do.

use std::sync::Arc;

use tessera::store::{
    BoxFuture, Doc, ExecutionDoc, ExecutionStore, IdempotencyStore, Index, StoreError, StoredDoc,
    StoredResponse, TimerStats, TimerStore,
};

/// The crash: a write that never reaches the store.
fn lost<'a, T: Send + 'a>() -> BoxFuture<'a, Result<T, StoreError>> {
    Box::pin(async { Err(StoreError::Unavailable("crashed".into())) })
}

/// An idempotency store whose settles never land (the process died after its save).
pub struct Crashed(pub Arc<dyn IdempotencyStore>);

impl IdempotencyStore for Crashed {
    fn idempotency_get(
        &self,
        key: &str,
    ) -> BoxFuture<'_, Result<Option<StoredResponse>, StoreError>> {
        self.0.idempotency_get(key)
    }
    fn idempotency_put(
        &self,
        key: &str,
        response: &StoredResponse,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        self.0.idempotency_put(key, response, ttl_secs)
    }
    fn idempotency_replace(
        &self,
        key: &str,
        response: &StoredResponse,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        self.0.idempotency_replace(key, response, ttl_secs)
    }
    fn idempotency_release(&self, key: &str) -> BoxFuture<'_, Result<(), StoreError>> {
        self.0.idempotency_release(key)
    }
    fn idempotency_settle(
        &self,
        _key: &str,
        _claim: &StoredResponse,
        _outcome: Option<&StoredResponse>,
        _ttl_secs: u64,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        Box::pin(async { Err(StoreError::Unavailable("crashed".into())) })
    }
    fn owner_heartbeat(&self, owner: &str, ttl_ms: u64) -> BoxFuture<'_, Result<(), StoreError>> {
        self.0.owner_heartbeat(owner, ttl_ms)
    }
    fn owner_alive(&self, owner: &str) -> BoxFuture<'_, Result<bool, StoreError>> {
        self.0.owner_alive(owner)
    }
}

/// Records whose post-save writes are lost (see the module).
pub struct CrashedRecords {
    pub records: Arc<dyn ExecutionStore>,
    pub timers: Arc<dyn TimerStore>,
}

impl ExecutionStore for CrashedRecords {
    fn doc_put(
        &self,
        kind: Doc,
        id: &str,
        json: String,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        self.records.doc_put(kind, id, json, ttl_secs)
    }
    fn doc_get(&self, kind: Doc, id: &str) -> BoxFuture<'_, Result<Option<String>, StoreError>> {
        self.records.doc_get(kind, id)
    }
    fn index_push(
        &self,
        kind: Index,
        key: &str,
        member: &str,
        max: usize,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        self.records.index_push(kind, key, member, max, ttl_secs)
    }
    fn index_list(&self, kind: Index, key: &str) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        self.records.index_list(kind, key)
    }
    fn token_set(
        &self,
        _execution_id: &str,
        _token: &str,
        _ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        lost()
    }
    fn execution_put(
        &self,
        _id: &str,
        _doc: Arc<dyn ExecutionDoc>,
        _token: Option<&str>,
        _ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        lost()
    }
    fn vars_merge(
        &self,
        conversation_id: &str,
        vars: Vec<(String, String)>,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        self.records.vars_merge(conversation_id, vars, ttl_secs)
    }
    fn vars_get(
        &self,
        conversation_id: &str,
    ) -> BoxFuture<'_, Result<Vec<(String, String)>, StoreError>> {
        self.records.vars_get(conversation_id)
    }
    fn token_take_get(
        &self,
        execution_id: &str,
        token: &str,
    ) -> BoxFuture<'_, Result<(bool, Option<StoredDoc>), StoreError>> {
        self.records.token_take_get(execution_id, token)
    }
    fn token_take(
        &self,
        execution_id: &str,
        token: &str,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        self.records.token_take(execution_id, token)
    }
}

impl TimerStore for CrashedRecords {
    fn timer_schedule(&self, _id: &str, _due_ms: u64) -> BoxFuture<'_, Result<(), StoreError>> {
        lost()
    }
    fn timer_cancel(&self, _id: &str) -> BoxFuture<'_, Result<(), StoreError>> {
        lost()
    }
    fn timer_claim(
        &self,
        now_ms: u64,
        lease_ms: u64,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        self.timers.timer_claim(now_ms, lease_ms, limit)
    }
    fn timer_stats(&self) -> BoxFuture<'_, Result<TimerStats, StoreError>> {
        self.timers.timer_stats()
    }
}
