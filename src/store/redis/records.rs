//! The engine-API records, transcripts and timers on Redis. Documents and wait tokens are
//! plain keys (`SET ... EX`); id lists are lists (`LPUSH` + `LTRIM`); timers are one sorted set
//! scored by due time, claimed by a script (`TIMER_CLAIM`) so that of several processes
//! exactly one gets each due timer. Taking a wait token is a compare-and-delete script; the
//! token key shares its execution's hash tag, so one script writes both (`EXECUTION_PUT`). A
//! conversation's variables are a hash (one field per name: merged per key).

use std::sync::{Arc, LazyLock};

use ::redis::{Script, Value};

use super::RedisStore;
use crate::store::{
    BoxFuture, Doc, ExecutionDoc, ExecutionStore, Index, StoreError, StoredDoc, TimerStats,
    TimerStore,
};

/// `KEYS`: token key. `ARGV`: token. Deletes the key if it holds the token; 1 when it did.
/// (Lua strings are interned: `==` compares references, not the token's bytes one by one.)
static TOKEN_TAKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
",
    )
});

/// `KEYS`: token key, the execution document. `ARGV`: token. `TOKEN_TAKE`, and the document
/// (nil when unknown) beside whether the token was taken.
static TOKEN_TAKE_GET: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local taken = 0
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  taken = 1
end
return {taken, redis.call('GET', KEYS[2])}
",
    )
});

/// `KEYS`: the execution document, its token key. `ARGV`: document, token ('' for none), TTL
/// seconds (0: none for the document; the token keeps at least 1 s).
static EXECUTION_PUT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local ttl = tonumber(ARGV[3])
if ttl > 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ttl)
else
  redis.call('SET', KEYS[1], ARGV[1])
end
if ARGV[2] ~= '' then
  redis.call('SET', KEYS[2], ARGV[2], 'EX', math.max(ttl, 1))
end
return 1
",
    )
});

/// `KEYS`: the timer set. `ARGV`: now ms, lease end ms, limit. The due ids, each rescored to
/// the lease end in the same atomic step.
static TIMER_CLAIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, id in ipairs(ids) do
  redis.call('ZADD', KEYS[1], ARGV[2], id)
end
return ids
",
    )
});

impl RedisStore {
    pub(super) fn record_key(&self, tag: &str, id: &str) -> String {
        format!("{}:{{{tag}:{id}}}", self.keys.prefix)
    }
    /// The wait token of an execution: beside its document (one hash slot).
    pub(super) fn token_key(&self, execution_id: &str) -> String {
        format!("{}:wt", self.record_key(Doc::Execution.tag(), execution_id))
    }
    /// The variables of a conversation: beside its document.
    fn vars_key(&self, conversation_id: &str) -> String {
        format!(
            "{}:vars",
            self.record_key(Doc::Conversation.tag(), conversation_id)
        )
    }
    pub(super) fn timers_key(&self) -> String {
        format!("{}:{{timers}}", self.keys.prefix)
    }
}

impl ExecutionStore for RedisStore {
    fn doc_put(
        &self,
        kind: Doc,
        id: &str,
        json: String,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let mut cmd = ::redis::cmd("SET");
        cmd.arg(self.record_key(kind.tag(), id)).arg(json);
        if ttl_secs > 0 {
            cmd.arg("EX").arg(ttl_secs);
        }
        Box::pin(async move { self.query::<Value>("doc_put", &cmd).await.map(|_| ()) })
    }

