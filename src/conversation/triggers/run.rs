//! Running one trigger event in its session: a live session takes the text as the reply to
//! its current input; an unknown, expired or finished one starts the bot anew with that id
//! (the text as its first reply, the contact's fields as declared variables).
//!
//! The effect is saved once: the run carries the event's sequence (`EventTurn::seq`), which
//! the session save writes with the session itself ([`crate::store::Leased::mark`]), and the
//! run's transcript entries and reply are journaled on the event just before that save, so
//! a worker that finds the mark already there completes the event from the journal instead
//! of running it again.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::super::transcript::turn_entries;
use super::super::{Caller, Conversations, ServiceError, StartOptions, TurnResult};
use crate::engine::{Message, TextFormat, TurnOutput, TurnStatus};
use crate::flow::settings::DEFAULT_BOT_CLOSED;
use crate::store::{EventStore, Leased, Loaded, TranscriptMeta};

/// What a run computed, journaled on the event before its session is saved.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Journal {
    pub entries: Vec<String>,
    pub meta: TranscriptMeta,
    /// `{"messages", "input"}` in the Typebot chat API's shapes.
    pub reply: Value,
    /// Why the turn failed (a looping bot), when it did.
    pub error: Option<String>,
}

impl Journal {
    pub fn status(&self) -> &'static str {
        if self.error.is_some() {
            "failed"
        } else {
            "done"
        }
    }
}

/// The trigger-event side of a turn (see the module docs).
pub struct EventTurn<'a> {
    pub event_id: &'a str,
    /// The event's sequence: the session's mark once saved.
    pub seq: u64,
    /// The trigger's session TTL, when it sets one.
    pub ttl_secs: Option<u64>,
    pub store: &'a dyn EventStore,
    /// What was journaled (the completion writes it).
    pub written: std::sync::Mutex<Option<Journal>>,
}

impl EventTurn<'_> {
    /// Journals the turn on the event (before its session is saved).
    pub(in crate::conversation) async fn journal(
        &self,
        reply: Option<&str>,
        out: &TurnOutput,
    ) -> Result<(), ServiceError> {
        let (entries, meta) = turn_entries(reply, out);
        let error = (out.status == TurnStatus::Failed).then(|| {
            out.logs
                .iter()
                .rev()
                .find(|l| l.status == Some("error"))
                .map_or_else(|| "the turn failed".to_string(), |l| l.description.clone())
        });
        let journal = Journal {
            entries,
            meta,
            reply: serde_json::json!({
                "messages": out.messages,
                "input": out.input.clone().unwrap_or(Value::Null),
            }),
            error,
        };
        let json =
            serde_json::to_string(&journal).map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.store.event_journal(self.event_id, json).await?;
        if let Ok(mut w) = self.written.lock() {
            *w = Some(journal);
        }
        Ok(())
    }
}

impl Conversations {
    /// Runs an event's turn in `session` on the bot `flow_id` (see the module docs).
    pub(in crate::conversation) async fn run_event(
        &self,
        flow_id: &str,
        session: &str,
        message: Option<Message>,
        prefilled: Map<String, Value>,
        ev: &EventTurn<'_>,
    ) -> Result<TurnResult, ServiceError> {
        let sessions = &self.stores.sessions;
        match sessions
            .begin_turn(session, self.config.turn_lease_ms)
            .await?
        {
            Loaded::Active(leased) => {
                let outcome = async {
                    let state = super::super::resume::decode(&leased.data)?;
                    if state.root().flow.id != flow_id {
                        return Err(ServiceError::InvalidInput(
                            "the session belongs to another bot".into(),
                        ));
                    }
                    // The contact's fields set declared variables on a live session too.
                    let prefilled_leased;
                    let leased = if prefilled.is_empty() {
                        &leased
                    } else {
                        let root = self.root_revision(&state).await?;
                        let state = self.engine.prefill_live(state, root, &prefilled).await?;
                        let data = crate::conversation::encode(&state)?;
                        prefilled_leased = Leased {
                            data,
                            ..leased.clone()
                        };
                        &prefilled_leased
                    };
                    let caller = Caller::default();
                    self.run_turn(
                        session,
                        leased,
                        message,
                        TextFormat::default(),
                        &caller,
                        Some(ev),
                    )
                    .await
                }
                .await;
                if outcome.is_err() {
                    let _ = sessions.abort_turn(session, &leased).await;
                }
                outcome
            }
            Loaded::Missing | Loaded::Expired | Loaded::Finished => {
                let flow = self
                    .registry
                    .by_id(flow_id)
                    .await?
                    .filter(|p| !p.flow.is_archived)
                    .ok_or(ServiceError::FlowNotFound)?
                    .flow;
                if flow.is_closed {
                    let message = flow.settings.bot_closed_message.clone();
                    return Err(ServiceError::BotClosed(
                        message.unwrap_or_else(|| DEFAULT_BOT_CLOSED.into()),
                    ));
                }
                let mut opts = StartOptions {
                    message,
                    prefilled,
                    session_id: Some(session.to_string()),
                    ..StartOptions::default()
                };
                let result_id = self.resolve_result(&flow, &mut opts).await?;
                self.start_session(flow, opts, result_id, false, Some(ev))
                    .await
            }
        }
    }
}
