//! Executions: the engine API's view of a conversation turn by turn. An execution is one
//! session started on a tenant's intent (a published bot) inside a conversation (a tenant's
//! thread of executions sharing variables); each pause has a single-use wait token, a Wait
//! block pauses it on a durable timer (`timers`). Nothing of one tenant is ever read,
//! resumed or aborted through another: a foreign id is reported as unknown.
//!
//! Records (executions, conversations, the tenant of each flow) live in the
//! [`crate::store::ExecutionStore`]; the envelope is built in `envelope`.

mod envelope;
pub mod run;
mod timer_metrics;
pub mod timers;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use envelope::Execution;

use super::start::now;
use super::{Conversations, ServiceError};
use crate::store::{Doc, Index, Loaded};

/// The tenant of flows published without one, and of the bundled and `--flows` bots.
pub const DEFAULT_TENANT: &str = "00000000-0000-0000-0000-000000000000";

/// Most executions listed per conversation.
const MAX_CONVERSATION_EXECUTIONS: usize = 1000;

/// An execution as stored: its envelope and what the engine API needs to go on.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ExecutionRecord {
    tenant_id: String,
    /// The session it runs in (None when it failed before one existed).
    session_id: Option<String>,
    flow_id: String,
    context: Map<String, Value>,
    created_at: String,
    updated_at: String,
    envelope: Execution,
}

impl ExecutionRecord {
    fn fail(&mut self, reason: impl Into<String>) {
        let env = &mut self.envelope;
        env.status = "failed".into();
        env.expected_input = None;
        env.metadata = Map::new();
        env.metadata
            .insert("error".into(), Value::String(reason.into()));
        self.updated_at = now();
    }
}

/// A conversation: a tenant's executions sharing variables.
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
    async fn execution_record(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<ExecutionRecord, ServiceError> {
        let found: Option<ExecutionRecord> = self.load(Doc::Execution, id).await?;
        found
            .filter(|r| r.tenant_id == tenant)
            .ok_or(ServiceError::ExecutionNotFound)
    }

    async fn save_execution(&self, r: &ExecutionRecord) -> Result<(), ServiceError> {
        self.save(Doc::Execution, &r.envelope.execution_id, r).await
    }

    /// A conversation of this tenant.
    pub async fn conversation(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<ConversationRecord, ServiceError> {
        let found: Option<ConversationRecord> = self.load(Doc::Conversation, id).await?;
        found
            .filter(|c| c.tenant_id == tenant)
            .ok_or(ServiceError::ConversationNotFound)
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

    /// Ends a waiting execution as `aborted` (its session ends, its timer is cancelled).
    pub async fn abort_execution(&self, tenant: &str, id: &str) -> Result<Execution, ServiceError> {
        let mut record = self.execution_record(tenant, id).await?;
        if record.envelope.is_terminal() {
            return Err(ServiceError::ExecutionFinished);
        }
        if let Some(token) = record.envelope.wait_token().map(str::to_string) {
            self.stores.executions.token_take(id, &token).await?;
            self.stores
                .timers
                .timer_cancel(&timers::timer_id(id, &token))
                .await?;
        }
        if let Some(session) = &record.session_id {
            self.end_session(session).await?;
        }
        let env = &mut record.envelope;
        env.status = "aborted".into();
        env.blocks = Vec::new();
        env.expected_input = None;
        env.metadata = Map::new();
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
