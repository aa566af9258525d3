//! Triggering and resuming executions: the tenant's intent starts a session in a conversation
//! (its variables merged in and prefilled), each turn becomes the execution's envelope, and a
//! resume must present the wait token of the current pause (taken atomically: used once).

use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Map, Value};
use uuid::Uuid;

use super::envelope::Execution;
use super::record::{EXPIRED, Paused};
use super::timers::timer_id;
use super::turn::envelope_reply;
use super::{ConversationRecord, ExecutionRecord, MAX_CONVERSATION_EXECUTIONS, runtime_failure};
use crate::conversation::start::now;
use crate::conversation::{
    Caller, Claim, Conversations, FlowChoice, Reply, ServiceError, StartOptions, Surface,
    TurnResult,
};
use crate::engine::{Message, TextFormat};
use crate::store::{Doc, Index};

/// How long a wait token that could not be given back is tried again (see
/// `give_token_back`), and how many are tried at once.
const GIVE_BACK_FOR: std::time::Duration = std::time::Duration::from_secs(300);
const MAX_GIVING_BACK: usize = 1024;
static GIVING_BACK: AtomicUsize = AtomicUsize::new(0);

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
    /// `start_rendered`); with it, on memory and a single Redis, the execution's record, its
    /// wait token and its timer (`TurnWrites::execution`).
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
        // The conversation, its variables and its list of executions are written before the
        // start: the execution's record is then written by the session's save, with it (so
        // no crash between them leaves a session without its execution). A start that fails
        // leaves them as a retry would (listing skips an id without its record).
        self.save(Doc::Conversation, &cid, &conversation).await?;
        self.merge_conversation_vars(&cid, &t.variables).await?;
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
        let mut timer = None;
        let render = |turn: TurnResult| {
            record.session_id = Some(turn.session_id.clone());
            timer = self.apply_turn(&mut record, &turn.flow, &turn.output);
            let reply = envelope_reply(&record.envelope, &turn);
            self.recorded(&record, reply, timer.clone(), None)
        };
        let caller = Caller::of(Surface::EngineApi);
        let (rendered, written) = match self.start_with(choice, opts, &caller, claim, render).await
        {
            Ok(r) => {
                let written = self.saved_with_session(&r);
                (Some(r.reply), written)
            }
            Err(e) if runtime_failure(&e) => {
                record.fail(e.to_string());
                (None, false)
            }
            Err(e) => return Err(e),
        };
        let json = json_of(&record.envelope, rendered)?;
        if !written {
            self.save_execution_as(&record, Some(json.clone())).await?;
            self.schedule(timer).await?;
        }
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

    /// Gives a taken wait token back (the pause stays resumable with it). When the store
    /// fails too (it is down: the turn could not run for that reason), the token is given back
    /// again in the background until the store answers (for at most [`GIVE_BACK_FOR`], by a
    /// bounded number of tasks): a retry once the store is back must find the pause resumable,
    /// not its token gone.
    pub(super) async fn give_token_back(
        &self,
        execution_id: &str,
        token: &str,
    ) -> Result<(), ServiceError> {
        let executions = &self.stores.executions;
        let retention = self.retention();
        let Err(e) = executions.token_set(execution_id, token, retention).await else {
            return Ok(());
        };
        if GIVING_BACK.fetch_add(1, Ordering::Relaxed) >= MAX_GIVING_BACK {
            GIVING_BACK.fetch_sub(1, Ordering::Relaxed);
            tracing::warn!(
                execution = execution_id,
                "a wait token could not be given back"
            );
            return Err(e.into());
        }
        let (executions, id, token) = (
            executions.clone(),
            execution_id.to_string(),
            token.to_string(),
        );
        tokio::spawn(async move {
            let until = std::time::Instant::now() + GIVE_BACK_FOR;
            let mut pause = std::time::Duration::from_millis(200);
            loop {
                tokio::time::sleep(pause).await;
                if executions.token_set(&id, &token, retention).await.is_ok() {
                    break;
                }
                if std::time::Instant::now() >= until {
                    tracing::warn!(execution = %id, "a wait token could not be given back");
                    break;
                }
                pause = (pause * 2).min(std::time::Duration::from_secs(5));
            }
            GIVING_BACK.fetch_sub(1, Ordering::Relaxed);
        });
        Err(e.into())
    }

    /// Runs a pause whose wait token this call has taken (`record` read with it). With a
    /// claim, the session's save stores the new envelope as the key's answer (see
    /// `resume_rendered`); with it the execution's record, its next wait token and timers, as
    /// at a trigger.
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
        // A Wait block's pause ends: its timer is done with (cancelled by the save).
        let cancel = timed.then(|| timer_id(execution_id, wait_token));
        let mut applied = None;
        let render = |turn: TurnResult| {
            applied = self.apply_turn(&mut record, &turn.flow, &turn.output);
            let reply = envelope_reply(&record.envelope, &turn);
            self.recorded(&record, reply, applied.clone(), cancel.clone())
        };
        let caller = Caller::of(Surface::EngineApi);
        let format = TextFormat::Markdown;
        let outcome = self
            .resume_with(&session, message, format, &caller, claim, render)
            .await;
        let mut ended = false;
        let mut rendered = None;
        // Whether the record is saved already, and whether the session's save wrote it with
        // its timers (else they are written below).
        let (mut saved, mut folded) = (false, false);
        let timer = match outcome {
            Ok(r) => {
                folded = self.saved_with_session(&r);
                saved = folded;
                rendered = Some(r.reply);
                applied
            }
            Err(e) if runtime_failure(&e) => {
                // The failed record first: a crash before the session ends leaves a failed
                // execution whose session expires, never a pause nobody can resume.
                record = stored.whole(record)?;
                record.fail(e.to_string());
                self.save_execution_as(&record, None).await?;
                saved = true;
                let _ = self.end_session(&session).await;
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
        if !saved {
            self.save_execution_as(&record, Some(json.clone())).await?;
        }
        if !folded {
            if let Some(id) = &cancel {
                self.stores.timers.timer_cancel(id).await?;
            }
            self.schedule(timer).await?;
        }
        if ended {
            return Err(ServiceError::ExecutionFinished);
        }
        Ok(Encoded { json })
    }
}
