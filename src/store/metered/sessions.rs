//! The measured session, result and idempotency capabilities: every method forwards to the
//! backend's own, timed.

use std::time::Instant;

use super::{Metered, Op};
use crate::store::{
    AnswerWrite, BoxFuture, ExecutionWrite, IdempotencyStore, Leased, Loaded, ResultRecord,
    ResultStore, ResultUpdate, ResultsPage, SessionStore, StoreError, StoredResponse, TurnWrites,
};

impl SessionStore for Metered<dyn SessionStore> {
    fn create(
        &self,
        id: &str,
        data: Vec<u8>,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let t = Instant::now();
        self.timed(Op::create, t, self.inner.create(id, data, ttl_secs))
    }
    fn create_with_result<'a>(
        &'a self,
        id: &'a str,
        data: Vec<u8>,
        ttl_secs: u64,
        writes: TurnWrites<'a>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let t = Instant::now();
        let call = self.inner.create_with_result(id, data, ttl_secs, writes);
        self.timed(Op::create_with_result, t, call)
    }
    fn create_marked<'a>(
        &'a self,
        id: &'a str,
        data: Vec<u8>,
        ttl_secs: u64,
        writes: TurnWrites<'a>,
        mark: u64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let t = Instant::now();
        let call = self.inner.create_marked(id, data, ttl_secs, writes, mark);
        self.timed(Op::create_marked, t, call)
    }
    fn create_finished_marked(&self, id: &str, mark: u64) -> BoxFuture<'_, Result<(), StoreError>> {
        let t = Instant::now();
        let call = self.inner.create_finished_marked(id, mark);
        self.timed(Op::create_finished_marked, t, call)
    }
    fn create_finished_answered<'a>(
        &'a self,
        id: &'a str,
        mark: u64,
        answer: Option<AnswerWrite<'a>>,
        execution: Option<ExecutionWrite<'a>>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let t = Instant::now();
        let call = self
            .inner
            .create_finished_answered(id, mark, answer, execution);
        self.timed(Op::create_finished_marked, t, call)
    }
    fn saves_executions(&self) -> bool {
        self.inner.saves_executions()
    }
    fn mark(&self, id: &str) -> BoxFuture<'_, Result<u64, StoreError>> {
        let t = Instant::now();
        self.timed(Op::mark, t, self.inner.mark(id))
    }
    fn create_finished(&self, id: &str) -> BoxFuture<'_, Result<(), StoreError>> {
        let t = Instant::now();
        self.timed(Op::create_finished, t, self.inner.create_finished(id))
    }
    fn begin_turn(&self, id: &str, lease_ms: u64) -> BoxFuture<'_, Result<Loaded, StoreError>> {
        let t = Instant::now();
        self.timed(Op::begin_turn, t, self.inner.begin_turn(id, lease_ms))
    }
    fn commit_turn(
        &self,
        id: &str,
        data: Vec<u8>,
        leased: &Leased,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let t = Instant::now();
        let call = self.inner.commit_turn(id, data, leased, ttl_secs);
        self.timed(Op::commit_turn, t, call)
    }
    fn finish_turn(&self, id: &str, leased: &Leased) -> BoxFuture<'_, Result<(), StoreError>> {
        let t = Instant::now();
        self.timed(Op::finish_turn, t, self.inner.finish_turn(id, leased))
    }
    fn save_turn<'a>(
        &'a self,
        id: &'a str,
        data: Option<Vec<u8>>,
        leased: &'a Leased,
        ttl_secs: u64,
        writes: TurnWrites<'a>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let t = Instant::now();
        let call = self.inner.save_turn(id, data, leased, ttl_secs, writes);
        self.timed(Op::save_turn, t, call)
    }
    fn peek(&self, id: &str) -> BoxFuture<'_, Result<Option<Vec<u8>>, StoreError>> {
        let t = Instant::now();
        self.timed(Op::peek, t, self.inner.peek(id))
    }
    fn abort_turn(&self, id: &str, leased: &Leased) -> BoxFuture<'_, Result<(), StoreError>> {
        let t = Instant::now();
        self.timed(Op::abort_turn, t, self.inner.abort_turn(id, leased))
    }
    fn health(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        let t = Instant::now();
        self.timed(Op::health, t, self.inner.health())
    }
    fn active_sessions(&self) -> BoxFuture<'_, Result<Option<u64>, StoreError>> {
        let t = Instant::now();
        self.timed(Op::active_sessions, t, self.inner.active_sessions())
    }
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }
}

/// The result methods, for the session capability (a supertrait) and the result one.
macro_rules! result_store {
    ($t:ty) => {
        impl ResultStore for Metered<$t> {
            fn record_result(
                &self,
                update: &ResultUpdate,
                retention_secs: u64,
            ) -> BoxFuture<'_, Result<(), StoreError>> {
                let t = Instant::now();
                let call = self.inner.record_result(update, retention_secs);
                self.timed(Op::record_result, t, call)
            }
            fn list_results(
                &self,
                flow_id: &str,
                cursor: Option<&str>,
                limit: usize,
            ) -> BoxFuture<'_, Result<ResultsPage, StoreError>> {
                let t = Instant::now();
                let call = self.inner.list_results(flow_id, cursor, limit);
                self.timed(Op::list_results, t, call)
            }
            fn get_result(
                &self,
                flow_id: &str,
                result_id: &str,
            ) -> BoxFuture<'_, Result<Option<ResultRecord>, StoreError>> {
                let t = Instant::now();
                self.timed(Op::get_result, t, self.inner.get_result(flow_id, result_id))
            }
        }
    };
}

result_store!(dyn SessionStore);
result_store!(dyn ResultStore);

impl IdempotencyStore for Metered<dyn IdempotencyStore> {
    fn idempotency_get(
        &self,
        key: &str,
    ) -> BoxFuture<'_, Result<Option<StoredResponse>, StoreError>> {
        let t = Instant::now();
        self.timed(Op::idempotency_get, t, self.inner.idempotency_get(key))
    }
    fn idempotency_put(
        &self,
        key: &str,
        response: &StoredResponse,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        let t = Instant::now();
        let call = self.inner.idempotency_put(key, response, ttl_secs);
        self.timed(Op::idempotency_put, t, call)
    }
    fn idempotency_replace(
        &self,
        key: &str,
        response: &StoredResponse,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let t = Instant::now();
        let call = self.inner.idempotency_replace(key, response, ttl_secs);
        self.timed(Op::idempotency_replace, t, call)
    }
    fn idempotency_release(&self, key: &str) -> BoxFuture<'_, Result<(), StoreError>> {
        let t = Instant::now();
        self.timed(
            Op::idempotency_release,
            t,
            self.inner.idempotency_release(key),
        )
    }
    fn idempotency_settle(
        &self,
        key: &str,
        claim: &StoredResponse,
        outcome: Option<&StoredResponse>,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        let t = Instant::now();
        let call = self.inner.idempotency_settle(key, claim, outcome, ttl_secs);
        self.timed(Op::idempotency_settle, t, call)
    }
    fn owner_heartbeat(&self, owner: &str, ttl_ms: u64) -> BoxFuture<'_, Result<(), StoreError>> {
        let t = Instant::now();
        let call = self.inner.owner_heartbeat(owner, ttl_ms);
        self.timed(Op::owner_heartbeat, t, call)
    }
    fn owner_alive(&self, owner: &str) -> BoxFuture<'_, Result<bool, StoreError>> {
        let t = Instant::now();
        self.timed(Op::owner_alive, t, self.inner.owner_alive(owner))
    }
}
