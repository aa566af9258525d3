//! Executions: the engine API's view of a conversation turn by turn. An execution is one
//! session started on a tenant's intent (a published bot) inside a conversation (a tenant's
//! thread of executions sharing variables); each pause has a single-use wait token, a Wait
//! block pauses it on a durable timer (`timers`). Nothing of one tenant is ever read,
//! resumed or aborted through another: a foreign id is reported as unknown.
//!
//! Records (executions, conversations, the tenant of each flow) live in the
//! [`crate::store::ExecutionStore`]; the envelope is built in `envelope`.

mod envelope;
mod record;
pub mod run;
mod timer_metrics;
pub mod timers;
mod turn;

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use envelope::Execution;
use record::ExecutionRecord;

use super::start::now;
use super::{Conversations, ServiceError};
use crate::store::{Doc, Index, Loaded};

/// The tenant of flows published without one, and of the bundled and `--flows` bots.
pub const DEFAULT_TENANT: &str = "00000000-0000-0000-0000-000000000000";

/// Longest an abort waits for a resume holding the pause (then: 409 `session_busy`).
const ABORT_WAIT_MS: u64 = 10_000;

/// Most executions listed per conversation.
const MAX_CONVERSATION_EXECUTIONS: usize = 1000;

/// A conversation: a tenant's executions sharing variables. Its variables are kept one entry
/// per name beside the document (`ExecutionStore::vars_merge`); the document's own
/// `variables` only hold those of conversations written before that, read beneath them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConversationRecord {
    pub conversation_id: String,
    pub tenant_id: String,
    pub variables: Map<String, Value>,
    pub created_at: String,
    pub updated_at: String,
}

/// Whether a start or resume error is a runtime failure of the execution (it ends as
/// `failed`: a linked bot, or the bot itself, is gone) rather than a refusal of the call
/// (closed bot, missing credentials, an unusable reply: the execution stays as it was).
fn runtime_failure(e: &ServiceError) -> bool {
    matches!(
        e,
        ServiceError::Engine(crate::engine::EngineError::FlowGone)
    )
}

impl Conversations {
    fn retention(&self) -> u64 {
        self.config.results_retention_secs
    }

    /// Records the tenant a flow was published into.
    pub async fn set_flow_tenant(&self, flow_id: &str, tenant: &str) -> Result<(), ServiceError> {
        let json =
            serde_json::to_string(tenant).map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.stores
            .executions
            .doc_put(Doc::FlowTenant, flow_id, json, 0)
            .await?;
        Ok(())
    }

    /// The tenant of a flow (the default tenant unless it was published into another).
    pub async fn tenant_of(&self, flow_id: &str) -> Result<String, ServiceError> {
        let raw = self
            .stores
            .executions
            .doc_get(Doc::FlowTenant, flow_id)
            .await?;
        Ok(raw
            .and_then(|s| serde_json::from_str::<String>(&s).ok())
            .unwrap_or_else(|| DEFAULT_TENANT.to_string()))
    }

    pub(in crate::conversation) async fn load<T: for<'de> Deserialize<'de>>(
        &self,
        kind: Doc,
        id: &str,
    ) -> Result<Option<T>, ServiceError> {
        let Some(raw) = self.stores.executions.doc_get(kind, id).await? else {
            return Ok(None);
        };
        serde_json::from_str(&raw)
            .map(Some)
            .map_err(|e| ServiceError::Internal(format!("stored record could not be read: {e}")))
    }

    pub(in crate::conversation) async fn save<T: Serialize>(
        &self,
        kind: Doc,
        id: &str,
        v: &T,
    ) -> Result<(), ServiceError> {
        let json = serde_json::to_string(v).map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.stores
            .executions
            .doc_put(kind, id, json, self.retention())
            .await?;
        Ok(())
    }

