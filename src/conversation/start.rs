//! Starting a conversation: resolve the bot (published, or a preview), check it may start,
//! run its first turn, create the session with its result's first update.

use std::sync::Arc;

use chrono::Utc;
use serde_json::Value;

use tracing::Instrument;

use super::results::{linked_result_updates, result_update};
use super::triggers::EventTurn;
use super::{
    Caller, Claim, Conversations, FlowChoice, Reply, ServiceError, StartOptions, TurnResult,
    is_waiting,
};
use crate::engine::{StartParams, TurnStatus};
use crate::flow::CompiledFlow;
use crate::flow::settings::DEFAULT_BOT_CLOSED;
use crate::ids::{is_plausible_id, new_id};
use crate::store::{ExecutionWrite, TurnWrites};

/// What a start turn gives its caller: the turn itself, or its reply, rendered before the
/// session is created so that the creation stores it as the key's answer.
pub(super) trait Rendered {
    fn reply(&self) -> Option<&Reply>;
    /// The engine API's execution record, written by the turn's save (see
    /// [`TurnWrites::execution`]).
    fn execution(&self) -> Option<ExecutionWrite<'_>> {
        None
    }
}

impl Rendered for TurnResult {
    fn reply(&self) -> Option<&Reply> {
        None
    }
}

impl Rendered for Reply {
    fn reply(&self) -> Option<&Reply> {
        Some(self)
    }
}

impl Conversations {
    /// Starts a conversation on a bot and runs its first turn (counted for the caller's
    /// surface).
    pub async fn start(
        &self,
        choice: FlowChoice,
        opts: StartOptions,
        caller: &Caller,
    ) -> Result<TurnResult, ServiceError> {
        self.start_with(choice, opts, caller, None, |t| t).await
    }

    /// Starts as `start`, rendering the turn with `render` before its session is created:
    /// with a claim, the creation stores the rendered reply as the key's answer, atomically
    /// (so a start is never applied without its answer, nor by a request that lost its claim).
    pub async fn start_rendered(
        &self,
        choice: FlowChoice,
        opts: StartOptions,
        caller: &Caller,
        claim: Option<&Claim>,
        render: impl FnOnce(TurnResult) -> Reply,
    ) -> Result<Reply, ServiceError> {
        self.start_with(choice, opts, caller, claim, render).await
    }

    /// `start` or `start_rendered` (counted for the caller's surface).
    pub(super) async fn start_with<R: Rendered>(
        &self,
        choice: FlowChoice,
        opts: StartOptions,
        caller: &Caller,
        claim: Option<&Claim>,
        render: impl FnOnce(TurnResult) -> R,
    ) -> Result<R, ServiceError> {
        let started = std::time::Instant::now();
        let r = self.start_turn(choice, opts, caller, claim, render).await;
        let status = r.as_ref().ok().map(|(_, s)| *s);
        super::metrics::record_status(caller.surface, started, status);
        r.map(|(rendered, _)| rendered)
    }

    async fn start_turn<R: Rendered>(
        &self,
        choice: FlowChoice,
        mut opts: StartOptions,
        caller: &Caller,
        claim: Option<&Claim>,
        render: impl FnOnce(TurnResult) -> R,
    ) -> Result<(R, TurnStatus), ServiceError> {
        match choice {
            FlowChoice::Published(key) => {
                let published = self
                    .registry
                    .resolve(&key)
                    .await?
                    .filter(|p| !p.flow.is_archived)
                    .ok_or(ServiceError::FlowNotFound)?;
                let flow = published.flow;
                if flow.is_closed {
                    let message = flow.settings.bot_closed_message.clone();
                    return Err(ServiceError::BotClosed(
                        message.unwrap_or_else(|| DEFAULT_BOT_CLOSED.into()),
                    ));
                }
                self.check_origin(&flow, caller)?;
                // Only previews may choose their start or their session id.
                opts.start_from = None;
                opts.session_id = None;
                let result_id = self.resolve_result(&flow, &mut opts).await?;
                let start = NewSession {
                    result_id,
                    preview: false,
                    published_at: Some(published.published_at),
                    event: None,
                    claim,
                };
                self.start_session_rendered(flow, opts, start, render).await
            }
            FlowChoice::Preview { id, inline } => {
                let flow = match inline {
                    Some(inline) => self.stage_inline(&id, inline).await?,
                    None => {
                        self.registry
                            .by_id(&id)
                            .await?
                            .ok_or(ServiceError::FlowNotFound)?
                            .flow
                    }
                };
                opts.session_id = opts.session_id.filter(|s| is_plausible_id(s));
                let start = NewSession {
                    result_id: new_id(),
                    preview: true,
                    published_at: None,
                    event: None,
                    claim,
                };
                self.start_session_rendered(flow, opts, start, render).await
            }
        }
    }

