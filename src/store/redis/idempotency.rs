//! The [`IdempotencyStore`] contract on Redis: records as plain keys with a TTL (`SET NX EX`:
//! the first writer wins; a claim settled by compare-and-set in a script), and the claim
//! owners' liveness records (`{o:<owner>}`, a `SET PX` refreshed by each process's heartbeat).

use std::sync::LazyLock;

use ::redis::{Script, Value};

use super::{RedisStore, corrupt};
use crate::store::{BoxFuture, IdempotencyStore, StoreError, StoredResponse};

/// `KEYS`: an idempotency record. `ARGV`: the claim it must hold (its JSON), what replaces it
/// (`''`: forget the key), TTL (s). Returns 1 when the key held the claim, else 0 (nothing
/// written).
static IDEMPOTENCY_SETTLE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1])
else redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) end
return 1
",
    )
});

impl IdempotencyStore for RedisStore {
    fn idempotency_get(
        &self,
        key: &str,
    ) -> BoxFuture<'_, Result<Option<StoredResponse>, StoreError>> {
        let cmd = ::redis::cmd("GET").arg(self.keys.idempotency(key)).clone();
        Box::pin(async move {
            let raw: Option<String> = self.read("idempotency_get", &cmd).await?;
            raw.map(|s| serde_json::from_str(&s).map_err(|e| corrupt("idempotency_get", e)))
                .transpose()
        })
    }

    fn idempotency_put(
        &self,
        key: &str,
        response: &StoredResponse,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        let key = self.keys.idempotency(key);
        let json = serde_json::to_string(response);
        Box::pin(async move {
            if ttl_secs == 0 {
                return Ok(false); // Would expire at once, as in the memory store.
            }
            let json = json.map_err(|e| StoreError::Other(format!("idempotency_put: {e}")))?;
            // First writer wins: SET NX leaves an existing record untouched (and answers nil).
            let cmd = ::redis::cmd("SET")
                .arg(key)
                .arg(json)
                .arg("NX")
                .arg("EX")
                .arg(ttl_secs)
                .clone();
            let answer = self.query::<Value>("idempotency_put", &cmd).await?;
            Ok(!matches!(answer, Value::Nil))
        })
    }

    fn idempotency_replace(
        &self,
        key: &str,
        response: &StoredResponse,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let key = self.keys.idempotency(key);
        let json = serde_json::to_string(response);
        Box::pin(async move {
            let json = json.map_err(|e| StoreError::Other(format!("idempotency_replace: {e}")))?;
            let cmd = ::redis::cmd("SET")
                .arg(key)
                .arg(json)
                .arg("EX")
                .arg(ttl_secs.max(1))
                .clone();
            self.query::<Value>("idempotency_replace", &cmd)
                .await
                .map(|_| ())
        })
    }

    fn idempotency_release(&self, key: &str) -> BoxFuture<'_, Result<(), StoreError>> {
        let key = self.keys.idempotency(key);
        Box::pin(async move {
            let cmd = ::redis::cmd("DEL").arg(key).clone();
            self.query::<Value>("idempotency_release", &cmd)
                .await
                .map(|_| ())
        })
    }

    fn idempotency_settle(
        &self,
        key: &str,
        claim: &StoredResponse,
        outcome: Option<&StoredResponse>,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        let json = serde_json::to_string(claim).and_then(|c| {
            let o = outcome.map(serde_json::to_string).transpose()?;
            Ok((c, o.unwrap_or_default()))
        });
        let key = self.keys.idempotency(key);
        Box::pin(async move {
            let (claim, outcome) =
                json.map_err(|e| StoreError::Other(format!("idempotency_settle: {e}")))?;
            let mut inv = IDEMPOTENCY_SETTLE.prepare_invoke();
            inv.key(key).arg(claim).arg(outcome).arg(ttl_secs.max(1));
            Ok(self.script::<i64>("idempotency_settle", &inv).await? == 1)
        })
    }

    fn owner_heartbeat(&self, owner: &str, ttl_ms: u64) -> BoxFuture<'_, Result<(), StoreError>> {
        let cmd = ::redis::cmd("SET")
            .arg(self.keys.owner(owner))
            .arg(1)
            .arg("PX")
            .arg(ttl_ms.max(1))
            .clone();
        Box::pin(async move {
            self.query::<Value>("owner_heartbeat", &cmd)
                .await
                .map(|_| ())
        })
    }

    fn owner_alive(&self, owner: &str) -> BoxFuture<'_, Result<bool, StoreError>> {
        let cmd = ::redis::cmd("EXISTS").arg(self.keys.owner(owner)).clone();
        Box::pin(async move { self.read("owner_alive", &cmd).await })
    }
}
