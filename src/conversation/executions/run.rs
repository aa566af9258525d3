//! Triggering and resuming executions: the tenant's intent starts a session in a conversation
//! (its variables merged in and prefilled), each turn becomes the execution's envelope, and a
//! resume must present the wait token of the current pause (taken atomically: used once).

use chrono::{SecondsFormat, TimeZone, Utc};
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use super::envelope::{self, Execution};
use super::timers::{now_ms, timer_id};
use super::{ConversationRecord, ExecutionRecord, MAX_CONVERSATION_EXECUTIONS, runtime_failure};
use crate::conversation::start::now;
use crate::conversation::{Caller, Conversations, FlowChoice, ServiceError, StartOptions, Surface};
use crate::engine::{Message, TextFormat, TurnOutput, TurnStatus};
use crate::flow::CompiledFlow;
use crate::store::{Doc, Index};

/// What a trigger asks for (validated by the surface).
#[derive(Debug, Clone, Default)]
pub struct Trigger {
    pub tenant_id: String,
    pub intent_name: String,
    /// An existing conversation of the tenant (None: a new one).
    pub conversation_id: Option<String>,
    pub context: Map<String, Value>,
    pub variables: Map<String, Value>,
}

impl Conversations {
    /// Starts the tenant's intent in a conversation and returns the execution's envelope.
    pub async fn trigger(&self, t: Trigger) -> Result<Execution, ServiceError> {
        let published = match self.registry.by_public_id(&t.intent_name).await? {
            Some(p) if self.tenant_of(&p.flow.id).await? == t.tenant_id => p,
            _ => return Err(ServiceError::IntentNotFound),
        };
        let mut conversation = match &t.conversation_id {
            Some(id) => self.conversation(&t.tenant_id, id).await?,
            None => ConversationRecord {
                conversation_id: Uuid::new_v4().to_string(),
                tenant_id: t.tenant_id.clone(),
                variables: Map::new(),
                created_at: now(),
                updated_at: now(),
            },
        };
        conversation.variables.extend(t.variables);
        conversation.updated_at = now();
        let cid = conversation.conversation_id.clone();
        // Context keys naming declared variables set them; the conversation's variables (plain
        // values: never evaluated) come last.
        let mut prefilled = t.context.clone();
        prefilled.extend(conversation.variables.clone());
        let opts = StartOptions {
            prefilled,
            format: TextFormat::Markdown,
            ..StartOptions::default()
        };
        let choice = FlowChoice::Published(t.intent_name.clone());
        let outcome = self
            .start(choice, opts, &Caller::of(Surface::EngineApi))
            .await;
        let execution_id = Uuid::new_v4().to_string();
        let mut record = ExecutionRecord {
            tenant_id: t.tenant_id,
            session_id: None,
            flow_id: published.flow.id.clone(),
            context: t.context,
            created_at: now(),
            updated_at: now(),
            envelope: Execution {
                execution_id: execution_id.clone(),
                status: String::new(),
                blocks: Vec::new(),
                conversation_id: cid.clone(),
                expected_input: None,
                metadata: Map::new(),
                token_usage: None,
            },
        };
        let timer = match outcome {
            Ok(turn) => {
                record.session_id = Some(turn.session_id.clone());
                self.apply_turn(&mut record, &turn.flow, &turn.output)
                    .await?
            }
            Err(e) if runtime_failure(&e) => {
                record.fail(e.to_string());
                None
            }
            Err(e) => return Err(e),
        };
        // The conversation (with its merged variables) is saved once the trigger is accepted.
        self.save(Doc::Conversation, &cid, &conversation).await?;
        self.save_execution(&record).await?;
        self.stores
            .executions
            .index_push(
                Index::ConversationExecutions,
                &cid,
                &execution_id,
                MAX_CONVERSATION_EXECUTIONS,
                self.retention(),
            )
            .await?;
        self.schedule(timer).await?;
        Ok(record.envelope)
    }

