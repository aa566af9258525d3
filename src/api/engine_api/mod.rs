//! The engine API (seed 003), an adapter over the conversation core's executions: trigger a
//! tenant's intent, resume a pause with its wait token, read, abort, and list a conversation.
//! Server to server, with its own bearer token (`TESSERA_ENGINE_API_TOKEN`). Bodies are read
//! in `wire`; every answer that touches an execution is its envelope, snake_case.

pub mod wire;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use serde_json::json;

use super::body::read_body;
use super::error::ApiError;
use super::{AppState, auth, json_reply};
use crate::conversation::executions::run::Encoded;
use crate::conversation::{Claim, IdempotencyKey, Reply};

/// A JSON reply with this status.
fn render<T: Serialize>(status: u16, r: Result<T, ApiError>) -> Reply {
    let encoded = r.and_then(|v| {
        serde_json::to_string(&v)
            .map_err(|e| ApiError::internal(format!("response could not be encoded: {e}")))
    });
    match encoded {
        Ok(body) => Reply { status, body },
        Err(e) => Reply {
            status: e.status(),
            body: e.body().to_string(),
        },
    }
}

/// An envelope's answer: its JSON as the core encoded it (not encoded again).
fn encoded(r: Result<Encoded, ApiError>) -> Reply {
    match r {
        Ok(e) => Reply {
            status: 200,
            body: e.json,
        },
        Err(e) => render::<()>(200, Err(e)),
    }
}

/// The request's `Idempotency-Key`, fingerprinted with its method, path and body.
fn idempotency_key(req: &HttpRequest, body: &[u8]) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(key) = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.is_empty())
    else {
        return Ok(None);
    };
    if key.len() > 255 {
        return Err(wire::invalid(
            "Idempotency-Key",
            "max_length",
            "Idempotency-Key: at most 255 characters",
        ));
    }
    Ok(Some(IdempotencyKey::new(
        key.to_string(),
        req.method().as_str(),
        req.path(),
        body,
    )))
}

/// Runs a call under the request's idempotency key (24 h replays, conflicts on another body);
/// the call gets the key's claim, for its save to store the answer with it.
async fn idempotent<F: Future<Output = Reply>>(
    state: &AppState,
    key: Option<IdempotencyKey>,
    run: impl FnOnce(Option<Claim>) -> F,
) -> HttpResponse {
    let core = &state.conversations;
    let run = |claim| Box::pin(run(claim));
    let reply = core
        .idempotent_with("engine", key.as_ref(), run, |e| {
            render::<()>(200, Err(ApiError::from(e)))
        })
        .await;
    json_reply(reply.status, reply.body)
}

/// `tenant_id` from the query string (required, a UUID).
fn query_tenant(req: &HttpRequest) -> Result<String, ApiError> {
    let q = web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
        .map_err(|e| wire::invalid("query", "query", format!("Invalid query string: {e}")))?;
    let o = q
        .get("tenant_id")
        .map(|t| json!({"tenant_id": t}))
        .unwrap_or_else(|| json!({}));
    wire::uuid_field(
        o.as_object().unwrap_or(&serde_json::Map::new()),
        "tenant_id",
    )
}

/// An execution id that is not a UUID names nothing.
fn execution_id(id: &str) -> Result<(), ApiError> {
    if wire::is_uuid(id) {
        Ok(())
    } else {
        Err(ApiError::from(
            crate::conversation::ServiceError::ExecutionNotFound,
        ))
    }
}

pub async fn trigger(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<HttpResponse, ApiError> {
    auth::require_engine_token(req, state.engine_api_token.as_deref())?;
    let body = read_body(payload, req, state.max_body_bytes).await?;
    let key = idempotency_key(req, &body)?;
    let run = |claim: Option<Claim>| async move {
        let call = async {
            let t = wire::trigger(&body)?;
            Ok(state
                .conversations
                .trigger_encoded(t, claim.as_ref())
                .await?)
        };
        encoded(call.await)
    };
    Ok(idempotent(state, key, run).await)
}

pub async fn resume(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    id: &str,
) -> Result<HttpResponse, ApiError> {
    auth::require_engine_token(req, state.engine_api_token.as_deref())?;
    let body = read_body(payload, req, state.max_body_bytes).await?;
    let key = idempotency_key(req, &body)?;
    let run = |claim: Option<Claim>| async move {
        let call = async {
            let r = wire::resume(&body)?;
            execution_id(id)?;
            let core = &state.conversations;
            let (tenant, token) = (&r.tenant_id, &r.wait_token);
            Ok(core
                .resume_encoded(tenant, id, token, r.message, claim.as_ref())
                .await?)
        };
        encoded(call.await)
    };
    Ok(idempotent(state, key, run).await)
}

pub async fn get_execution(
    req: &HttpRequest,
    state: &AppState,
    id: &str,
) -> Result<HttpResponse, ApiError> {
    auth::require_engine_token(req, state.engine_api_token.as_deref())?;
    let tenant = query_tenant(req)?;
    execution_id(id)?;
    let env = state.conversations.execution(&tenant, id).await?;
    Ok(HttpResponse::Ok().json(env))
}

pub async fn abort(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    id: &str,
) -> Result<HttpResponse, ApiError> {
    auth::require_engine_token(req, state.engine_api_token.as_deref())?;
    let body = read_body(payload, req, state.max_body_bytes).await?;
    let tenant = wire::uuid_field(&wire::object(&body)?, "tenant_id")?;
    execution_id(id)?;
    let env = state.conversations.abort_execution(&tenant, id).await?;
    Ok(HttpResponse::Ok().json(env))
}

pub async fn conversation(
    req: &HttpRequest,
    state: &AppState,
    id: &str,
) -> Result<HttpResponse, ApiError> {
    auth::require_engine_token(req, state.engine_api_token.as_deref())?;
    let tenant = query_tenant(req)?;
    if !wire::is_uuid(id) {
        return Err(ApiError::from(
            crate::conversation::ServiceError::ConversationNotFound,
        ));
    }
    let (c, executions) = state
        .conversations
        .conversation_executions(&tenant, id)
        .await?;
    Ok(HttpResponse::Ok().json(json!({
        "conversation_id": c.conversation_id,
        "executions": executions,
        "variables": c.variables,
    })))
}
