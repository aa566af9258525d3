//! The chat API (Typebot's contract): startChat (typebot and mozbot routes), preview startChat,
//! continueChat, clientLogs.

use actix_web::{HttpRequest, HttpResponse, web};

use super::{AppState, auth, json_reply, read_body};
use crate::error::ApiError;
use crate::service::{BotKey, RequestCtx, fingerprint};

fn header(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .filter(|s| !s.is_empty())
}

fn ctx(req: &HttpRequest, body: &[u8]) -> Result<RequestCtx, ApiError> {
    let key = header(req, "idempotency-key");
    if key.as_ref().is_some_and(|k| k.len() > 255) {
        return Err(ApiError::bad_request(
            "Idempotency-Key: at most 255 characters",
        ));
    }
    let origin = header(req, "origin");
    // The Origin is part of the request: a key reused from another origin is a conflict,
    // never a replay of someone else's session. Only idempotent requests need it.
    let fingerprint = if key.is_some() {
        fingerprint(
            req.method().as_str(),
            &format!("{}\n{}", req.path(), origin.as_deref().unwrap_or_default()),
            body,
        )
    } else {
        String::new()
    };
    Ok(RequestCtx {
        origin,
        iframe_referrer_origin: header(req, "x-typebot-iframe-referrer-origin"),
        idempotency_key: key,
        fingerprint,
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
    let reply = state
        .chat
        .start_chat(public_id, &body, &ctx(req, &body)?, key)
        .await;
    Ok(json_reply(reply.status, reply.body))
}

pub async fn preview_start(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    id: &str,
) -> Result<HttpResponse, ApiError> {
    auth::require_token(req, state.api_token.as_deref())?;
    let body = read_body(payload, req, state.max_body_bytes).await?;
    let reply = state.chat.preview_start(id, &body, &ctx(req, &body)?).await;
    Ok(json_reply(reply.status, reply.body))
}

pub async fn continue_chat(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    session_id: &str,
) -> Result<HttpResponse, ApiError> {
    let body = read_body(payload, req, state.max_body_bytes).await?;
    let reply = state
        .chat
        .continue_chat(session_id, &body, &ctx(req, &body)?)
        .await;
    Ok(json_reply(reply.status, reply.body))
}

pub async fn client_logs(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    session_id: &str,
) -> Result<HttpResponse, ApiError> {
    let body = read_body(payload, req, state.max_body_bytes).await?;
    let v = state
        .chat
        .client_logs(session_id, &body, &ctx(req, &body)?)
        .await?;
    Ok(HttpResponse::Ok().json(v))
}
