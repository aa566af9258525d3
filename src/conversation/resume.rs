//! Resuming a conversation: lease the session, run the turn on the revision it started on,
//! save it with its result update (or give the lease back when the turn failed).

use tracing::Instrument;

use super::results::{linked_result_updates, result_update};
use super::start::Rendered;
use super::triggers::EventTurn;
use super::{Caller, Claim, Conversations, Reply, ServiceError, TurnResult, is_waiting};
use crate::engine::{Message, SessionState, TextFormat, TurnStatus};
use crate::ids::is_plausible_id;
use crate::store::{
    AnswerWrite, ExecutionWrite, Leased, Loaded, ResultUpdate, TranscriptAppend, TurnWrites,
};

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
        self.resume_with(session_id, message, format, caller, None, |t| t)
            .await
    }

    /// Applies a reply as `resume`, rendering the turn with `render` before it is saved: with
    /// a claim, the save stores the rendered reply as the key's answer, atomically (so the turn
    /// is never applied without its answer, nor by a request that lost its claim).
    pub async fn resume_rendered(
        &self,
        session_id: &str,
        message: Option<Message>,
        format: TextFormat,
        caller: &Caller,
        claim: Option<&Claim>,
        render: impl FnOnce(TurnResult) -> Reply,
    ) -> Result<Reply, ServiceError> {
        self.resume_with(session_id, message, format, caller, claim, render)
            .await
    }

    /// `resume` or `resume_rendered`: leases the session, runs and saves the turn (the lease
    /// given back when it failed), counted for the caller's surface.
    pub(super) async fn resume_with<R: Rendered>(
        &self,
        session_id: &str,
        message: Option<Message>,
        format: TextFormat,
        caller: &Caller,
        claim: Option<&Claim>,
        render: impl FnOnce(TurnResult) -> R,
    ) -> Result<R, ServiceError> {
        let started = std::time::Instant::now();
        let outcome = match self.lease(session_id).await {
            Ok(leased) => {
                let turn = Turn {
                    session_id,
                    leased: &leased,
                    caller,
                    event: None,
                };
                let r = self.answer_turn(turn, message, format, claim, render).await;
                if r.is_err() {
                    self.give_back(session_id, &leased).await;
                }
                r
            }
            Err(e) => Err(e),
        };
        let status = outcome.as_ref().ok().map(|(_, s)| *s);
        super::metrics::record_status(caller.surface, started, status);
        outcome.map(|(rendered, _)| rendered)
    }

    /// Gives a turn's lease back (the turn failed). When the store fails too (it is down),
    /// the lease is given back again, in the background, until the store answers or the lease
    /// would have run out anyway: a retry once the store is back must not find the session
    /// busy for the rest of the lease.
    async fn give_back(&self, session_id: &str, leased: &Leased) {
        let sessions = &self.stores.sessions;
        if sessions.abort_turn(session_id, leased).await.is_ok() {
            return;
        }
        let (sessions, id, leased) = (sessions.clone(), session_id.to_string(), leased.clone());
        let until =
            std::time::Instant::now() + std::time::Duration::from_millis(self.config.turn_lease_ms);
        tokio::spawn(async move {
            while std::time::Instant::now() < until {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                if sessions.abort_turn(&id, &leased).await.is_ok() {
                    return;
                }
            }
        });
    }

    /// Leases a session for a turn.
    async fn lease(&self, session_id: &str) -> Result<Leased, ServiceError> {
        if !is_plausible_id(session_id) {
            return Err(ServiceError::SessionMissing);
        }
        match self
            .stores
            .sessions
            .begin_turn(session_id, self.config.turn_lease_ms)
            .await?
        {
            Loaded::Active(l) => Ok(l),
            Loaded::Missing => Err(ServiceError::SessionMissing),
            Loaded::Finished => Err(ServiceError::Finished),
            Loaded::Expired => Err(ServiceError::Expired),
        }
    }

    /// Runs a turn on a leased session and saves it, rendered with `render` before the save
    /// (with the answer of `claim`, when it renders a reply).
    async fn answer_turn<R: Rendered>(
        &self,
        turn: Turn<'_>,
        message: Option<Message>,
        format: TextFormat,
        claim: Option<&Claim>,
        render: impl FnOnce(TurnResult) -> R,
    ) -> Result<(R, TurnStatus), ServiceError> {
        let Turn {
            session_id,
            leased,
            caller,
            event,
        } = turn;
        let (prepared, result) = self
            .prepare_turn(session_id, leased, message, format, caller, event)
            .await?;
        let status = result.status();
        let linked = linked_result_updates(&result.output);
        let rendered = render(result);
        let stored = super::idempotency::answer_of(claim, rendered.reply());
        let answer = stored.as_ref().map(|(c, a)| c.write(a));
        let execution = rendered.execution();
        self.save_prepared(session_id, leased, prepared, (answer, execution), linked)
            .await?;
        Ok((rendered, status))
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
        let turn = Turn {
            session_id,
            leased,
            caller,
            event,
        };
        let (result, _) = self.answer_turn(turn, message, format, None, |t| t).await?;
        Ok(result)
    }

    /// Runs a turn: what its save writes, and what it produced.
    async fn prepare_turn(
        &self,
        session_id: &str,
        leased: &Leased,
        message: Option<Message>,
        format: TextFormat,
        caller: &Caller,
        event: Option<&EventTurn<'_>>,
    ) -> Result<(Prepared, TurnResult), ServiceError> {
        let state = decode(&leased.data)?;
        let reply = message.as_ref().map(super::transcript::reply_text);
        let root = self.root_revision(&state).await?;
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
            Some(super::encode(&state)?)
        } else {
            None
        };
        let (mark, ttl) = match event {
            Some(ev) => {
                ev.journal(reply.as_deref(), &out).await?;
                (Some(ev.seq), ev.ttl_secs.unwrap_or_else(|| self.ttl(&root)))
            }
            None => (None, self.ttl(&root)),
        };
        // An event's transcript is written by its completion, from the journal.
        let transcript =
            (!preview && event.is_none()).then(|| self.transcript_of(reply.as_deref(), &out));
        let turn = Prepared {
            data,
            ttl,
            mark,
            update,
            transcript,
            preview,
        };
        let result = TurnResult {
            session_id: session_id.to_string(),
            result_id: None,
            flow: root,
            published_at: None,
            output: out,
            preview,
            registered_only: false,
        };
        Ok((turn, result))
    }

    /// Saves a prepared turn: the session, its result and its transcript together (one round
    /// trip on single Redis), with the answer when given; then the linked bots' results.
    async fn save_prepared(
        &self,
        session_id: &str,
        leased: &Leased,
        turn: Prepared,
        (answer, execution): (Option<AnswerWrite<'_>>, Option<ExecutionWrite<'_>>),
        linked: Vec<ResultUpdate>,
    ) -> Result<(), ServiceError> {
        let retention = self.config.results_retention_secs;
        let marked;
        let leased = match turn.mark {
            Some(mark) => {
                marked = Leased {
                    mark,
                    ..leased.clone()
                };
                &marked
            }
            None => leased,
        };
        let writes = TurnWrites {
            result: turn.update.as_ref().map(|u| (u, retention)),
            transcript: turn.transcript.as_ref(),
            answer,
            execution,
        };
        self.stores
            .sessions
            .save_turn(session_id, turn.data, leased, turn.ttl, writes)
            .await?;
        if !turn.preview {
            self.record_all(linked.into_iter()).await;
        }
        Ok(())
    }
}

