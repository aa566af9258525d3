//! HTTP surfaces, one module per surface, each with its own `configure`. Handlers translate
//! HTTP <-> service calls; they decide nothing.

pub mod auth;
pub mod chat;
pub mod flows;
pub mod health;
pub mod results;
pub mod router;

use std::sync::Arc;

use actix_web::http::header::{HeaderMap, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;

use crate::error::ApiError;
use crate::registry::Registry;
use crate::service::ChatService;
use crate::session::Store;

/// The one application state, registered once.
pub struct AppState {
    pub chat: Arc<ChatService>,
    pub registry: Arc<Registry>,
    pub store: Arc<dyn Store>,
    pub api_token: Option<String>,
    pub max_body_bytes: usize,
    /// Whether the start-up bots are published yet (`/readyz` answers 503 until then).
    pub startup: Arc<crate::startup::Startup>,
}

/// Reads a request body with a size limit (413 as JSON when exceeded).
pub async fn read_body(
    mut payload: web::Payload,
    req: &HttpRequest,
    limit: usize,
) -> Result<web::Bytes, ApiError> {
    let declared = req
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::payload_too_large(limit));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|e| ApiError::bad_request(format!("could not read the request body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::payload_too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// A JSON response from a pre-serialized body.
pub fn json_reply(status: u16, body: String) -> HttpResponse {
    let code = actix_web::http::StatusCode::from_u16(status)
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(code)
        .content_type("application/json")
        .body(body)
}

/// Adds permissive CORS headers: the chat API is public and uses no cookies.
pub fn add_cors(headers: &mut HeaderMap) {
    let pairs = [
        ("access-control-allow-origin", "*"),
        (
            "access-control-allow-methods",
            "GET, POST, PUT, DELETE, OPTIONS",
        ),
        (
            "access-control-allow-headers",
            "content-type, authorization, idempotency-key, x-typebot-iframe-referrer-origin",
        ),
        ("access-control-max-age", "86400"),
    ];
    for (k, v) in pairs {
        if let Ok(name) = actix_web::http::header::HeaderName::from_bytes(k.as_bytes()) {
            headers.insert(name, HeaderValue::from_static(v));
        }
    }
}