    /// An execution of this tenant (another tenant's is reported unknown).
    /// An execution of this tenant, as it stands now (another tenant's is reported unknown).
    async fn execution_record(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<ExecutionRecord, ServiceError> {
        let found: Option<ExecutionRecord> = self.load(Doc::Execution, id).await?;
        found
            .filter(|r| r.tenant_id == tenant)
            .map(ExecutionRecord::settled)
            .ok_or(ServiceError::ExecutionNotFound)
    }

    /// Saves an execution's record with the wait token of its pause (one atomic write).
    async fn save_execution(&self, r: &ExecutionRecord) -> Result<(), ServiceError> {
        self.save_execution_as(r, None).await
    }

    /// [`Self::save_execution`] with the envelope already encoded (`envelope_json`, as the
    /// answer was rendered: not encoded a second time). The store gets the record typed
    /// ([`record::Saved`]).
    async fn save_execution_as(
        &self,
        r: &ExecutionRecord,
        envelope_json: Option<String>,
    ) -> Result<(), ServiceError> {
        let envelope_json = match envelope_json {
            Some(json) => json,
            None => serde_json::to_string(&r.envelope)
                .map_err(|e| ServiceError::Internal(e.to_string()))?,
        };
        let token = r.envelope.wait_token();
        let doc = std::sync::Arc::new(record::Saved::new(r, envelope_json));
        self.stores
            .executions
            .execution_put(&r.envelope.execution_id, doc, token, self.retention())
            .await?;
        Ok(())
    }

    /// A conversation's document of this tenant (its variables not yet merged in).
    async fn conversation_doc(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<ConversationRecord, ServiceError> {
        let found: Option<ConversationRecord> = self.load(Doc::Conversation, id).await?;
        found
            .filter(|c| c.tenant_id == tenant)
            .ok_or(ServiceError::ConversationNotFound)
    }

    /// The variables of a conversation: the document's (older records) beneath the merged ones.
    async fn conversation_vars(
        &self,
        doc: &ConversationRecord,
    ) -> Result<Map<String, Value>, ServiceError> {
        let mut vars = doc.variables.clone();
        let merged = self
            .stores
            .executions
            .vars_get(&doc.conversation_id)
            .await?;
        for (name, json) in merged {
            let value = serde_json::from_str(&json).map_err(|e| {
                ServiceError::Internal(format!("stored variable could not be read: {e}"))
            })?;
            vars.insert(name, value);
        }
        Ok(vars)
    }

    /// Merges variables into a conversation, each name on its own (nothing else is lost).
    async fn merge_conversation_vars(
        &self,
        id: &str,
        vars: &Map<String, Value>,
    ) -> Result<(), ServiceError> {
        let mut entries = Vec::with_capacity(vars.len());
        for (name, value) in vars {
            let json =
                serde_json::to_string(value).map_err(|e| ServiceError::Internal(e.to_string()))?;
            entries.push((name.clone(), json));
        }
        self.stores
            .executions
            .vars_merge(id, entries, self.retention())
            .await?;
        Ok(())
    }

    /// A conversation of this tenant, with its variables.
    pub async fn conversation(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<ConversationRecord, ServiceError> {
        let mut doc = self.conversation_doc(tenant, id).await?;
        doc.variables = self.conversation_vars(&doc).await?;
        Ok(doc)
    }

    /// The latest envelope of an execution of this tenant.
    pub async fn execution(&self, tenant: &str, id: &str) -> Result<Execution, ServiceError> {
        Ok(self.execution_record(tenant, id).await?.envelope)
    }

    /// A conversation and its executions, newest first.
    pub async fn conversation_executions(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<(ConversationRecord, Vec<Execution>), ServiceError> {
        let conversation = self.conversation(tenant, id).await?;
        let ids = self
            .stores
            .executions
            .index_list(Index::ConversationExecutions, id)
            .await?;
        let mut executions = Vec::with_capacity(ids.len());
        for eid in ids {
            if let Ok(r) = self.execution_record(tenant, &eid).await {
                executions.push(r.envelope);
            }
        }
        Ok((conversation, executions))
    }

    /// Ends a waiting execution as `aborted` (its session ends, its timer is cancelled). The
    /// abort takes the pause's wait token, as a resume does, so of the two exactly one goes
    /// on with a pause: when a resume (or a timer) holds it, the abort waits for the state it
    /// leaves and ends that, or answers `execution_finished` when it finished the execution.
    pub async fn abort_execution(&self, tenant: &str, id: &str) -> Result<Execution, ServiceError> {
        let patience = Duration::from_millis(self.config.turn_lease_ms.clamp(1, ABORT_WAIT_MS));
        let started = Instant::now();
        loop {
            let record = self.execution_record(tenant, id).await?;
            if record.envelope.is_terminal() {
                return Err(ServiceError::ExecutionFinished);
            }
            let token = record.envelope.wait_token().unwrap_or_default().to_string();
            if !token.is_empty() && self.stores.executions.token_take(id, &token).await? {
                return self.abort_pause(record, &token).await;
            }
            if started.elapsed() > patience {
                return Err(ServiceError::Busy);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Aborts a pause whose wait token this call has taken.
    async fn abort_pause(
        &self,
        mut record: ExecutionRecord,
        token: &str,
    ) -> Result<Execution, ServiceError> {
        let id = record.envelope.execution_id.clone();
        if let Some(session) = &record.session_id
            && let Err(e) = self.end_session(session).await
        {
            // Nothing was ended: the pause stays resumable (and abortable) with its token.
            self.stores
                .executions
                .token_set(&id, token, self.retention())
                .await?;
            return Err(e);
        }
        if record.envelope.status == "waiting_time" {
            self.stores
                .timers
                .timer_cancel(&timers::timer_id(&id, token))
                .await?;
        }
        let env = &mut record.envelope;
        env.status = "aborted".into();
        env.blocks = Vec::new();
        env.expected_input = None;
        env.metadata = Map::new();
        record.session_expires_ms = None;
        record.updated_at = now();
        self.save_execution(&record).await?;
        Ok(record.envelope)
    }

    /// Ends a session from outside (its state is replaced by the finished marker).
    pub async fn end_session(&self, session_id: &str) -> Result<(), ServiceError> {
        let sessions = &self.stores.sessions;
        if let Loaded::Active(leased) = sessions
            .begin_turn(session_id, self.config.turn_lease_ms)
            .await?
        {
            sessions.finish_turn(session_id, &leased).await?;
        }
        Ok(())
    }
}
