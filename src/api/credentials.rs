//! Integration credentials: `PUT /api/v1/credentials/{id}` with `{"type", "name", "data"}`
//! (stored encrypted), `GET` (metadata and field names only, never a secret), `DELETE`.
//! Bearer token. Request bodies are never logged or echoed back.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::body::read_body;
use super::error::{ApiError, ErrorCode};
use super::{AppState, auth};
use crate::ids::is_plausible_id;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PutCredential {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    name: Option<String>,
    data: Map<String, Value>,
}

fn check_id(id: &str) -> Result<(), ApiError> {
    if is_plausible_id(id) {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "A credentials id is 1 to 128 letters, digits, '-' or '_'.",
        ))
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        ErrorCode::CredentialsNotFound,
        format!("No credentials with id {id}."),
    )
}

pub async fn put(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    id: &str,
) -> Result<HttpResponse, ApiError> {
    auth::require_token(req, state.api_token.as_deref())?;
    check_id(id)?;
    let body = read_body(payload, req, state.max_body_bytes).await?;
    // The serde error names the field, never its value.
    let parsed: PutCredential = serde_json::from_slice(&body).map_err(|e| {
        let what = if e.is_syntax() || e.is_eof() {
            "Malformed JSON body.".to_string()
        } else {
            format!(
                "Expected {{\"type\", \"name\", \"data\"}} (line {}, column {}).",
                e.line(),
                e.column()
            )
        };
        ApiError::bad_request(what)
    })?;
    let name = parsed.name.unwrap_or_else(|| id.to_string());
    let now = chrono::Utc::now().timestamp();
    let info = state
        .credentials
        .put(id, &parsed.kind, &name, &parsed.data, now)
        .await?;
    Ok(HttpResponse::Ok().json(info))
}

pub async fn get(req: &HttpRequest, state: &AppState, id: &str) -> Result<HttpResponse, ApiError> {
    auth::require_token(req, state.api_token.as_deref())?;
    check_id(id)?;
    match state.credentials.info(id).await? {
        Some(info) => Ok(HttpResponse::Ok().json(info)),
        None => Err(not_found(id)),
    }
}

pub async fn delete(
    req: &HttpRequest,
    state: &AppState,
    id: &str,
) -> Result<HttpResponse, ApiError> {
    auth::require_token(req, state.api_token.as_deref())?;
    check_id(id)?;
    if state.credentials.delete(id).await? {
        Ok(HttpResponse::Ok().json(json!({ "deleted": id })))
    } else {
        Err(not_found(id))
    }
}
