//! Triggering and resuming executions: the tenant's intent starts a session in a conversation
//! (its variables merged in and prefilled), each turn becomes the execution's envelope, and a
//! resume must present the wait token of the current pause (taken atomically: used once).

use chrono::{SecondsFormat, TimeZone, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::envelope::{self, Execution};
use super::record::{EXPIRED, Paused};
use super::timers::{now_ms, timer_id};
use super::{ConversationRecord, ExecutionRecord, MAX_CONVERSATION_EXECUTIONS, runtime_failure};
use crate::conversation::start::now;
use crate::conversation::{
    Caller, Claim, Conversations, FlowChoice, Reply, ServiceError, StartOptions, Surface,
    TurnResult,
};
use crate::engine::{Message, TextFormat, TurnOutput, TurnStatus};
use crate::flow::CompiledFlow;
use crate::store::{Doc, Index};

/// An envelope's JSON as answered (encoded once, also for the stored record).
#[derive(Debug, Clone)]
pub struct Encoded {
    pub json: String,
}

impl Encoded {
    /// The envelope (read back from its JSON).
    pub fn envelope(&self) -> Result<Execution, ServiceError> {
        serde_json::from_str(&self.json).map_err(|e| ServiceError::Internal(e.to_string()))
    }
}

/// The JSON of an envelope: the rendered answer when it is its encoding (a 200 rendered from
/// it as it is), else encoded now.
fn json_of(envelope: &Execution, rendered: Option<Reply>) -> Result<String, ServiceError> {
    match rendered {
        Some(r) if r.status == 200 => Ok(r.body),
        _ => serde_json::to_string(envelope).map_err(|e| ServiceError::Internal(e.to_string())),
    }
}

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
    /// With a claim, the session's creation stores the envelope as the key's answer (see
    /// `start_rendered`); the execution's records are saved after it.
    pub async fn trigger(
        &self,
        t: Trigger,
        claim: Option<&Claim>,
    ) -> Result<Execution, ServiceError> {
        self.trigger_encoded(t, claim).await?.envelope()
    }

    /// [`Self::trigger`], with the envelope's JSON.
    pub async fn trigger_encoded(
        &self,
        t: Trigger,
        claim: Option<&Claim>,
    ) -> Result<Encoded, ServiceError> {
        let published = match self.registry.by_public_id(&t.intent_name).await? {
            Some(p) if self.tenant_of(&p.flow.id).await? == t.tenant_id => p,
            _ => return Err(ServiceError::IntentNotFound),
        };
        // The document is saved as read (older ones keep their variables); the trigger's
        // variables are merged in per name, so a concurrent trigger's are never overwritten.
        let (mut conversation, vars) = match &t.conversation_id {
            Some(id) => {
                let doc = self.conversation_doc(&t.tenant_id, id).await?;
                let vars = self.conversation_vars(&doc).await?;
                (doc, vars)
            }
            None => {
                let doc = ConversationRecord {
                    conversation_id: Uuid::new_v4().to_string(),
                    tenant_id: t.tenant_id.clone(),
                    variables: Map::new(),
                    created_at: now(),
                    updated_at: now(),
                };
                (doc, Map::new())
            }
        };
        conversation.updated_at = now();
        let cid = conversation.conversation_id.clone();
        // Context keys naming declared variables set them; the conversation's variables (plain
        // values: never evaluated) come last, this trigger's over the earlier ones.
        let mut prefilled = t.context.clone();
        prefilled.extend(vars);
        prefilled.extend(t.variables.clone());
        let opts = StartOptions {
            prefilled,
            format: TextFormat::Markdown,
            ..StartOptions::default()
        };
        let choice = FlowChoice::Published(t.intent_name.clone());
        let execution_id = Uuid::new_v4().to_string();
        let mut record = ExecutionRecord {
            tenant_id: t.tenant_id,
            session_id: None,
            flow_id: published.flow.id.clone(),
            context: t.context,
            created_at: now(),
            updated_at: now(),
            session_expires_ms: None,
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
        let mut timer = None;
        let render = |turn: TurnResult| {
            record.session_id = Some(turn.session_id.clone());
            timer = self.apply_turn(&mut record, &turn.flow, &turn.output);
            envelope_reply(&record.envelope, &turn)
        };
        let caller = Caller::of(Surface::EngineApi);
        let rendered = match self.start_with(choice, opts, &caller, claim, render).await {
            Ok(reply) => Some(reply),
            Err(e) if runtime_failure(&e) => {
                record.fail(e.to_string());
                None
            }
            Err(e) => return Err(e),
        };
        // The conversation and its variables are saved once the trigger is accepted.
        self.save(Doc::Conversation, &cid, &conversation).await?;
        self.merge_conversation_vars(&cid, &t.variables).await?;
        let json = json_of(&record.envelope, rendered)?;
        self.save_execution_as(&record, Some(json.clone())).await?;
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
        Ok(Encoded { json })
    }

    /// Continues a paused execution with the reply (None: a timer's resume). The token must be
    /// the current pause's; it is used up, and given back only when the turn could not run.
    /// Taking it and reading the record are one store call; a refused call gives it back.
    pub async fn resume_execution(
        &self,
        tenant: &str,
        execution_id: &str,
        wait_token: &str,
        message: Option<Message>,
        claim: Option<&Claim>,
    ) -> Result<Execution, ServiceError> {
        let r = self.resume_encoded(tenant, execution_id, wait_token, message, claim);
        r.await?.envelope()
    }

    /// [`Self::resume_execution`], with the envelope's JSON.
    pub async fn resume_encoded(
        &self,
        tenant: &str,
        execution_id: &str,
        wait_token: &str,
        message: Option<Message>,
        claim: Option<&Claim>,
    ) -> Result<Encoded, ServiceError> {
        let (taken, paused) = self.take_pause(execution_id, wait_token).await?;
        let refusal = match paused.filter(|p| p.record.tenant_id == tenant) {
            None => ServiceError::ExecutionNotFound,
            Some(p) if p.record.envelope.is_terminal() => ServiceError::ExecutionFinished,
            Some(p) if taken => return self.resume_record(p, wait_token, message, claim).await,
            Some(_) => return Err(ServiceError::StaleWaitToken),
        };
        if taken {
            self.give_token_back(execution_id, wait_token).await?;
        }
        Err(refusal)
    }

    /// Takes a pause's wait token and reads its execution (settled; its envelope's head
    /// only, see [`Paused`]), in one store call.
    pub(super) async fn take_pause(
        &self,
        execution_id: &str,
        wait_token: &str,
    ) -> Result<(bool, Option<Paused>), ServiceError> {
        let executions = &self.stores.executions;
        let (taken, doc) = executions.token_take_get(execution_id, wait_token).await?;
        Ok((taken, doc.map(Paused::read).transpose()?))
    }

    /// Gives a taken wait token back (the pause stays resumable with it).
    pub(super) async fn give_token_back(
        &self,
        execution_id: &str,
        token: &str,
    ) -> Result<(), ServiceError> {
        self.stores
            .executions
            .token_set(execution_id, token, self.retention())
            .await?;
        Ok(())
    }

    /// Runs a pause whose wait token this call has taken (`record` read with it). With a
    /// claim, the session's save stores the new envelope as the key's answer (see
    /// `resume_rendered`); the execution's record is saved after it.
    pub(super) async fn resume_record(
        &self,
        paused: Paused,
        wait_token: &str,
        message: Option<Message>,
        claim: Option<&Claim>,
    ) -> Result<Encoded, ServiceError> {
        // A turn replaces the envelope whole; the stored one is read only when the resume
        // ends the execution as it stood (`whole`).
        let (mut record, stored) = paused.split();
        let execution_id = record.envelope.execution_id.clone();
        let execution_id = execution_id.as_str();
        let timed = record.envelope.status == "waiting_time";
        let session = record.session_id.clone().unwrap_or_default();
        let mut applied = None;
        let render = |turn: TurnResult| {
            applied = self.apply_turn(&mut record, &turn.flow, &turn.output);
            envelope_reply(&record.envelope, &turn)
        };
        let caller = Caller::of(Surface::EngineApi);
        let format = TextFormat::Markdown;
        let outcome = self
            .resume_rendered(&session, message, format, &caller, claim, render)
            .await;
        let mut ended = false;
        let mut rendered = None;
        let timer = match outcome {
            Ok(reply) => {
                rendered = Some(reply);
                applied
            }
            Err(e) if runtime_failure(&e) => {
                let _ = self.end_session(&session).await;
                record = stored.whole(record)?;
                record.fail(e.to_string());
                None
            }
            Err(ServiceError::Finished | ServiceError::Expired | ServiceError::SessionMissing) => {
                // The session ended before this resume (expired, or gone): the execution had
                // failed already; the resume is refused as for any finished execution.
                record = stored.whole(record)?;
                record.fail(EXPIRED);
                ended = true;
                None
            }
            Err(e) => {
                // Nothing ran: the pause stays resumable with the same token.
                self.give_token_back(execution_id, wait_token).await?;
                return Err(e);
            }
        };
        let json = json_of(&record.envelope, rendered)?;
        self.save_execution_as(&record, Some(json.clone())).await?;
        // The pause is over: its timer (a Wait block's) is done with.
        if timed {
            self.stores
                .timers
                .timer_cancel(&timer_id(execution_id, wait_token))
                .await?;
        }
        self.schedule(timer).await?;
        if ended {
            return Err(ServiceError::ExecutionFinished);
        }
        Ok(Encoded { json })
    }

    /// Makes a turn the execution's envelope (its status and metadata: the blocks, expected
    /// input and token usage are encoded from the turn, by `envelope_reply`); a pause gets a
    /// new wait token (saved with the record) and the time its session expires, a paused Wait
    /// block a timer (returned, to be scheduled once the record is saved).
    fn apply_turn(
        &self,
        record: &mut ExecutionRecord,
        flow: &CompiledFlow,
        out: &TurnOutput,
    ) -> Option<(String, u64)> {
        let id = record.envelope.execution_id.clone();
        let env = &mut record.envelope;
        env.status = envelope::status(out.status).into();
        env.blocks = Vec::new();
        env.expected_input = None;
        env.token_usage = None;
        env.metadata = Map::new();
        record.updated_at = now();
        record.session_expires_ms = None;
        let mut timer = None;
        match out.status {
            TurnStatus::WaitingInput | TurnStatus::WaitingAction | TurnStatus::WaitingTime => {
                let token = Uuid::new_v4().to_string();
                // The session was saved with this TTL just before (so it expires a little
                // before this: a resume in between finds it gone and is refused the same way).
                let ttl_ms = self.ttl(flow).saturating_mul(1000);
                record.session_expires_ms = Some(now_ms().saturating_add(ttl_ms));
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
        timer
    }

    async fn schedule(&self, timer: Option<(String, u64)>) -> Result<(), ServiceError> {
        if let Some((id, due)) = timer {
            self.stores.timers.timer_schedule(&id, due).await?;
        }
        Ok(())
    }
}

/// An envelope as the engine API answers it (and as its idempotent answer is stored): `env`
/// with the turn's blocks, expected input and token usage.
fn envelope_reply(env: &Execution, turn: &TurnResult) -> Reply {
    match envelope::encode(env, &turn.flow, &turn.output) {
        Ok(body) => Reply { status: 200, body },
        // A 500 is not stored: the API renders the error itself.
        Err(e) => Reply {
            status: 500,
            body: e.to_string(),
        },
    }
}
