//! The [`IdempotencyStore`] contract on Redis: records as plain keys with a TTL (`SET NX EX`:
//! the first writer wins).

use ::redis::Value;

use super::{RedisStore, corrupt};
use crate::store::{BoxFuture, IdempotencyStore, StoreError, StoredResponse};

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
}
