//! The credentials registry: integration credentials (AI providers, SMTP) that blocks find by
//! their `credentialsId`. Two sources: declared in the config file (secrets taken from
//! environment variables, held in memory only) and written through the API
//! (`PUT /api/v1/credentials/{id}`), whose secret data is sealed with `TESSERA_SECRET_KEY`
//! ([`seal`]) before it reaches the store. Without a key the registry refuses to store any.
//!
//! It implements the engine's [`CredentialSource`]; secrets leave it only decrypted for the
//! engine, never in [`CredentialInfo`] (what the API shows) and never in logs.

mod seal;
mod validate;

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};

pub use seal::{SealError, SecretKey};

use crate::engine::flows::BoxFuture;
use crate::engine::{Credential, CredentialSource};
use crate::store::{CredentialStore, StoreError, StoredCredential};

/// A credential declared in the configuration (its secrets already read from the environment).
#[derive(Clone)]
pub struct Declared {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub data: Map<String, Value>,
}

/// What may be shown about a credential: never its data, only the names of its fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialInfo {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    /// `api` (stored, encrypted) or `config` (declared in the config file, read-only).
    pub source: &'static str,
    pub fields: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CredentialError {
    #[error(
        "credentials cannot be stored: no secret key is configured (set TESSERA_SECRET_KEY to 32 random bytes, hex-encoded)"
    )]
    NoSecretKey,
    #[error("{0}")]
    Invalid(String),
    #[error("credentials {0} are declared in the configuration file and cannot be changed here")]
    ReadOnly(String),
    #[error(transparent)]
    Seal(#[from] SealError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct Credentials {
    key: Option<SecretKey>,
    store: Arc<dyn CredentialStore>,
    declared: HashMap<String, Declared>,
}

impl Credentials {
    /// Checks every declared credential (an invalid one is a start-up error).
    pub fn new(
        key: Option<SecretKey>,
        store: Arc<dyn CredentialStore>,
        declared: Vec<Declared>,
    ) -> Result<Credentials, CredentialError> {
        let mut map = HashMap::new();
        for d in declared {
            validate::check(&d.kind, &d.data)
                .map_err(|e| CredentialError::Invalid(format!("credentials {}: {e}", d.id)))?;
            map.insert(d.id.clone(), d);
        }
        Ok(Credentials {
            key,
            store,
            declared: map,
        })
    }

    /// Creates or replaces a stored credential; its data is sealed first.
    pub async fn put(
        &self,
        id: &str,
        kind: &str,
        name: &str,
        data: &Map<String, Value>,
        now: i64,
    ) -> Result<CredentialInfo, CredentialError> {
        if self.declared.contains_key(id) {
            return Err(CredentialError::ReadOnly(id.to_string()));
        }
        validate::check(kind, data).map_err(CredentialError::Invalid)?;
        let key = self.key.as_ref().ok_or(CredentialError::NoSecretKey)?;
        let plain =
            serde_json::to_vec(data).map_err(|e| CredentialError::Invalid(e.to_string()))?;
        let record = StoredCredential {
            id: id.to_string(),
            kind: kind.to_string(),
            name: name.to_string(),
            sealed: key.seal(id, kind, &plain)?,
            updated_at: now,
        };
        self.store.put_credential(&record).await?;
        tracing::info!(credential = %id, kind = %kind, "credentials saved");
        Ok(info_of(&record.id, kind, name, "api", data, Some(now)))
    }

    /// What may be shown about a credential.
    pub async fn info(&self, id: &str) -> Result<Option<CredentialInfo>, CredentialError> {
        if let Some(d) = self.declared.get(id) {
            return Ok(Some(info_of(
                &d.id, &d.kind, &d.name, "config", &d.data, None,
            )));
        }
        let Some(r) = self.store.get_credential(id).await? else {
            return Ok(None);
        };
        let data = self.open(&r).unwrap_or_default();
        Ok(Some(info_of(
            &r.id,
            &r.kind,
            &r.name,
            "api",
            &data,
            Some(r.updated_at),
        )))
    }

    /// Deletes a stored credential; false when there was none.
    pub async fn delete(&self, id: &str) -> Result<bool, CredentialError> {
        if self.declared.contains_key(id) {
            return Err(CredentialError::ReadOnly(id.to_string()));
        }
        let deleted = self.store.delete_credential(id).await?;
        if deleted {
            tracing::info!(credential = %id, "credentials deleted");
        }
        Ok(deleted)
    }

    fn open(&self, r: &StoredCredential) -> Result<Map<String, Value>, CredentialError> {
        let key = self.key.as_ref().ok_or(CredentialError::NoSecretKey)?;
        let plain = key.open(&r.id, &r.kind, &r.sealed)?;
        serde_json::from_slice(&plain).map_err(|_| CredentialError::Seal(SealError::Open))
    }

    async fn resolve(&self, id: &str) -> Option<Credential> {
        if let Some(d) = self.declared.get(id) {
            return Some(Credential {
                kind: d.kind.clone(),
                data: d.data.clone(),
            });
        }
        let record = match self.store.get_credential(id).await {
            Ok(r) => r?,
            Err(e) => {
                tracing::warn!(credential = %id, error = %e, "credentials could not be read");
                return None;
            }
        };
        match self.open(&record) {
            Ok(data) => Some(Credential {
                kind: record.kind,
                data,
            }),
            Err(e) => {
                tracing::warn!(credential = %id, error = %e, "credentials could not be opened");
                None
            }
        }
    }
}

impl CredentialSource for Credentials {
    fn credential<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Option<Credential>> {
        Box::pin(self.resolve(id))
    }
}

fn info_of(
    id: &str,
    kind: &str,
    name: &str,
    source: &'static str,
    data: &Map<String, Value>,
    updated_at: Option<i64>,
) -> CredentialInfo {
    CredentialInfo {
        id: id.to_string(),
        kind: kind.to_string(),
        name: name.to_string(),
        source,
        fields: data.keys().cloned().collect(),
        updated_at,
    }
}
