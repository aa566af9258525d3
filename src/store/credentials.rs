//! Integration credentials at rest: records whose secret part is already sealed (encrypted
//! and authenticated by the credentials registry above; this layer never sees a secret in
//! clear). One record per id, replaced whole.

use serde::{Deserialize, Serialize};

use super::{BoxFuture, StoreError};

/// One stored credential: metadata in clear, the secret data sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCredential {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    /// Nonce and ciphertext (hex), as the registry sealed them.
    pub sealed: String,
    /// Unix seconds of the last write.
    pub updated_at: i64,
}

pub trait CredentialStore: Send + Sync {
    /// Creates or replaces a credential.
    fn put_credential(&self, record: &StoredCredential) -> BoxFuture<'_, Result<(), StoreError>>;
    fn get_credential(
        &self,
        id: &str,
    ) -> BoxFuture<'_, Result<Option<StoredCredential>, StoreError>>;
    /// Deletes a credential; false when there was none.
    fn delete_credential(&self, id: &str) -> BoxFuture<'_, Result<bool, StoreError>>;
}
