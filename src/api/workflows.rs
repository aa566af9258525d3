//! The workflow API (seed 000): list the default tenant's workflows, trigger one for a user (a
//! session a web player can continue with `continueChat`), and list that user's runs with
//! their transcripts, with the bearer API token. `start` is the browser's way in, without the
//! token: the web player starts a run for the user of its page with a startChat body plus
//! `userId`, and that user id is trusted through the identity check ([`identity`]) when the
//! server has an identity secret.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::body::{parse_body, read_body};
use super::engine_api::wire;
use super::error::ApiError;
use super::typebot::{self, BotKey};
use super::{AppState, auth, identity};
use crate::conversation::{Claim, TurnResult};

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

/// `POST /api/workflows/{name}/start`: the web player's start of a run for the user of its
/// page. The body is startChat's plus `userId`; the prefilled variables are the run's
/// context. The answer is startChat's (the player continues with continueChat) plus `runId`
/// and `userId`. No token: with an identity secret, `X-Tessera-User-Hash` must be the user
/// id's HMAC (403 `identity_mismatch`), checked before anything is saved.
pub async fn start(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    name: &str,
) -> Result<HttpResponse, ApiError> {
    let body = read_body(payload, req, state.max_body_bytes).await?;
    let (mut caller, idem) = typebot::request_facts(req, &body)?;
    caller.surface = crate::conversation::Surface::Workflows;
    let core = &state.conversations;
    let call = |claim: Option<Claim>| -> typebot::Claimed<'_> {
        Box::pin(async move {
            let opts = typebot::start_options(parse_body(&body)?)?;
            let user_id = wire::string_field(&wire::object(&body)?, "userId", MAX_USER_ID)?;
            identity::check_user(req, state.identity_secret.as_deref(), &user_id, "userId")?;
            let render = |turn: TurnResult| {
                let run_id = turn.session_id.clone();
                let mut reply = typebot::start_response(turn, BotKey::Typebot);
                if let Some(o) = reply.as_object_mut() {
                    o.insert("runId".into(), Value::String(run_id));
                    o.insert("userId".into(), Value::String(user_id.clone()));
                }
                typebot::render_value(reply)
            };
            Ok(core
                .start_run_rendered(name, &user_id, opts, &caller, claim.as_ref(), render)
                .await?)
        })
    };
    let scope = format!("workflow-start:{name}");
    Ok(typebot::answer_claimed(core, scope, idem, call).await)
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
