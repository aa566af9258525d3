//! Credentials in memory (the embedded default and the test double).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::store::credentials::{CredentialStore, StoredCredential};
use crate::store::{BoxFuture, StoreError, ready};

#[derive(Default)]
pub struct MemoryCredentialStore {
    records: Mutex<HashMap<String, StoredCredential>>,
}

impl MemoryCredentialStore {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, StoredCredential>) -> T) -> T {
        let mut guard = self.records.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }
}

impl CredentialStore for MemoryCredentialStore {
    fn put_credential(&self, record: &StoredCredential) -> BoxFuture<'_, Result<(), StoreError>> {
        self.with(|m| m.insert(record.id.clone(), record.clone()));
        ready(Ok(()))
    }

    fn get_credential(
        &self,
        id: &str,
    ) -> BoxFuture<'_, Result<Option<StoredCredential>, StoreError>> {
        ready(Ok(self.with(|m| m.get(id).cloned())))
    }

    fn delete_credential(&self, id: &str) -> BoxFuture<'_, Result<bool, StoreError>> {
        ready(Ok(self.with(|m| m.remove(id).is_some())))
    }
}