    /// Compiles an inline preview bot and keeps it (unpublished) so its session can continue on
    /// any instance.
    async fn stage_inline(
        &self,
        id: &str,
        mut inline: Value,
    ) -> Result<Arc<CompiledFlow>, ServiceError> {
        if let Some(o) = inline.as_object_mut() {
            o.entry("id")
                .or_insert_with(|| Value::String(id.to_string()));
        }
        let text = inline.to_string();
        let flow = crate::flow::load_str(&text).map_err(|e| match e {
            crate::flow::LoadError::Parse(m) => ServiceError::InvalidInput(m),
            crate::flow::LoadError::Compile(c) => ServiceError::FlowInvalid(c.issues),
        })?;
        self.registry.stage(&text, flow.clone()).await?;
        Ok(flow)
    }

    /// Runs a start turn and creates its session. With `event` (a trigger event's turn), the
    /// session carries the event's mark and TTL, the turn is journaled before the save, and
    /// the transcript is left to the event's completion.
    pub(super) async fn start_session(
        &self,
        flow: Arc<CompiledFlow>,
        opts: StartOptions,
        result_id: String,
        preview: bool,
        event: Option<&EventTurn<'_>>,
    ) -> Result<TurnResult, ServiceError> {
        let start = NewSession {
            result_id,
            preview,
            published_at: None,
            event,
            claim: None,
        };
        let (turn, _) = self
            .start_session_rendered(flow, opts, start, |t| t)
            .await?;
        Ok(turn)
    }

    /// `start_session`, the turn rendered with `render` before the session is created (with
    /// the answer of the start's claim, when it renders a reply).
    async fn start_session_rendered<R: Rendered>(
        &self,
        flow: Arc<CompiledFlow>,
        opts: StartOptions,
        start: NewSession<'_>,
        render: impl FnOnce(TurnResult) -> R,
    ) -> Result<(R, TurnStatus), ServiceError> {
        let NewSession {
            result_id,
            preview,
            published_at,
            event,
            claim,
        } = start;
        let registering = opts.only_registering;
        // Under a claim, the session is named after it: see `Claim::session_id`.
        let hint = claim.and_then(Claim::session_id);
        let session_id = opts.session_id.or(hint).unwrap_or_else(new_id);
        let reply = opts.message.as_ref().map(super::transcript::reply_text);
        let params = StartParams {
            message: opts.message,
            prefilled: opts.prefilled,
            result_id: opts.result_id,
            stream: opts.stream,
            preview,
            only_registering: registering,
            start_from: opts.start_from,
            format: opts.format,
        };
        let span = crate::telemetry::turn_span(&flow.id, &session_id, &flow.revision);
        let (state, out) = self
            .engine
            .start(flow.clone(), params, result_id)
            .instrument(span.clone())
            .await?;
        crate::telemetry::record_blocks(&span, out.steps);
        let waiting = is_waiting(&out) || registering;
        let live = !preview && !registering;
        let update = live
            .then(|| result_update(&flow, &state, &out, None))
            .flatten();
        let sessions = &self.stores.sessions;
        // An event's transcript is written by its completion, from the journal.
        let transcript =
            (live && event.is_none()).then(|| self.transcript_of(reply.as_deref(), &out));
        let mark = match event {
            Some(ev) => {
                ev.journal(reply.as_deref(), &out).await?;
                ev.seq
            }
            None => 0,
        };
        let ttl = event
            .and_then(|e| e.ttl_secs)
            .unwrap_or_else(|| self.ttl(&flow));
        let bytes = waiting.then(|| super::encode(&state)).transpose()?;
        let linked = live.then(|| linked_result_updates(&out));
        let status = out.status;
        let result_id = (waiting && live)
            .then(|| state.result_id().map(str::to_string))
            .flatten();
        let rendered = render(TurnResult {
            session_id: session_id.clone(),
            result_id,
            flow,
            published_at,
            output: out,
            preview,
            registered_only: registering,
        });
        let stored = super::idempotency::answer_of(claim, rendered.reply());
        let answer = stored.as_ref().map(|(c, a)| c.write(a));
        let execution = rendered.execution();
        if let Some(bytes) = bytes {
            // The session, its result's first update and its transcript are written together
            // (one round trip on single Redis), with the answer when given.
            let retention = self.config.results_retention_secs;
            let writes = TurnWrites {
                result: update.as_ref().map(|u| (u, retention)),
                transcript: transcript.as_ref(),
                answer,
                execution,
            };
            if event.is_some() || answer.is_some() {
                sessions
                    .create_marked(&session_id, bytes, ttl, writes, mark)
                    .await?;
            } else {
                sessions
                    .create_with_result(&session_id, bytes, ttl, writes)
                    .await?;
            }
        } else {
            sessions
                .create_finished_answered(&session_id, mark, answer, execution)
                .await?;
            self.record_all(update.into_iter()).await;
            if let Some(t) = &transcript {
                self.record_transcript(&session_id, t).await;
            }
        }
        if let Some(linked) = linked {
            self.record_all(linked.into_iter()).await;
        }
        Ok((rendered, status))
    }
}

/// How a start turn's session is created: its result, whether it is a preview, when its bot
/// was published, the trigger event it runs for, the idempotency claim it answers under.
pub(super) struct NewSession<'a> {
    result_id: String,
    preview: bool,
    published_at: Option<String>,
    event: Option<&'a EventTurn<'a>>,
    claim: Option<&'a Claim>,
}

/// The time results record (RFC 3339, milliseconds).
pub(super) fn now() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
