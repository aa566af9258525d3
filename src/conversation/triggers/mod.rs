//! Triggers (seed 002): an external system posts events to a bot with a per-trigger secret,
//! gets an answer at once, and the bot runs each event in the background, in the session the
//! event was given (decided at accept time), one at a time per session and in arrival order.
//!
//! - `mod.rs`: trigger records (stored through the API, or declared in the config file with
//!   the secret from an environment variable), secrets (shown once, kept as SHA-256 hashes,
//!   compared in constant time), accepting events, the event log and session transcripts.
//! - `run`: one event's turn, saved at most once in effect.
//! - `worker`: the background workers every server process runs.
//!
//! Storage is the [`crate::store::EventStore`]'s (the queue, the log), the sessions' and the
//! transcripts'.

mod events;
mod run;
pub mod worker;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

pub use events::{EventInput, EventPage, EventQuery, EventView};
pub use run::EventTurn;

use super::start::now;
use super::{Conversations, ServiceError};
use crate::ids::new_id;

/// Settings of the trigger machinery (from [`crate::config::Config`]).
#[derive(Debug, Clone)]
pub struct TriggerSettings {
    /// Background workers of this process (0: it only accepts events).
    pub workers: usize,
    /// How long a delivered event may stay unacknowledged before another worker takes it.
    pub visibility_timeout_ms: u64,
    /// Most events waiting at once (beyond, 429).
    pub queue_max: u64,
}

impl Default for TriggerSettings {
    fn default() -> Self {
        Self {
            workers: 4,
            visibility_timeout_ms: 30_000,
            queue_max: 100_000,
        }
    }
}

/// A trigger as stored (never shown with its secret hash).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TriggerRecord {
    pub id: String,
    /// The bot, as given (public id or id).
    pub flow: String,
    /// The bot's id, resolved when the trigger was created (None: declared, resolved on use).
    #[serde(default)]
    pub flow_id: Option<String>,
    pub name: Option<String>,
    pub default_text: Option<String>,
    pub session_ttl_secs: Option<u64>,
    /// SHA-256 of the secret, hex.
    pub secret_sha256: String,
    pub created_at: String,
    /// Declared in the config file (read-only through the API).
    #[serde(default)]
    pub declared: bool,
}

/// A trigger as shown.
#[derive(Debug, Clone, Serialize)]
pub struct TriggerView {
    pub id: String,
    pub flow: String,
    pub name: Option<String>,
    pub default_text: Option<String>,
    pub session_ttl_secs: Option<u64>,
    pub created_at: String,
    pub declared: bool,
}

impl From<&TriggerRecord> for TriggerView {
    fn from(t: &TriggerRecord) -> Self {
        TriggerView {
            id: t.id.clone(),
            flow: t.flow.clone(),
            name: t.name.clone(),
            default_text: t.default_text.clone(),
            session_ttl_secs: t.session_ttl_secs,
            created_at: t.created_at.clone(),
            declared: t.declared,
        }
    }
}

/// A trigger declared in the config file, its secret read from the environment.
#[derive(Debug, Clone)]
pub struct DeclaredTrigger {
    pub id: String,
    pub flow: String,
    pub name: Option<String>,
    pub default_text: Option<String>,
    pub session_ttl_secs: Option<u64>,
    pub secret: String,
}

/// What creating a trigger (or rotating its secret) answers: the secret, shown once.
#[derive(Debug, Clone)]
pub struct WithSecret {
    pub trigger: TriggerView,
    pub secret: String,
}

/// The trigger service: built once at start-up beside the conversation core.
pub struct Triggers {
    pub core: Arc<Conversations>,
    pub settings: TriggerSettings,
    declared: Vec<TriggerRecord>,
    /// The workers' copies of stored triggers, each read at most [`CACHED_FOR`] ago.
    cache: Mutex<HashMap<String, (Instant, TriggerRecord)>>,
}

/// How long a worker uses a stored trigger's record before reading it again: a deletion
/// reaches events still queued within this time. (Accepting never uses the cache: the secret
/// is checked by the store in the accepting step.)
const CACHED_FOR: Duration = Duration::from_secs(1);
/// Cached trigger records at most (beyond, the cache starts over).
const CACHE_MAX: usize = 10_000;

pub(super) fn sha256_hex(s: &str) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, s.as_bytes());
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn new_secret() -> String {
    format!("tts_{}{}", new_id(), new_id())
}

impl Triggers {
    pub fn new(
        core: Arc<Conversations>,
        settings: TriggerSettings,
        declared: Vec<DeclaredTrigger>,
    ) -> Self {
        let created_at = now();
        let declared = declared
            .into_iter()
            .map(|d| TriggerRecord {
                id: d.id,
                flow: d.flow,
                flow_id: None,
                name: d.name,
                default_text: d.default_text,
                session_ttl_secs: d.session_ttl_secs,
                secret_sha256: sha256_hex(&d.secret),
                created_at: created_at.clone(),
                declared: true,
            })
            .collect();
        Triggers {
            core,
            settings,
            declared,
            cache: Mutex::default(),
        }
    }

