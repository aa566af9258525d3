//! startChat, preview startChat, continueChat and clientLogs.

use std::sync::Arc;

use chrono::Utc;
use serde_json::{Map, Value, json};

use super::response::{self, bot_object, turn_fields};
use super::wire::{ClientLogsRequest, ContinueChatRequest, StartChatRequest, parse_body};
use super::{BotKey, ChatService, Reply, RequestCtx};
use crate::engine::{Message, SessionState, StartParams, TextFormat, TurnOutput};
use crate::error::ApiError;
use crate::flow::CompiledFlow;
use crate::ids::{is_plausible_id, new_id};
use crate::session::{Loaded, ResultUpdate, StoredResponse};

impl ChatService {
    /// Runs `f` once per Idempotency-Key: a retry with the same key and body gets the stored
    /// response; the same key with another body gets 409 `idempotency_conflict`.
    async fn idempotent(
        &self,
        scope: &str,
        ctx: &RequestCtx,
        f: impl Future<Output = Result<Value, ApiError>>,
    ) -> Reply {
        let Some(key) = ctx.idempotency_key.as_ref().map(|k| format!("{scope}:{k}")) else {
            return to_reply(f.await);
        };
        // Claim the key before running, so concurrent retries cannot all run the request.
        let pending = StoredResponse {
            fingerprint: ctx.fingerprint.clone(),
            status: PENDING,
            body: String::new(),
        };
        let claim_ttl = (self.config.turn_lease_ms / 1000).max(60);
        loop {
            match self.store.idempotency_put(&key, &pending, claim_ttl).await {
                Ok(true) => break,
                Ok(false) => {}
                Err(e) => return error_reply(&ApiError::from(e)),
            }
            match self.store.idempotency_get(&key).await {
                Ok(Some(stored)) if stored.fingerprint != ctx.fingerprint => {
                    return error_reply(&ApiError::idempotency_conflict());
                }
                Ok(Some(stored)) if stored.status == PENDING => {
                    return error_reply(&ApiError::request_in_progress());
                }
                Ok(Some(stored)) => {
                    return Reply {
                        status: stored.status,
                        body: stored.body,
                    };
                }
                // Expired between the two calls: claim again.
                Ok(None) => continue,
                Err(e) => return error_reply(&ApiError::from(e)),
            }
        }
        let reply = to_reply(f.await);
        // Transient failures (busy, unavailable, server errors) are not remembered: a retry
        // must be able to succeed.
        let outcome = if reply.status != 409 && reply.status < 500 {
            let stored = StoredResponse {
                fingerprint: ctx.fingerprint.clone(),
                status: reply.status,
                body: reply.body.clone(),
            };
            self.store
                .idempotency_replace(&key, &stored, self.config.idempotency_ttl_secs)
                .await
        } else {
            self.store.idempotency_release(&key).await
        };
        if let Err(e) = outcome {
            tracing::warn!(error = %e, "could not store idempotent response");
        }
        reply
    }

    pub async fn start_chat(
        &self,
        public_id: &str,
        body: &[u8],
        ctx: &RequestCtx,
        key: BotKey,
    ) -> Reply {
        let scope = format!("start:{public_id}");
        self.idempotent(&scope, ctx, self.start_live(public_id, body, ctx, key))
            .await
    }

    async fn start_live(
        &self,
        public_id: &str,
        body: &[u8],
        ctx: &RequestCtx,
        key: BotKey,
    ) -> Result<Value, ApiError> {
        let req: StartChatRequest = parse_body(body)?;
        let flow = self
            .registry
            .resolve(public_id)
            .await?
            .ok_or_else(ApiError::flow_not_found)?;
        self.check_origin(&flow, ctx)?;
        let mut prefilled = req.prefilled_variables.clone().unwrap_or_default();
        let result_id = self
            .resolve_result(&flow, req.result_id.as_deref(), &mut prefilled)
            .await?;
        let params = start_params(req, prefilled, false)?;
        self.start_session(flow, params, result_id, key, false, None)
            .await
    }