    fn doc_get(&self, kind: Doc, id: &str) -> BoxFuture<'_, Result<Option<String>, StoreError>> {
        let cmd = ::redis::cmd("GET")
            .arg(self.record_key(kind.tag(), id))
            .clone();
        Box::pin(async move { self.read("doc_get", &cmd).await })
    }

    fn index_push(
        &self,
        kind: Index,
        key: &str,
        member: &str,
        max: usize,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let key = self.record_key(kind.tag(), key);
        let mut pipe = ::redis::pipe();
        pipe.cmd("LPUSH").arg(&key).arg(member).ignore();
        pipe.cmd("LTRIM")
            .arg(&key)
            .arg(0)
            .arg(max.max(1) - 1)
            .ignore();
        pipe.cmd("EXPIRE").arg(&key).arg(ttl_secs.max(1)).ignore();
        Box::pin(async move { self.pipeline::<()>("index_push", &pipe).await })
    }

    fn index_list(&self, kind: Index, key: &str) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        let cmd = ::redis::cmd("LRANGE")
            .arg(self.record_key(kind.tag(), key))
            .arg(0)
            .arg(-1)
            .clone();
        Box::pin(async move { self.read("index_list", &cmd).await })
    }

    fn token_set(
        &self,
        execution_id: &str,
        token: &str,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let cmd = ::redis::cmd("SET")
            .arg(self.token_key(execution_id))
            .arg(token)
            .arg("EX")
            .arg(ttl_secs.max(1))
            .clone();
        Box::pin(async move { self.query::<Value>("token_set", &cmd).await.map(|_| ()) })
    }

    fn execution_put(
        &self,
        id: &str,
        doc: Arc<dyn ExecutionDoc>,
        token: Option<&str>,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let json = match doc.json() {
            Ok(json) => json,
            Err(e) => return Box::pin(std::future::ready(Err(e))),
        };
        let mut inv = EXECUTION_PUT.prepare_invoke();
        inv.key(self.record_key(Doc::Execution.tag(), id))
            .key(self.token_key(id))
            .arg(json)
            .arg(token.unwrap_or_default())
            .arg(ttl_secs);
        Box::pin(async move { self.script::<i64>("execution_put", &inv).await.map(|_| ()) })
    }

    fn vars_merge(
        &self,
        conversation_id: &str,
        vars: Vec<(String, String)>,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let key = self.vars_key(conversation_id);
        let mut pipe = ::redis::pipe();
        if !vars.is_empty() {
            pipe.cmd("HSET").arg(&key).arg(vars).ignore();
        }
        pipe.cmd("EXPIRE").arg(&key).arg(ttl_secs.max(1)).ignore();
        Box::pin(async move { self.pipeline::<()>("vars_merge", &pipe).await })
    }

    fn vars_get(
        &self,
        conversation_id: &str,
    ) -> BoxFuture<'_, Result<Vec<(String, String)>, StoreError>> {
        let cmd = ::redis::cmd("HGETALL")
            .arg(self.vars_key(conversation_id))
            .clone();
        Box::pin(async move {
            let map: std::collections::HashMap<String, String> =
                self.read("vars_get", &cmd).await?;
            Ok(map.into_iter().collect())
        })
    }

    fn token_take_get(
        &self,
        execution_id: &str,
        token: &str,
    ) -> BoxFuture<'_, Result<(bool, Option<StoredDoc>), StoreError>> {
        let mut inv = TOKEN_TAKE_GET.prepare_invoke();
        inv.key(self.token_key(execution_id))
            .key(self.record_key(Doc::Execution.tag(), execution_id))
            .arg(token);
        let execution_id = execution_id.to_string();
        let token = token.to_string();
        Box::pin(async move {
            let (taken, doc): (i64, Option<String>) = self.script("token_take_get", &inv).await?;
            let taken =
                taken == 1 || (doc.is_some() && self.legacy_take(&execution_id, &token).await?);
            Ok((taken, doc.map(StoredDoc::Json)))
        })
    }

    fn token_take(
        &self,
        execution_id: &str,
        token: &str,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        let mut inv = TOKEN_TAKE.prepare_invoke();
        inv.key(self.token_key(execution_id)).arg(token);
        let execution_id = execution_id.to_string();
        let token = token.to_string();
        Box::pin(async move {
            let taken = self.script::<i64>("token_take", &inv).await? == 1;
            Ok(taken || self.legacy_take(&execution_id, &token).await?)
        })
    }
}

impl RedisStore {
    /// Takes a wait token written before tokens moved beside their record (`P:{wt:<id>}`, a
    /// hash slot of its own): only asked when the current key did not hold the token, so a
    /// pause from before an upgrade still resumes; it costs a stale token one more call.
    async fn legacy_take(&self, execution_id: &str, token: &str) -> Result<bool, StoreError> {
        let mut inv = TOKEN_TAKE.prepare_invoke();
        inv.key(self.record_key("wt", execution_id)).arg(token);
        Ok(self.script::<i64>("token_take", &inv).await? == 1)
    }
}

impl TimerStore for RedisStore {
    fn timer_schedule(&self, id: &str, due_ms: u64) -> BoxFuture<'_, Result<(), StoreError>> {
        let cmd = ::redis::cmd("ZADD")
            .arg(self.timers_key())
            .arg(due_ms)
            .arg(id)
            .clone();
        Box::pin(async move {
            self.query::<Value>("timer_schedule", &cmd)
                .await
                .map(|_| ())
        })
    }

    fn timer_cancel(&self, id: &str) -> BoxFuture<'_, Result<(), StoreError>> {
        let cmd = ::redis::cmd("ZREM").arg(self.timers_key()).arg(id).clone();
        Box::pin(async move { self.query::<Value>("timer_cancel", &cmd).await.map(|_| ()) })
    }

    fn timer_claim(
        &self,
        now_ms: u64,
        lease_ms: u64,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        let mut inv = TIMER_CLAIM.prepare_invoke();
        inv.key(self.timers_key())
            .arg(now_ms)
            .arg(now_ms.saturating_add(lease_ms))
            .arg(limit.max(1));
        Box::pin(async move { self.script("timer_claim", &inv).await })
    }

    fn timer_stats(&self) -> BoxFuture<'_, Result<TimerStats, StoreError>> {
        Box::pin(self.timer_figures(self.timers_key()))
    }
}
