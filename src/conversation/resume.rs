//! Resuming a conversation: lease the session, run the turn on the revision it started on,
//! save it with its result update (or give the lease back when the turn failed).

use tracing::Instrument;

use super::results::{linked_result_updates, result_update};
use super::triggers::EventTurn;
use super::{Caller, Conversations, ServiceError, TurnResult, is_waiting};
use crate::engine::{Message, SessionState, TextFormat};
use crate::ids::is_plausible_id;
use crate::store::{Leased, Loaded, TurnWrites};

impl Conversations {
    /// Applies a reply (or none: a skip, a client action's report) to a session and runs on
    /// (counted for the caller's surface).
    pub async fn resume(
        &self,
        session_id: &str,
        message: Option<Message>,
        format: TextFormat,
        caller: &Caller,
    ) -> Result<TurnResult, ServiceError> {
        let started = std::time::Instant::now();
        let r = self.resume_turn(session_id, message, format, caller).await;
        super::metrics::record(caller.surface, started, &r);
        r
    }

    async fn resume_turn(
        &self,
        session_id: &str,
        message: Option<Message>,
        format: TextFormat,
        caller: &Caller,
    ) -> Result<TurnResult, ServiceError> {
        if !is_plausible_id(session_id) {
            return Err(ServiceError::SessionMissing);
        }
        let sessions = &self.stores.sessions;
        let leased = match sessions
            .begin_turn(session_id, self.config.turn_lease_ms)
            .await?
        {
            Loaded::Active(l) => l,
            Loaded::Missing => return Err(ServiceError::SessionMissing),
            Loaded::Finished => return Err(ServiceError::Finished),
            Loaded::Expired => return Err(ServiceError::Expired),
        };
        let outcome = self
            .run_turn(session_id, &leased, message, format, caller, None)
            .await;
        if outcome.is_err() {
            let _ = sessions.abort_turn(session_id, &leased).await;
        }
        outcome
    }

    /// Runs a turn on a leased session and saves it. With `event` (a trigger event's turn),
    /// the save carries the event's mark and TTL, the turn is journaled before the save, and
    /// the transcript is left to the event's completion.
    pub(super) async fn run_turn(
        &self,
        session_id: &str,
        leased: &Leased,
        message: Option<Message>,
        format: TextFormat,
        caller: &Caller,
        event: Option<&EventTurn<'_>>,
    ) -> Result<TurnResult, ServiceError> {
        let state = decode(&leased.data)?;
        let reply = message.as_ref().map(super::transcript::reply_text);
        let root = {
            let r = &state.root().flow;
            self.registry.revision(&r.id, &r.rev).await?
        }
        .ok_or(ServiceError::Engine(crate::engine::EngineError::FlowGone))?;
        self.check_origin(&root, caller)?;
        let preview = state.preview;
        // Only the variables a turn changes go to the result (it merges them).
        let vars_before = (!preview).then(|| state.root().vars.clone());
        let span = crate::telemetry::turn_span(&root.id, session_id, &root.revision);
        let (state, out) = self
            .engine
            .resume_on(state, root.clone(), message, format)
            .instrument(span.clone())
            .await?;
        crate::telemetry::record_blocks(&span, out.steps);
        let update = if preview {
            None
        } else {
            result_update(&root, &state, &out, vars_before.as_ref())
        };
        let data = if is_waiting(&out) {
            Some(state.encode().map_err(|e| {
                ServiceError::Internal(format!("session could not be encoded: {e}"))
            })?)
        } else {
            None
        };
        let retention = self.config.results_retention_secs;
        let marked;
        let (leased, ttl) = match event {
            Some(ev) => {
                ev.journal(reply.as_deref(), &out).await?;
                marked = Leased {
                    mark: ev.seq,
                    ..leased.clone()
                };
                (&marked, ev.ttl_secs.unwrap_or_else(|| self.ttl(&root)))
            }
            None => (leased, self.ttl(&root)),
        };
        // The session, its result and its transcript are saved together (one round trip on
        // single Redis). An event's transcript is written by its completion, from the journal.
        let transcript =
            (!preview && event.is_none()).then(|| self.transcript_of(reply.as_deref(), &out));
        let writes = TurnWrites {
            result: update.as_ref().map(|u| (u, retention)),
            transcript: transcript.as_ref(),
        };
        self.stores
            .sessions
            .save_turn(session_id, data, leased, ttl, writes)
            .await?;
        if !preview {
            self.record_all(linked_result_updates(&out).into_iter())
                .await;
        }
        Ok(TurnResult {
            session_id: session_id.to_string(),
            result_id: None,
            flow: root,
            published_at: None,
            output: out,
            preview,
            registered_only: false,
        })
    }
}

/// A stored session's state.
pub(super) fn decode(data: &[u8]) -> Result<SessionState, ServiceError> {
    SessionState::decode(data)
        .map_err(|e| ServiceError::Internal(format!("stored session could not be read: {e}")))
}
