//! The Typebot chat API, an adapter over the conversation core: startChat (typebot and mozbot
//! routes), preview startChat, continueChat, clientLogs. It parses Typebot's request bodies
//! (`wire`), calls [`Conversations`], and shapes Typebot's responses (`shape`).

mod shape;
mod stream;
pub mod wire;

pub(crate) use shape::start_response;
use std::pin::Pin;
pub use stream::stream_message;

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use super::body::{parse_body, read_body};
use super::error::ApiError;
use super::{AppState, auth, identity, json_reply};
use crate::conversation::{
    Caller, Claim, Conversations, FlowChoice, IdempotencyKey, Reply, ServiceError, StartOptions,
};
use wire::{ClientLogsRequest, ContinueChatRequest, StartChatRequest};

/// Which key the bot object uses in start responses (`typebot`, or `mozbot` on the Mozbot
/// routes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BotKey {
    Typebot,
    Mozbot,
}

impl BotKey {
    pub fn as_str(self) -> &'static str {
        match self {
            BotKey::Typebot => "typebot",
            BotKey::Mozbot => "mozbot",
        }
    }
}

fn header(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .filter(|s| !s.is_empty())
}

/// The caller (for the bot's allowed origins) and the idempotency key of a request.
pub(crate) fn request_facts(
    req: &HttpRequest,
    body: &[u8],
) -> Result<(Caller, Option<IdempotencyKey>), ApiError> {
    let key = header(req, "idempotency-key");
    if key.as_ref().is_some_and(|k| k.len() > 255) {
        return Err(ApiError::bad_request(
            "Idempotency-Key: at most 255 characters",
        ));
    }
    let origin = header(req, "origin");
    // The Origin is part of the request: a key reused from another origin is a conflict,
    // never a replay of someone else's session.
    let key = key.map(|k| {
        let path = format!("{}\n{}", req.path(), origin.as_deref().unwrap_or_default());
        IdempotencyKey::new(k, req.method().as_str(), &path, body)
    });
    let caller = Caller {
        origin,
        iframe_referrer_origin: header(req, "x-typebot-iframe-referrer-origin"),
        surface: crate::conversation::Surface::ChatApi,
    };
    Ok((caller, key))
}

/// A JSON reply from a result, written into a buffer sized for a typical turn.
fn render(r: Result<Value, ApiError>) -> Reply {
    match r {
        Ok(v) => {
            let mut buf = Vec::with_capacity(2048);
            // serde_json's writer, not `Display` (which goes through `fmt` and cost about twice
            // as much under load).
            let body = serde_json::to_writer(&mut buf, &v)
                .map_err(|e| e.to_string())
                .and_then(|()| String::from_utf8(buf).map_err(|e| e.to_string()));
            match body {
                Ok(body) => Reply { status: 200, body },
                Err(e) => render_api_error(&ApiError::internal(format!(
                    "response could not be encoded: {e}"
                ))),
            }
        }
        Err(e) => render_api_error(&e),
    }
}

fn render_api_error(e: &ApiError) -> Reply {
    Reply {
        status: e.status(),
        body: e.body().to_string(),
    }
}

fn render_error(e: ServiceError) -> Reply {
    render_api_error(&ApiError::from(e))
}

/// A chat call that renders its reply itself, before its save: given the key's claim, the
/// save stores that reply as the key's answer, with the session, atomically. Boxed where it
/// is created: a turn's future is large (the engine's inline), and every move of an unboxed
/// future copies all of it (an unboxed call passed down here cost about 15,000 instructions
/// per request in memcpy, measured with scripts/instr-count.sh).
pub(crate) type Claimed<'a> = Pin<Box<dyn Future<Output = Result<Reply, ApiError>> + 'a>>;

/// Runs a claimed chat call under its idempotency key and answers its reply.
pub(crate) async fn answer_claimed<'a>(
    core: &Conversations,
    scope: String,
    key: Option<IdempotencyKey>,
    call: impl FnOnce(Option<Claim>) -> Claimed<'a>,
) -> HttpResponse {
    let run = |claim| async { call(claim).await.unwrap_or_else(|e| render_api_error(&e)) };
    let reply = core
        .idempotent_with(&scope, key.as_ref(), run, render_error)
        .await;
    json_reply(reply.status, reply.body)
}

/// A JSON value, rendered as a 200 reply.
pub(crate) fn render_value(v: Value) -> Reply {
    render(Ok(v))
}

