//! startChat, preview startChat and continueChat: resolve the bot, check the origin, run the
//! turn, save the session. Idempotency (`idempotency.rs`) wraps each call; what a turn writes to
//! its result, and clientLogs, live in `results.rs`.

use std::sync::Arc;

use chrono::Utc;
use serde_json::{Map, Value, json};

use super::response::{self, bot_object, turn_fields};
use super::results::{linked_result_updates, result_update};
use super::wire::{ContinueChatRequest, StartChatRequest, parse_body};
use super::{BotKey, ChatService, Reply, RequestCtx};
use crate::engine::{Message, SessionState, StartParams, TextFormat};
use crate::error::ApiError;
use crate::flow::CompiledFlow;
use crate::flow::settings::DEFAULT_BOT_CLOSED;
use crate::ids::{is_plausible_id, new_id};
use crate::session::Loaded;

impl ChatService {
    pub async fn start_chat(
        &self,
        public_id: &str,
        body: &[u8],
        ctx: &RequestCtx,
        key: BotKey,
    ) -> Reply {
        let scope = format!("start:{public_id}");
        // Boxed: the turn's future is large, and `idempotent` would otherwise hold it inline
        // (several times over) in every future up to the HTTP handler's, each moved on creation.
        let live = Box::pin(self.start_live(public_id, body, ctx, key));
        self.idempotent(&scope, ctx, live).await
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
            .filter(|f| !f.is_archived)
            .ok_or_else(ApiError::flow_not_found)?;
        if flow.is_closed {
            let message = flow.settings.bot_closed_message.clone();
            return Err(ApiError::new(
                400,
                "bot_closed",
                message.unwrap_or_else(|| DEFAULT_BOT_CLOSED.into()),
            ));
        }
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
        self.idempotent(
            &scope,
            ctx,
            Box::pin(async {
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
            }),
        )
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
        let (state, mut out) = self.engine.start(flow.clone(), params, result_id).await?;
        // Live starts first ask the embedding page to load the bot's trackers and head code.
        if let Some(props) = flow
            .start_props
            .as_ref()
            .filter(|_| !preview && !registering)
        {
            out.actions.insert(
                0,
                json!({"type": "startPropsToInject", "startPropsToInject": props}),
            );
        }
        let session_id = session_id.unwrap_or_else(new_id);
        let waiting = response::is_waiting(&out) || registering;
        let live = !preview && !registering;
        let update = live
            .then(|| result_update(&flow, &state, &out, None))
            .flatten();
        if waiting {
            let bytes = encode(&state)?;
            // The session and its result's first update are written together (one round trip
            // on single Redis).
            let retention = self.config.results_retention_secs;
            self.store
                .create_with_result(
                    &session_id,
                    bytes,
                    self.ttl(&flow),
                    update.as_ref().map(|u| (u, retention)),
                )
                .await?;
        } else {
            self.store.create_finished(&session_id).await?;
            self.record_all(update.into_iter()).await;
        }
        if live {
            self.record_all(linked_result_updates(&out).into_iter())
                .await;
        }
        let mut o = Map::new();
        o.insert("sessionId".into(), Value::String(session_id));
        if waiting
            && live
            && let Some(r) = state.result_id()
        {
            o.insert("resultId".into(), Value::String(r.to_string()));
        }
        o.insert(key.as_str().into(), bot_object(&flow, &out, live));
        if let Some(f) = &out.last_message_new_format {
            o.insert("lastMessageNewFormat".into(), Value::String(f.clone()));
        }
        turn_fields(&mut o, out, false, preview);
        Ok(Value::Object(o))
    }

    pub async fn continue_chat(&self, session_id: &str, body: &[u8], ctx: &RequestCtx) -> Reply {
        let scope = format!("continue:{session_id}");
        let live = Box::pin(self.continue_inner(session_id, body, ctx));
        self.idempotent(&scope, ctx, live).await
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
        // Only the variables a turn changes go to the result (it merges them).
        let vars_before = (!preview).then(|| state.root().vars.clone());
        let (state, out) = self.engine.resume(state, message, format).await?;
        let update = if preview {
            None
        } else {
            result_update(&root, &state, &out, vars_before.as_ref())
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
        if !preview {
            self.record_all(linked_result_updates(&out).into_iter())
                .await;
        }
        let mut o = Map::new();
        if let Some(f) = &out.last_message_new_format {
            o.insert("lastMessageNewFormat".into(), Value::String(f.clone()));
        }
        let walked = out.walked;
        turn_fields(&mut o, out, walked, preview);
        Ok(Value::Object(o))
    }

    fn ttl(&self, flow: &CompiledFlow) -> u64 {
        flow.settings
            .session_ttl_seconds
            .unwrap_or(self.config.session_ttl_secs)
            .max(1)
    }

    /// `allowedOrigins`: requests with an Origin header must come from an allowed origin (or
    /// from this server's own pages, embedded by an allowed origin). No Origin: server-to-server.
    pub(super) fn check_origin(
        &self,
        flow: &CompiledFlow,
        ctx: &RequestCtx,
    ) -> Result<(), ApiError> {
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
}

fn encode(state: &SessionState) -> Result<Vec<u8>, ApiError> {
    state
        .encode()
        .map_err(|e| ApiError::internal(format!("session could not be encoded: {e}")))
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