    /// Preview: a published bot by id, or an inline unpublished bot in the body; no results.
    pub async fn preview_start(&self, typebot_id: &str, body: &[u8], ctx: &RequestCtx) -> Reply {
        let scope = format!("preview:{typebot_id}");
        self.idempotent(&scope, ctx, async {
            let req: StartChatRequest = parse_body(body)?;
            let flow = match &req.typebot {
                Some(inline) => {
                    let mut inline = inline.clone();
                    if let Some(o) = inline.as_object_mut() {
                        o.entry("id")
                            .or_insert_with(|| Value::String(typebot_id.to_string()));
                    }
                    let text = inline.to_string();
                    let now = Utc::now().to_rfc3339();
                    let flow = crate::flow::load_str(&text, &now).map_err(|e| match e {
                        crate::flow::LoadError::Parse(m) => ApiError::bad_request(m),
                        crate::flow::LoadError::Compile(c) => {
                            ApiError::new(422, "flow_invalid", "The bot has errors")
                                .with_details(json!({"issues": c.issues}))
                        }
                    })?;
                    // Kept (unpublished) so the preview session can continue.
                    self.registry.stage(&text, flow.clone()).await?;
                    flow
                }
                None => self
                    .registry
                    .by_id(typebot_id)
                    .await?
                    .ok_or_else(ApiError::flow_not_found)?,
            };
            let session_id = req.session_id.clone().filter(|s| is_plausible_id(s));
            let params = start_params(req, Map::new(), true)?;
            self.start_session(flow, params, new_id(), BotKey::Typebot, true, session_id)
                .await
        })
        .await
    }

    async fn start_session(
        &self,
        flow: Arc<CompiledFlow>,
        params: StartParams,
        result_id: String,
        key: BotKey,
        preview: bool,
        session_id: Option<String>,
    ) -> Result<Value, ApiError> {
        let registering = params.only_registering;
        let (state, out) = self.engine.start(flow.clone(), params, result_id).await?;
        let session_id = session_id.unwrap_or_else(new_id);
        let waiting = response::is_waiting(&out) || registering;
        if waiting {
            let bytes = encode(&state)?;
            self.store
                .create(&session_id, bytes, self.ttl(&flow))
                .await?;
        } else {
            self.store.create_finished(&session_id).await?;
        }
        if !preview && !registering {
            self.record(&flow, &state, &out, true).await;
        }
        let mut o = Map::new();
        o.insert("sessionId".into(), Value::String(session_id));
        if waiting
            && !preview
            && !registering
            && let Some(r) = state.result_id()
        {
            o.insert("resultId".into(), Value::String(r.to_string()));
        }
        o.insert(
            key.as_str().into(),
            bot_object(&flow, &out, !preview && !registering),
        );
        if let Some(f) = &out.last_message_new_format {
            o.insert("lastMessageNewFormat".into(), Value::String(f.clone()));
        }
        turn_fields(&mut o, out, false, preview);
        Ok(Value::Object(o))
    }

    pub async fn continue_chat(&self, session_id: &str, body: &[u8], ctx: &RequestCtx) -> Reply {
        let scope = format!("continue:{session_id}");
        self.idempotent(&scope, ctx, self.continue_inner(session_id, body, ctx))
            .await
    }

    async fn continue_inner(
        &self,
        session_id: &str,
        body: &[u8],
        ctx: &RequestCtx,
    ) -> Result<Value, ApiError> {
        let req: ContinueChatRequest = parse_body(body)?;
        let message = req.message.map(|m| m.into_message()).transpose()?;
        let format: TextFormat = req
            .text_bubble_content_format
            .map(Into::into)
            .unwrap_or_default();
        if !is_plausible_id(session_id) {
            return Err(ApiError::session_not_found());
        }
        let leased = match self
            .store
            .begin_turn(session_id, self.config.turn_lease_ms)
            .await?
        {
            Loaded::Active(l) => l,
            Loaded::Missing => return Err(ApiError::session_not_found()),
            Loaded::Finished => return Err(ApiError::session_finished()),
            Loaded::Expired => return Err(ApiError::session_expired()),
        };
        let outcome = self
            .run_turn(session_id, &leased, message, format, ctx)
            .await;
        if outcome.is_err() {
            let _ = self.store.abort_turn(session_id, &leased).await;
        }
        outcome
    }