    /// Continues a paused execution with the reply (None: a timer's resume). The token must be
    /// the current pause's; it is used up, and given back only when the turn could not run.
    pub async fn resume_execution(
        &self,
        tenant: &str,
        execution_id: &str,
        wait_token: &str,
        message: Option<Message>,
    ) -> Result<Execution, ServiceError> {
        let mut record = self.execution_record(tenant, execution_id).await?;
        if record.envelope.is_terminal() {
            return Err(ServiceError::ExecutionFinished);
        }
        let current = record.envelope.wait_token().unwrap_or_default().to_string();
        let same = bool::from(current.as_bytes().ct_eq(wait_token.as_bytes()));
        let executions = &self.stores.executions;
        if current.is_empty() || !same || !executions.token_take(execution_id, wait_token).await? {
            return Err(ServiceError::StaleWaitToken);
        }
        let timed = record.envelope.status == "waiting_time";
        let session = record.session_id.clone().unwrap_or_default();
        let outcome = self
            .resume(
                &session,
                message,
                TextFormat::Markdown,
                &Caller::of(Surface::EngineApi),
            )
            .await;
        let timer = match outcome {
            Ok(turn) => {
                self.apply_turn(&mut record, &turn.flow, &turn.output)
                    .await?
            }
            Err(e) if runtime_failure(&e) => {
                let _ = self.end_session(&session).await;
                record.fail(e.to_string());
                None
            }
            Err(ServiceError::Finished | ServiceError::Expired | ServiceError::SessionMissing) => {
                record.fail("the session of this execution has ended or expired");
                None
            }
            Err(e) => {
                // Nothing ran: the pause stays resumable with the same token.
                executions
                    .token_set(execution_id, wait_token, self.retention())
                    .await?;
                return Err(e);
            }
        };
        self.save_execution(&record).await?;
        // The pause is over: its timer (a Wait block's) is done with.
        if timed {
            self.stores
                .timers
                .timer_cancel(&timer_id(execution_id, wait_token))
                .await?;
        }
        self.schedule(timer).await?;
        Ok(record.envelope)
    }

    /// Makes a turn the execution's envelope; a pause gets a new wait token, a paused Wait
    /// block a timer (returned, to be scheduled once the record is saved).
    async fn apply_turn(
        &self,
        record: &mut ExecutionRecord,
        flow: &CompiledFlow,
        out: &TurnOutput,
    ) -> Result<Option<(String, u64)>, ServiceError> {
        let id = record.envelope.execution_id.clone();
        let env = &mut record.envelope;
        env.status = envelope::status(out.status).into();
        env.blocks = envelope::blocks(flow, out);
        env.expected_input = envelope::expected_input(out);
        env.token_usage = envelope::token_usage(out);
        env.metadata = Map::new();
        record.updated_at = now();
        let mut timer = None;
        match out.status {
            TurnStatus::WaitingInput | TurnStatus::WaitingAction | TurnStatus::WaitingTime => {
                let token = Uuid::new_v4().to_string();
                self.stores
                    .executions
                    .token_set(&id, &token, self.retention())
                    .await?;
                if out.status == TurnStatus::WaitingTime {
                    let wait_ms = (envelope::wait_seconds(out) * 1000.0).max(0.0) as u64;
                    let due = now_ms().saturating_add(wait_ms);
                    let at = Utc
                        .timestamp_millis_opt(i64::try_from(due).unwrap_or(i64::MAX))
                        .single()
                        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
                        .unwrap_or_default();
                    env.metadata.insert("resume_at".into(), Value::String(at));
                    timer = Some((timer_id(&id, &token), due));
                }
                env.metadata
                    .insert("wait_token".into(), Value::String(token));
            }
            TurnStatus::Failed => {
                env.metadata
                    .insert("error".into(), Value::String(envelope::failure(out)));
            }
            TurnStatus::Completed | TurnStatus::Aborted => {}
        }
        Ok(timer)
    }

    async fn schedule(&self, timer: Option<(String, u64)>) -> Result<(), ServiceError> {
        if let Some((id, due)) = timer {
            self.stores.timers.timer_schedule(&id, due).await?;
        }
        Ok(())
    }
}
