//! The flow registry: publishes bots (validate, compile, store) and serves compiled flows.
//!
//! Flow JSON and the published pointers live in a [`FlowStore`] (memory or Redis, shared by all
//! instances); compiled flows are cached in this process per revision, so a revision is
//! compiled once and then shared by every session that runs on it.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::Utc;
use serde::Serialize;
use serde_json::Value;

use crate::engine::EngineError;
use crate::engine::flows::{BoxFuture, FlowSource, Lookup};
use crate::flow::{self, CompiledFlow, Issue};
use crate::store::{FlowStore, Published, StoreError};

pub struct Registry {
    store: Arc<dyn FlowStore>,
    cache: RwLock<HashMap<String, HashMap<String, Arc<CompiledFlow>>>>,
}

/// Why a publish was refused.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// Not a Typebot export, or not of the flow format (the message says which).
    #[error("{0}")]
    Parse(String),
    #[error("the flow has errors")]
    Invalid(Vec<Issue>),
    #[error("the public id {0} is already used by another flow")]
    PublicIdTaken(String),
    #[error("{0}")]
    BadId(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A published bot: its compiled revision and when that revision was published.
#[derive(Debug, Clone)]
pub struct PublishedFlow {
    pub flow: Arc<CompiledFlow>,
    pub published_at: String,
}

/// What a successful publish returns.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishOutcome {
    pub id: String,
    pub public_id: String,
    pub revision: String,
    pub published_at: String,
    pub name: String,
    pub warnings: Vec<Issue>,
}

fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A bot checked and compiled, ready to publish ([`Registry::publish_prepared`]): its text as
/// stored (its revision is the hash of it) and its public id.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub compiled: Arc<CompiledFlow>,
    pub public_id: String,
    text: String,
}

/// Checks and compiles a bot for publishing, with its ids filled in (see [`Registry::publish`]);
/// no I/O, so start-up runs it on every core.
pub fn prepare(
    mut json: Value,
    id: Option<&str>,
    fallback_name: Option<&str>,
) -> Result<Prepared, PublishError> {
    flow::check_export(&json).map_err(|e| PublishError::Parse(e.to_string()))?;
    let obj = json
        .as_object_mut()
        .ok_or_else(|| PublishError::Parse("the bot must be a JSON object".into()))?;
    let own_id = obj
        .get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let flow_id = match (id, own_id) {
        (Some(p), Some(o)) if p != o => {
            return Err(PublishError::BadId(format!(
                "the path id {p} does not match the bot's id {o}"
            )));
        }
        (Some(p), _) => p.to_string(),
        (None, Some(o)) => o,
        (None, None) => match fallback_name {
            Some(name) => name.to_string(),
            None => return Err(PublishError::BadId("the bot has no id".into())),
        },
    };
    obj.insert("id".into(), Value::String(flow_id.clone()));
    // Public id: the bot's own, else (for a bundled file) its file name, else its id. A bot is
    // also always reachable by its id (see `resolve`).
    let public_id = obj
        .get("publicId")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .or_else(|| fallback_name.map(str::to_string))
        .unwrap_or_else(|| flow_id.clone());
    obj.insert("publicId".into(), Value::String(public_id.clone()));
    if !valid_id(&flow_id) || !valid_id(&public_id) {
        return Err(PublishError::BadId(
            "ids may only contain letters, digits, '-', '_' and '.' (at most 128)".into(),
        ));
    }
    // The same compact text as `Display` writes, without its formatter adapter (a seventh of a
    // start-up's time in a debug build).
    let text = serde_json::to_string(&json).map_err(|e| PublishError::Parse(e.to_string()))?;
    let compiled = flow::load_str(&text).map_err(|e| match e {
        flow::LoadError::Parse(m) => PublishError::Parse(m),
        flow::LoadError::Compile(c) => PublishError::Invalid(c.issues),
    })?;
    Ok(Prepared {
        compiled,
        public_id,
        text,
    })
}

impl Registry {
    pub fn new(store: Arc<dyn FlowStore>) -> Self {
        Self {
            store,
            cache: RwLock::new(HashMap::new()),
        }
    }

    /// Validates, compiles and publishes a bot. `id`, when given, must match (or fill in) the
    /// bot's own id; a bot without an id takes `fallback_name` (its file name). The public id
    /// is the bot's `publicId`, else `fallback_name`, else its id.
    pub async fn publish(
        &self,
        json: &Value,
        id: Option<&str>,
        fallback_name: Option<&str>,
    ) -> Result<PublishOutcome, PublishError> {
        let prepared = prepare(json.clone(), id, fallback_name)?;
        self.publish_prepared(&prepared).await
    }