    async fn run_turn(
        &self,
        session_id: &str,
        leased: &crate::session::Leased,
        message: Option<Message>,
        format: TextFormat,
        ctx: &RequestCtx,
    ) -> Result<Value, ApiError> {
        let state = SessionState::decode(&leased.data)
            .map_err(|e| ApiError::internal(format!("stored session could not be read: {e}")))?;
        let root = {
            let r = &state.root().flow;
            self.registry.revision(&r.id, &r.rev, "").await?
        }
        .ok_or_else(|| ApiError::from(crate::engine::EngineError::FlowGone))?;
        self.check_origin(&root, ctx)?;
        let preview = state.preview;
        let vars_before = vars_digest(&state);
        let (state, out) = self.engine.resume(state, message, format).await?;
        let vars_changed = vars_digest(&state) != vars_before;
        let update = if preview {
            None
        } else {
            result_update(&root, &state, &out, vars_changed)
        };
        let data = if response::is_waiting(&out) {
            Some(encode(&state)?)
        } else {
            None
        };
        let retention = self.config.results_retention_secs;
        // The session and its result are saved together (one round trip on single Redis).
        self.store
            .save_turn(
                session_id,
                data,
                leased,
                self.ttl(&root),
                update.as_ref().map(|u| (u, retention)),
            )
            .await?;
        let mut o = Map::new();
        if let Some(f) = &out.last_message_new_format {
            o.insert("lastMessageNewFormat".into(), Value::String(f.clone()));
        }
        let walked = out.walked;
        turn_fields(&mut o, out, walked, preview);
        Ok(Value::Object(o))
    }

    /// Saves client-side logs on the session's result.
    pub async fn client_logs(&self, session_id: &str, body: &[u8]) -> Result<Value, ApiError> {
        let req: ClientLogsRequest = parse_body(body)?;
        let leased = match self.store.begin_turn(session_id, 2_000).await? {
            Loaded::Active(l) => l,
            _ => return Err(ApiError::session_not_found()),
        };
        let state = SessionState::decode(&leased.data);
        let _ = self.store.abort_turn(session_id, &leased).await;
        let state = state
            .map_err(|e| ApiError::internal(format!("stored session could not be read: {e}")))?;
        let Some(result_id) = state.result_id() else {
            return Err(ApiError::new(404, "result_not_found", "Result not found."));
        };
        let logs: Vec<Value> = req
            .client_logs
            .iter()
            .map(|l| {
                let mut v = serde_json::to_value(l).unwrap_or(Value::Null);
                if let Some(d) = v.get_mut("details")
                    && d.to_string().len() > 4096
                {
                    *d = Value::String(d.to_string().chars().take(4096).collect());
                }
                v
            })
            .collect();
        let update = ResultUpdate {
            flow_id: state.root().flow.id.clone(),
            result_id: result_id.to_string(),
            at: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            answers: Vec::new(),
            variables: Map::new(),
            logs,
            completed: false,
        };
        self.store
            .record_result(&update, self.config.results_retention_secs)
            .await?;
        Ok(json!({"message": "Logs successfully saved."}))
    }

    fn ttl(&self, flow: &CompiledFlow) -> u64 {
        flow.settings
            .session_ttl_seconds
            .unwrap_or(self.config.session_ttl_secs)
            .max(1)
    }

    /// `allowedOrigins`: requests with an Origin header must come from an allowed origin (or
    /// from this server's own pages, embedded by an allowed origin). No Origin: server-to-server.
    fn check_origin(&self, flow: &CompiledFlow, ctx: &RequestCtx) -> Result<(), ApiError> {
        let allowed = &flow.settings.allowed_origins;
        let Some(origin) = &ctx.origin else {
            return Ok(());
        };
        if allowed.is_empty()
            || allowed
                .iter()
                .any(|a| a.trim_end_matches('/') == origin.trim_end_matches('/'))
        {
            return Ok(());
        }
        let own = self
            .config
            .viewer_urls
            .iter()
            .any(|v| v.trim_end_matches('/') == origin.trim_end_matches('/'));
        let via_iframe = ctx.iframe_referrer_origin.as_ref().is_some_and(|r| {
            allowed
                .iter()
                .any(|a| a.trim_end_matches('/') == r.trim_end_matches('/'))
        });
        if own && via_iframe {
            Ok(())
        } else {
            Err(ApiError::origin_not_allowed())
        }
    }

