//! The measured flow, credential, execution, transcript and timer capabilities: every
//! method forwards to the backend's own, timed.

use std::sync::Arc;
use std::time::Instant;

use super::{Metered, Op};
use crate::store::{
    BoxFuture, CredentialStore, Doc, ExecutionDoc, ExecutionStore, FlowStore, Index, Published,
    SessionStore, StoreError, StoredCredential, StoredDoc, TimerStats, TimerStore, Transcript,
    TranscriptAppend, TranscriptStore,
};

impl FlowStore for Metered<dyn FlowStore> {
    fn put_revision(
        &self,
        flow_id: &str,
        revision: &str,
        json: &str,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let t = Instant::now();
        let call = self.inner.put_revision(flow_id, revision, json);
        self.timed(Op::put_revision, t, call)
    }
    fn get_revision(
        &self,
        flow_id: &str,
        revision: &str,
    ) -> BoxFuture<'_, Result<Option<String>, StoreError>> {
        let t = Instant::now();
        self.timed(
            Op::get_revision,
            t,
            self.inner.get_revision(flow_id, revision),
        )
    }
    fn publish(&self, entry: &Published) -> BoxFuture<'_, Result<(), StoreError>> {
        let t = Instant::now();
        self.timed(Op::publish, t, self.inner.publish(entry))
    }
    fn unpublish(&self, flow_id: &str) -> BoxFuture<'_, Result<Option<Published>, StoreError>> {
        let t = Instant::now();
        self.timed(Op::unpublish, t, self.inner.unpublish(flow_id))
    }
    fn by_flow_id(&self, flow_id: &str) -> BoxFuture<'_, Result<Option<Published>, StoreError>> {
        let t = Instant::now();
        self.timed(Op::by_flow_id, t, self.inner.by_flow_id(flow_id))
    }
    fn by_public_id(
        &self,
        public_id: &str,
    ) -> BoxFuture<'_, Result<Option<Published>, StoreError>> {
        let t = Instant::now();
        self.timed(Op::by_public_id, t, self.inner.by_public_id(public_id))
    }
    fn list(&self) -> BoxFuture<'_, Result<Vec<Published>, StoreError>> {
        let t = Instant::now();
        self.timed(Op::list_flows, t, self.inner.list())
    }
}

impl CredentialStore for Metered<dyn CredentialStore> {
    fn put_credential(&self, record: &StoredCredential) -> BoxFuture<'_, Result<(), StoreError>> {
        let t = Instant::now();
        self.timed(Op::put_credential, t, self.inner.put_credential(record))
    }
    fn get_credential(
        &self,
        id: &str,
    ) -> BoxFuture<'_, Result<Option<StoredCredential>, StoreError>> {
        let t = Instant::now();
        self.timed(Op::get_credential, t, self.inner.get_credential(id))
    }
    fn delete_credential(&self, id: &str) -> BoxFuture<'_, Result<bool, StoreError>> {
        let t = Instant::now();
        self.timed(Op::delete_credential, t, self.inner.delete_credential(id))
    }
}

impl ExecutionStore for Metered<dyn ExecutionStore> {
    fn doc_put(
        &self,
        kind: Doc,
        id: &str,
        json: String,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let t = Instant::now();
        self.timed(Op::doc_put, t, self.inner.doc_put(kind, id, json, ttl_secs))
    }
    fn doc_get(&self, kind: Doc, id: &str) -> BoxFuture<'_, Result<Option<String>, StoreError>> {
        let t = Instant::now();
        self.timed(Op::doc_get, t, self.inner.doc_get(kind, id))
    }
    fn index_push(
        &self,
        kind: Index,
        key: &str,
        member: &str,
        max: usize,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let t = Instant::now();
        let call = self.inner.index_push(kind, key, member, max, ttl_secs);
        self.timed(Op::index_push, t, call)
    }
    fn index_list(&self, kind: Index, key: &str) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        let t = Instant::now();
        self.timed(Op::index_list, t, self.inner.index_list(kind, key))
    }
    fn token_set(
        &self,
        execution_id: &str,
        token: &str,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let t = Instant::now();
        let call = self.inner.token_set(execution_id, token, ttl_secs);
        self.timed(Op::token_set, t, call)
    }
    fn execution_put(
        &self,
        id: &str,
        doc: Arc<dyn ExecutionDoc>,
        token: Option<&str>,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let t = Instant::now();
        let call = self.inner.execution_put(id, doc, token, ttl_secs);
        self.timed(Op::execution_put, t, call)
    }
    fn vars_merge(
        &self,
        conversation_id: &str,
        vars: Vec<(String, String)>,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let t = Instant::now();
        let call = self.inner.vars_merge(conversation_id, vars, ttl_secs);
        self.timed(Op::vars_merge, t, call)
    }
    fn vars_get(
        &self,
        conversation_id: &str,
    ) -> BoxFuture<'_, Result<Vec<(String, String)>, StoreError>> {
        let t = Instant::now();
        self.timed(Op::vars_get, t, self.inner.vars_get(conversation_id))
    }
    fn token_take_get(
        &self,
        execution_id: &str,
        token: &str,
    ) -> BoxFuture<'_, Result<(bool, Option<StoredDoc>), StoreError>> {
        let t = Instant::now();
        let call = self.inner.token_take_get(execution_id, token);
        self.timed(Op::token_take_get, t, call)
    }
    fn token_take(
        &self,
        execution_id: &str,
        token: &str,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        let t = Instant::now();
        self.timed(
            Op::token_take,
            t,
            self.inner.token_take(execution_id, token),
        )
    }
}

/// The transcript methods, for the session capability (a supertrait) and the transcript one.
macro_rules! transcript_store {
    ($t:ty) => {
        impl TranscriptStore for Metered<$t> {
            fn transcript_append(
                &self,
                session_id: &str,
                append: &TranscriptAppend,
            ) -> BoxFuture<'_, Result<(), StoreError>> {
                let t = Instant::now();
                let call = self.inner.transcript_append(session_id, append);
                self.timed(Op::transcript_append, t, call)
            }
            fn transcript_get(
                &self,
                session_id: &str,
            ) -> BoxFuture<'_, Result<Option<Transcript>, StoreError>> {
                let t = Instant::now();
                self.timed(Op::transcript_get, t, self.inner.transcript_get(session_id))
            }
        }
    };
}

transcript_store!(dyn SessionStore);
transcript_store!(dyn TranscriptStore);

impl TimerStore for Metered<dyn TimerStore> {
    fn timer_schedule(&self, id: &str, due_ms: u64) -> BoxFuture<'_, Result<(), StoreError>> {
        let t = Instant::now();
        self.timed(Op::timer_schedule, t, self.inner.timer_schedule(id, due_ms))
    }
    fn timer_cancel(&self, id: &str) -> BoxFuture<'_, Result<(), StoreError>> {
        let t = Instant::now();
        self.timed(Op::timer_cancel, t, self.inner.timer_cancel(id))
    }
    fn timer_claim(
        &self,
        now_ms: u64,
        lease_ms: u64,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        let t = Instant::now();
        let call = self.inner.timer_claim(now_ms, lease_ms, limit);
        self.timed(Op::timer_claim, t, call)
    }
    fn timer_stats(&self) -> BoxFuture<'_, Result<TimerStats, StoreError>> {
        let t = Instant::now();
        self.timed(Op::timer_stats, t, self.inner.timer_stats())
    }
}
