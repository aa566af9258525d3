//! The workflow API (seed 000, backend half): list the default tenant's workflows, trigger
//! one for a user (a session a web player can continue with `continueChat`), and list that
//! user's runs with their transcripts. Bearer API token.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::body::read_body;
use super::engine_api::wire;
use super::error::ApiError;
use super::{AppState, auth};

/// Longest accepted `user_id`, in characters.
const MAX_USER_ID: usize = 256;

pub async fn list(req: &HttpRequest, state: &AppState) -> Result<HttpResponse, ApiError> {
    auth::require_token(req, state.api_token.as_deref())?;
    let workflows = state.conversations.workflows().await?;
    Ok(HttpResponse::Ok().json(json!({ "workflows": workflows })))
}

pub async fn trigger(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    name: &str,
) -> Result<HttpResponse, ApiError> {
    auth::require_token(req, state.api_token.as_deref())?;
    let body = read_body(payload, req, state.max_body_bytes).await?;
    let o = wire::object(&body)?;
    let user_id = wire::string_field(&o, "user_id", MAX_USER_ID)?;
    let context = wire::object_field(&o, "context")?;
    let (run, turn) = state
        .conversations
        .trigger_workflow(name, &user_id, context)
        .await?;
    let out = turn.output;
    Ok(HttpResponse::Created().json(json!({
        "run_id": run.run_id,
        "session_id": turn.session_id,
        "workflow": run.workflow,
        "user_id": run.user_id,
        "status": out.status.execution_status(),
        "messages": out.messages,
        "input": out.input.unwrap_or(Value::Null),
    })))
}

#[derive(Debug, Deserialize)]
struct RunsQuery {
    user_id: Option<String>,
    cursor: Option<String>,
    /// Any integer: clamped to 1..100 (as the spec says), so a negative one is not an error.
    limit: Option<i64>,
}

pub async fn runs(
    req: &HttpRequest,
    state: &AppState,
    name: &str,
) -> Result<HttpResponse, ApiError> {
    auth::require_token(req, state.api_token.as_deref())?;
    let q = web::Query::<RunsQuery>::from_query(req.query_string())
        .map_err(|e| wire::invalid("query", "query", format!("Invalid query string: {e}")))?;
    let user_id = q
        .user_id
        .as_deref()
        .filter(|u| !u.is_empty() && u.chars().count() <= MAX_USER_ID)
        .ok_or_else(|| {
            wire::invalid(
                "user_id",
                "required",
                format!("user_id is required (at most {MAX_USER_ID} characters)."),
            )
        })?;
    let page = state
        .conversations
        .runs(name, user_id, q.cursor.as_deref(), runs_limit(q.limit))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Runs per page: 20 by default, clamped to 1..100.
fn runs_limit(limit: Option<i64>) -> usize {
    // Clamped first, so the cast cannot truncate.
    limit.unwrap_or(20).clamp(1, 100) as usize
}