    /// Remember-user: reuse an existing result of this bot (its variables prefill the new
    /// session); otherwise a fresh result id. A result of another bot is never reused.
    async fn resolve_result(
        &self,
        flow: &CompiledFlow,
        requested: Option<&str>,
        prefilled: &mut Map<String, Value>,
    ) -> Result<String, ApiError> {
        if let Some(rid) = requested.filter(|_| flow.settings.remember_user)
            && let Some(existing) = self.store.get_result(&flow.id, rid).await?
        {
            for (k, v) in existing.variables {
                prefilled.entry(k).or_insert(v);
            }
            return Ok(existing.id);
        }
        Ok(new_id())
    }

    async fn record(
        &self,
        flow: &CompiledFlow,
        state: &SessionState,
        out: &TurnOutput,
        changed: bool,
    ) {
        let Some(update) = result_update(flow, state, out, changed) else {
            return;
        };
        if let Err(e) = self
            .store
            .record_result(&update, self.config.results_retention_secs)
            .await
        {
            tracing::warn!(error = %e, result = %update.result_id, "could not record result");
        }
    }
}

/// What a turn adds to the session's result; None when the turn changed nothing a result holds
/// (no answer, no log, no variable change, not finished) or the session has no result.
fn result_update(
    flow: &CompiledFlow,
    state: &SessionState,
    out: &TurnOutput,
    changed: bool,
) -> Option<ResultUpdate> {
    let result_id = state.result_id()?;
    let completed = !response::is_waiting(out);
    if !changed && out.answers.is_empty() && out.logs.is_empty() && !completed {
        return None;
    }
    let root = state.root();
    let mut variables = Map::new();
    for d in flow.variables.iter().filter(|d| !d.is_session) {
        if let Some(v) = root.vars.get(&d.id) {
            variables.insert(d.name.clone(), v.to_json());
        }
    }
    Some(ResultUpdate {
        flow_id: flow.id.clone(),
        result_id: result_id.to_string(),
        at: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        answers: out.answers.clone(),
        variables,
        logs: out
            .logs
            .iter()
            .filter_map(|l| serde_json::to_value(l).ok())
            .collect(),
        completed,
    })
}

fn encode(state: &SessionState) -> Result<Vec<u8>, ApiError> {
    state
        .encode()
        .map_err(|e| ApiError::internal(format!("session could not be encoded: {e}")))
}

/// A cheap digest of the root frame's variables, to tell whether a turn changed any.
fn vars_digest(state: &SessionState) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    state.root().vars.hash(&mut h);
    h.finish()
}

/// Status of a claimed key whose request is still running.
const PENDING: u16 = 0;

fn to_reply(r: Result<Value, ApiError>) -> Reply {
    match r {
        Ok(v) => Reply {
            status: 200,
            body: v.to_string(),
        },
        Err(e) => error_reply(&e),
    }
}

fn error_reply(e: &ApiError) -> Reply {
    Reply {
        status: e.status,
        body: e.body().to_string(),
    }
}

fn start_params(
    req: StartChatRequest,
    prefilled: Map<String, Value>,
    preview: bool,
) -> Result<StartParams, ApiError> {
    let message = req.message.map(|m| m.into_message()).transpose()?;
    let mut prefilled = prefilled;
    if let Some(p) = req.prefilled_variables {
        for (k, v) in p {
            prefilled.insert(k, v);
        }
    }
    Ok(StartParams {
        message,
        prefilled,
        result_id: req.result_id,
        stream: req.is_stream_enabled,
        preview,
        only_registering: req.is_only_registering,
        start_from: if preview {
            req.start_from.map(Into::into)
        } else {
            None
        },
        format: req
            .text_bubble_content_format
            .map(Into::into)
            .unwrap_or_default(),
    })
}