/// The turn being run: its session, leased, its caller, the trigger event it runs for.
struct Turn<'a> {
    session_id: &'a str,
    leased: &'a Leased,
    caller: &'a Caller,
    event: Option<&'a EventTurn<'a>>,
}

/// A turn run and not yet saved.
struct Prepared {
    /// The new state (None: the session finished).
    data: Option<Vec<u8>>,
    ttl: u64,
    /// A trigger event's sequence, saved as the session's mark.
    mark: Option<u64>,
    update: Option<ResultUpdate>,
    transcript: Option<TranscriptAppend>,
    preview: bool,
}

impl Conversations {
    /// The compiled revision a session's root flow started on (FlowGone once it is deleted).
    pub(super) async fn root_revision(
        &self,
        state: &SessionState,
    ) -> Result<std::sync::Arc<crate::flow::CompiledFlow>, ServiceError> {
        let r = &state.root().flow;
        self.registry
            .revision(&r.id, &r.rev)
            .await?
            .ok_or(ServiceError::Engine(crate::engine::EngineError::FlowGone))
    }
}

/// A stored session's state.
pub(super) fn decode(data: &[u8]) -> Result<SessionState, ServiceError> {
    SessionState::decode(data)
        .map_err(|e| ServiceError::Internal(format!("stored session could not be read: {e}")))
}