/// A start response, rendered as its reply.
pub(crate) fn render_start(turn: crate::conversation::TurnResult, key: BotKey) -> Reply {
    render(Ok(shape::start_response(turn, key)))
}

/// The start options a startChat body asks for (preview-only fields are dropped by the core
/// on published bots).
pub(crate) fn start_options(req: StartChatRequest) -> Result<StartOptions, ApiError> {
    Ok(StartOptions {
        message: req.message.map(|m| m.into_message()).transpose()?,
        prefilled: req.prefilled_variables.unwrap_or_default(),
        result_id: req.result_id,
        stream: req.is_stream_enabled,
        only_registering: req.is_only_registering,
        start_from: req.start_from.map(Into::into),
        format: req
            .text_bubble_content_format
            .map(Into::into)
            .unwrap_or_default(),
        session_id: req.session_id,
    })
}

pub async fn start(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    public_id: &str,
    key: BotKey,
) -> Result<HttpResponse, ApiError> {
    let body = read_body(payload, req, state.max_body_bytes).await?;
    let (caller, idem) = request_facts(req, &body)?;
    let core = &state.conversations;
    let call = |claim: Option<Claim>| -> Claimed<'_> {
        Box::pin(async move {
            let opts = start_options(parse_body(&body)?)?;
            identity::check(req, state.identity_secret.as_deref(), &opts.prefilled)?;
            let choice = FlowChoice::Published(public_id.to_string());
            let render = |turn| render_start(turn, key);
            Ok(core
                .start_rendered(choice, opts, &caller, claim.as_ref(), render)
                .await?)
        })
    };
    Ok(answer_claimed(core, format!("start:{public_id}"), idem, call).await)
}

/// Preview: a published bot by id, or an inline unpublished bot in the body; no results.
pub async fn preview_start(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    id: &str,
) -> Result<HttpResponse, ApiError> {
    auth::require_token(req, state.api_token.as_deref())?;
    let body = read_body(payload, req, state.max_body_bytes).await?;
    let (caller, idem) = request_facts(req, &body)?;
    let core = &state.conversations;
    let call = |claim: Option<Claim>| -> Claimed<'_> {
        Box::pin(async move {
            let mut parsed: StartChatRequest = parse_body(&body)?;
            let inline = parsed.typebot.take();
            let choice = FlowChoice::Preview {
                id: id.to_string(),
                inline,
            };
            let opts = start_options(parsed)?;
            let render = |turn| render_start(turn, BotKey::Typebot);
            Ok(core
                .start_rendered(choice, opts, &caller, claim.as_ref(), render)
                .await?)
        })
    };
    Ok(answer_claimed(core, format!("preview:{id}"), idem, call).await)
}

pub async fn continue_chat(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    session_id: &str,
) -> Result<HttpResponse, ApiError> {
    let body = read_body(payload, req, state.max_body_bytes).await?;
    let (caller, idem) = request_facts(req, &body)?;
    let core = &state.conversations;
    // The reply is rendered before the turn is saved: the save stores it as the key's answer.
    let call = |claim: Option<Claim>| -> Claimed<'_> {
        Box::pin(async move {
            let parsed: ContinueChatRequest = parse_body(&body)?;
            let message = parsed.message.map(|m| m.into_message()).transpose()?;
            let format = parsed
                .text_bubble_content_format
                .map(Into::into)
                .unwrap_or_default();
            let render_turn = |turn| render(Ok(shape::continue_response(turn)));
            Ok(core
                .resume_rendered(
                    session_id,
                    message,
                    format,
                    &caller,
                    claim.as_ref(),
                    render_turn,
                )
                .await?)
        })
    };
    let scope = format!("continue:{session_id}");
    Ok(answer_claimed(core, scope, idem, call).await)
}

pub async fn client_logs(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    session_id: &str,
) -> Result<HttpResponse, ApiError> {
    let body = read_body(payload, req, state.max_body_bytes).await?;
    let (caller, _) = request_facts(req, &body)?;
    let parsed: ClientLogsRequest = parse_body(&body)?;
    let logs = parsed
        .client_logs
        .iter()
        .map(|l| serde_json::to_value(l).unwrap_or(Value::Null))
        .collect();
    state
        .conversations
        .client_logs(session_id, logs, &caller)
        .await?;
    Ok(HttpResponse::Ok().json(json!({"message": "Logs successfully saved."})))
}
