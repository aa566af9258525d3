//! Credentials on Redis: one string per credential (`<prefix>:{cred}:<id>`, the record's
//! JSON with its secret part sealed), no TTL.

use super::{RedisStore, corrupt};
use crate::store::credentials::{CredentialStore, StoredCredential};
use crate::store::{BoxFuture, StoreError};

impl CredentialStore for RedisStore {
    fn put_credential(&self, record: &StoredCredential) -> BoxFuture<'_, Result<(), StoreError>> {
        let json = serde_json::to_string(record);
        let key = self.keys.credential(&record.id);
        Box::pin(async move {
            let json = json.map_err(|e| StoreError::Other(format!("put_credential: {e}")))?;
            let cmd = ::redis::cmd("SET").arg(key).arg(json).clone();
            self.query::<()>("put_credential", &cmd).await
        })
    }

    fn get_credential(
        &self,
        id: &str,
    ) -> BoxFuture<'_, Result<Option<StoredCredential>, StoreError>> {
        let cmd = ::redis::cmd("GET").arg(self.keys.credential(id)).clone();
        Box::pin(async move {
            let json: Option<String> = self.read("get_credential", &cmd).await?;
            json.map(|j| serde_json::from_str(&j).map_err(|e| corrupt("credential", e)))
                .transpose()
        })
    }

    fn delete_credential(&self, id: &str) -> BoxFuture<'_, Result<bool, StoreError>> {
        let cmd = ::redis::cmd("DEL").arg(self.keys.credential(id)).clone();
        Box::pin(async move {
            let n: u64 = self.query("delete_credential", &cmd).await?;
            Ok(n > 0)
        })
    }
}
