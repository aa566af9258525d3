//! An engine turn as the execution's record: its envelope made from the turn (status, wait
//! token, resume time), the answer rendered from it, and the record, token and timers the
//! session's save writes with it (`TurnWrites::execution`).

use std::sync::Arc;

use chrono::{SecondsFormat, TimeZone, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::ExecutionRecord;
use super::envelope::{self, Execution};
use super::record::Saved;
use super::timers::{now_ms, timer_id};
use crate::conversation::start::{Rendered, now};
use crate::conversation::{Conversations, Reply, ServiceError, TurnResult};
use crate::engine::{TurnOutput, TurnStatus};
use crate::flow::CompiledFlow;
use crate::store::{ExecutionDoc, ExecutionWrite};

impl Conversations {
    /// A turn's envelope `reply` with the record to save with the session: `r` as the turn
    /// left it, its new pause's timer and the ended pause's timer to cancel. An envelope
    /// that could not be encoded (a 500) has none: its record is written after the save.
    pub(super) fn recorded(
        &self,
        r: &ExecutionRecord,
        reply: Reply,
        timer: Option<(String, u64)>,
        cancel: Option<String>,
    ) -> Recorded {
        let pending = (reply.status == 200).then(|| {
            let doc: Arc<dyn ExecutionDoc> = Arc::new(Saved::new(r, reply.body.clone()));
            Pending {
                id: r.envelope.execution_id.clone(),
                doc,
                token: r.envelope.wait_token().map(str::to_string),
                ttl_secs: self.retention(),
                timer,
                cancel,
            }
        });
        Recorded { reply, pending }
    }

    /// Whether the session's save wrote the execution's record (else the caller does).
    pub(super) fn saved_with_session(&self, r: &Recorded) -> bool {
        r.pending.is_some() && self.stores.sessions.saves_executions()
    }

    /// Makes a turn the execution's envelope (its status and metadata: the blocks, expected
    /// input and token usage are encoded from the turn, by `envelope_reply`); a pause gets a
    /// new wait token (saved with the record) and the time its session expires, a paused Wait
    /// block a timer (returned, to be scheduled once the record is saved).
    pub(super) fn apply_turn(
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

    pub(super) async fn schedule(&self, timer: Option<(String, u64)>) -> Result<(), ServiceError> {
        if let Some((id, due)) = timer {
            self.stores.timers.timer_schedule(&id, due).await?;
        }
        Ok(())
    }
}

/// An engine turn's answer, with the execution's record its save writes.
pub(super) struct Recorded {
    pub reply: Reply,
    pending: Option<Pending>,
}

/// An execution's record as the session's save writes it (see [`ExecutionWrite`]).
struct Pending {
    id: String,
    doc: Arc<dyn ExecutionDoc>,
    token: Option<String>,
    ttl_secs: u64,
    timer: Option<(String, u64)>,
    cancel: Option<String>,
}

impl Rendered for Recorded {
    fn reply(&self) -> Option<&Reply> {
        Some(&self.reply)
    }

    fn execution(&self) -> Option<ExecutionWrite<'_>> {
        self.pending.as_ref().map(|p| ExecutionWrite {
            id: &p.id,
            doc: &p.doc,
            token: p.token.as_deref(),
            ttl_secs: p.ttl_secs,
            timer: p.timer.as_ref().map(|(id, due)| (id.as_str(), *due)),
            cancel: p.cancel.as_deref(),
        })
    }
}

/// An envelope as the engine API answers it (and as its idempotent answer is stored): `env`
/// with the turn's blocks, expected input and token usage.
pub(super) fn envelope_reply(env: &Execution, turn: &TurnResult) -> Reply {
    match envelope::encode(env, &turn.flow, &turn.output) {
        Ok(body) => Reply { status: 200, body },
        // A 500 is not stored: the API renders the error itself.
        Err(e) => Reply {
            status: 500,
            body: e.to_string(),
        },
    }
}