    /// The trigger declared in the config file with this id.
    fn declared(&self, id: &str) -> Option<&TriggerRecord> {
        self.declared.iter().find(|t| t.id == id)
    }

    /// A trigger by id (declared ones first).
    pub async fn record(&self, id: &str) -> Result<TriggerRecord, ServiceError> {
        if let Some(t) = self.declared(id) {
            return Ok(t.clone());
        }
        let raw = self
            .core
            .stores
            .events
            .trigger_get(id)
            .await?
            .ok_or(ServiceError::TriggerNotFound)?;
        serde_json::from_str(&raw)
            .map_err(|e| ServiceError::Internal(format!("stored trigger could not be read: {e}")))
    }

    /// A trigger by id for a worker: a stored one as read at most [`CACHED_FOR`] ago.
    pub(super) async fn record_cached(&self, id: &str) -> Result<TriggerRecord, ServiceError> {
        let lock = || self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((at, t)) = lock().get(id)
            && at.elapsed() < CACHED_FOR
        {
            return Ok(t.clone());
        }
        let t = self.record(id).await?;
        let mut cache = lock();
        if cache.len() >= CACHE_MAX {
            cache.clear();
        }
        cache.insert(id.to_string(), (Instant::now(), t.clone()));
        Ok(t)
    }

    /// The trigger `id` if `secret` is its secret (compared in constant time).
    pub async fn authenticate(
        &self,
        id: &str,
        secret: Option<&str>,
    ) -> Result<TriggerRecord, ServiceError> {
        let t = self.record(id).await?;
        let given = sha256_hex(secret.unwrap_or_default());
        let ok = secret.is_some_and(|s| !s.is_empty())
            && bool::from(given.as_bytes().ct_eq(t.secret_sha256.as_bytes()));
        if ok {
            Ok(t)
        } else {
            Err(ServiceError::TriggerSecret)
        }
    }

    /// The bot id a trigger runs (a declared trigger's bot resolved now).
    pub async fn flow_id(&self, t: &TriggerRecord) -> Result<String, ServiceError> {
        if let Some(id) = &t.flow_id {
            return Ok(id.clone());
        }
        let p = self.core.registry.resolve(&t.flow).await?;
        p.map(|p| p.flow.id.clone())
            .ok_or(ServiceError::FlowNotFound)
    }

    pub async fn create(
        &self,
        flow: String,
        name: Option<String>,
        default_text: Option<String>,
        session_ttl_secs: Option<u64>,
    ) -> Result<WithSecret, ServiceError> {
        let published = self
            .core
            .registry
            .resolve(&flow)
            .await?
            .filter(|p| !p.flow.is_archived)
            .ok_or(ServiceError::FlowNotFound)?;
        let secret = new_secret();
        let t = TriggerRecord {
            id: new_id(),
            flow,
            flow_id: Some(published.flow.id.clone()),
            name,
            default_text,
            session_ttl_secs,
            secret_sha256: sha256_hex(&secret),
            created_at: now(),
            declared: false,
        };
        self.put(&t).await?;
        Ok(WithSecret {
            trigger: TriggerView::from(&t),
            secret,
        })
    }

    async fn put(&self, t: &TriggerRecord) -> Result<(), ServiceError> {
        let json = serde_json::to_string(t).map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.core.stores.events.trigger_put(&t.id, json).await?;
        Ok(())
    }

    /// Every trigger (declared, then stored, each by creation time).
    pub async fn list(&self) -> Result<Vec<TriggerView>, ServiceError> {
        let mut out: Vec<TriggerView> = self.declared.iter().map(TriggerView::from).collect();
        let mut stored: Vec<TriggerRecord> = self
            .core
            .stores
            .events
            .trigger_list()
            .await?
            .iter()
            .filter_map(|raw| serde_json::from_str(raw).ok())
            .collect();
        stored.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
        out.extend(stored.iter().map(TriggerView::from));
        Ok(out)
    }

    pub async fn get(&self, id: &str) -> Result<TriggerView, ServiceError> {
        Ok(TriggerView::from(&self.record(id).await?))
    }

    pub async fn delete(&self, id: &str) -> Result<(), ServiceError> {
        if self.record(id).await?.declared {
            return Err(ServiceError::TriggerReadOnly);
        }
        self.core.stores.events.trigger_delete(id).await?;
        Ok(())
    }

    /// A new secret; the old one stops working at once.
    pub async fn rotate(&self, id: &str) -> Result<WithSecret, ServiceError> {
        let mut t = self.record(id).await?;
        if t.declared {
            return Err(ServiceError::TriggerReadOnly);
        }
        let secret = new_secret();
        t.secret_sha256 = sha256_hex(&secret);
        self.put(&t).await?;
        Ok(WithSecret {
            trigger: TriggerView::from(&t),
            secret,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_and_hashed() {
        let a = new_secret();
        assert!(a.len() > 50 && a != new_secret());
        assert_eq!(sha256_hex("abc").len(), 64);
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