    /// Stores and publishes a bot [`prepare`]d before (start-up compiles its bots on every
    /// core first, then publishes them: each is compiled once).
    pub async fn publish_prepared(&self, p: &Prepared) -> Result<PublishOutcome, PublishError> {
        let compiled = &p.compiled;
        let (flow_id, public_id) = (&compiled.id, &p.public_id);
        let published_at = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        self.store
            .put_revision(flow_id, &compiled.revision, &p.text)
            .await?;
        let entry = Published {
            flow_id: flow_id.clone(),
            public_id: public_id.clone(),
            revision: compiled.revision.clone(),
            published_at: published_at.clone(),
            name: compiled.name.clone(),
        };
        self.store.publish(&entry).await.map_err(|e| match e {
            StoreError::Conflict(_) => PublishError::PublicIdTaken(public_id.clone()),
            other => PublishError::Store(other),
        })?;
        let outcome = PublishOutcome {
            id: flow_id.clone(),
            public_id: public_id.clone(),
            revision: compiled.revision.clone(),
            published_at,
            name: compiled.name.clone(),
            warnings: compiled.warnings.clone(),
        };
        self.insert(compiled.clone());
        Ok(outcome)
    }

    /// Stores an unpublished revision (an inline preview bot) so its sessions can continue on
    /// any instance; nothing is published.
    pub async fn stage(&self, text: &str, flow: Arc<CompiledFlow>) -> Result<(), StoreError> {
        self.store
            .put_revision(&flow.id, &flow.revision, text)
            .await?;
        self.insert(flow);
        Ok(())
    }

    fn insert(&self, f: Arc<CompiledFlow>) {
        if let Ok(mut g) = self.cache.write() {
            g.entry(f.id.clone())
                .or_default()
                .insert(f.revision.clone(), f);
        }
    }

    fn cached(&self, id: &str, rev: &str) -> Option<Arc<CompiledFlow>> {
        self.cache.read().ok()?.get(id)?.get(rev).cloned()
    }

    /// A compiled revision, from the cache or compiled from the store.
    pub async fn revision(
        &self,
        id: &str,
        rev: &str,
    ) -> Result<Option<Arc<CompiledFlow>>, StoreError> {
        if let Some(f) = self.cached(id, rev) {
            return Ok(Some(f));
        }
        let Some(text) = self.store.get_revision(id, rev).await? else {
            return Ok(None);
        };
        match flow::load_str(&text) {
            Ok(f) => {
                self.insert(f.clone());
                Ok(Some(f))
            }
            Err(e) => Err(StoreError::Other(format!(
                "stored revision {id}@{rev} no longer compiles: {e}"
            ))),
        }
    }

    /// The flow a published pointer names, with the pointer's publication time.
    async fn published(&self, p: Published) -> Result<Option<PublishedFlow>, StoreError> {
        Ok(self
            .revision(&p.flow_id, &p.revision)
            .await?
            .map(|flow| PublishedFlow {
                flow,
                published_at: p.published_at,
            }))
    }

    /// The published flow with this public id.
    pub async fn by_public_id(&self, public_id: &str) -> Result<Option<PublishedFlow>, StoreError> {
        match self.store.by_public_id(public_id).await? {
            Some(p) => self.published(p).await,
            None => Ok(None),
        }
    }

    /// The published flow with this id.
    pub async fn by_id(&self, id: &str) -> Result<Option<PublishedFlow>, StoreError> {
        match self.store.by_flow_id(id).await? {
            Some(p) => self.published(p).await,
            None => Ok(None),
        }
    }

    /// A bot by public id, falling back to its id (how the chat API reaches bots).
    pub async fn resolve(&self, key: &str) -> Result<Option<PublishedFlow>, StoreError> {
        match self.by_public_id(key).await? {
            Some(f) => Ok(Some(f)),
            None => self.by_id(key).await,
        }
    }

    pub async fn list(&self) -> Result<Vec<Published>, StoreError> {
        self.store.list().await
    }

    /// The publication record of a flow id (no revision is loaded or compiled).
    pub async fn publication(&self, id: &str) -> Result<Option<Published>, StoreError> {
        self.store.by_flow_id(id).await
    }

    /// The publication record of a flow named by its id, else by its public id.
    pub async fn find_publication(&self, key: &str) -> Result<Option<Published>, StoreError> {
        match self.store.by_flow_id(key).await? {
            Some(p) => Ok(Some(p)),
            None => self.store.by_public_id(key).await,
        }
    }

    pub async fn unpublish(&self, id: &str) -> Result<Option<Published>, StoreError> {
        self.store.unpublish(id).await
    }
}

/// A store failure as the engine sees it: unreachable is "retry later", anything else a
/// revision that cannot be served.
fn lookup_error(e: StoreError) -> EngineError {
    match e {
        StoreError::Unavailable(m) => EngineError::FlowsUnavailable(m),
        other => {
            tracing::error!(error = %other, "a flow revision could not be loaded");
            EngineError::FlowGone
        }
    }
}

impl FlowSource for Registry {
    fn revision<'a>(&'a self, id: &'a str, rev: &'a str) -> BoxFuture<'a, Lookup> {
        Box::pin(async move {
            Registry::revision(self, id, rev)
                .await
                .map_err(lookup_error)
        })
    }
    fn published<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Lookup> {
        Box::pin(async move { Ok(self.by_id(id).await.map_err(lookup_error)?.map(|p| p.flow)) })
    }
}
