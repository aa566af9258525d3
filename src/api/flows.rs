//! Publishing: PUT (validate, compile, publish), GET (list, or one by id or public id), DELETE
//! (unpublish, by id). Bearer token.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use super::body::read_body;
use super::error::{ApiError, ErrorCode};
use super::{AppState, auth};
use crate::conversation::executions::DEFAULT_TENANT;
use crate::registry::PublishError;

pub async fn publish(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    id: &str,
) -> Result<HttpResponse, ApiError> {
    auth::require_token(req, state.api_token.as_deref())?;
    let tenant = publish_tenant(req)?;
    // Bots can be large: allow 16x the chat body limit for publishing.
    let body = read_body(payload, req, state.max_body_bytes.saturating_mul(16)).await?;
    let json: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("Malformed JSON body: {e}")))?;
    let outcome = state
        .registry
        .publish(&json, Some(id), None)
        .await
        .map_err(|e| match e {
            PublishError::Parse(m) => ApiError::new(
                ErrorCode::FlowMalformed,
                format!("Nothing was published: {m}"),
            ),
            PublishError::Invalid(issues) => ApiError::new(
                ErrorCode::FlowInvalid,
                "The bot has errors: nothing was published.",
            )
            .with_details(json!({ "issues": issues })),
            PublishError::PublicIdTaken(p) => ApiError::new(
                ErrorCode::PublicIdTaken,
                format!("The public id {p} is already used by another bot."),
            ),
            PublishError::BadId(m) => ApiError::bad_request(m),
            PublishError::Store(s) => ApiError::from(s),
        })?;
    // The flow belongs to the tenant it was published into (the default one without).
    state
        .conversations
        .set_flow_tenant(&outcome.id, &tenant)
        .await?;
    Ok(HttpResponse::Ok().json(outcome))
}

/// `?tenant_id=<uuid>` of a publish (absent: the default tenant).
fn publish_tenant(req: &HttpRequest) -> Result<String, ApiError> {
    let q = web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
        .map_err(|e| ApiError::bad_request(format!("Invalid query string: {e}")))?;
    match q.get("tenant_id") {
        None => Ok(DEFAULT_TENANT.to_string()),
        Some(t) if uuid::Uuid::parse_str(t).is_ok() => Ok(t.clone()),
        Some(_) => Err(ApiError::bad_request("tenant_id must be a UUID.")),
    }
}

pub async fn list(req: &HttpRequest, state: &AppState) -> Result<HttpResponse, ApiError> {
    auth::require_token(req, state.api_token.as_deref())?;
    let flows = state.registry.list().await?;
    Ok(HttpResponse::Ok().json(json!({ "flows": flows })))
}

pub async fn get_one(
    req: &HttpRequest,
    state: &AppState,
    id: &str,
) -> Result<HttpResponse, ApiError> {
    auth::require_token(req, state.api_token.as_deref())?;
    let found = state
        .registry
        .find_publication(id)
        .await?
        .ok_or_else(ApiError::flow_not_found)?;
    Ok(HttpResponse::Ok().json(found))
}

pub async fn unpublish(
    req: &HttpRequest,
    state: &AppState,
    id: &str,
) -> Result<HttpResponse, ApiError> {
    auth::require_token(req, state.api_token.as_deref())?;
    match state.registry.unpublish(id).await? {
        Some(p) => Ok(HttpResponse::Ok().json(json!({ "unpublished": p }))),
        None => Err(ApiError::flow_not_found()),
    }
}
