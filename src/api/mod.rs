//! HTTP surfaces, one module per surface: the Typebot chat API ([`typebot`]), publishing
//! ([`flows`]), results ([`results`]), health, the web pages and player ([`web`]), `GET /metrics` ([`metrics`]). Every route is declared once in [`router`].
//! Handlers translate HTTP to calls of the conversation core or the registry and back; they
//! decide nothing. [`error::ApiError`] is the only HTTP-aware error.

pub mod auth;
pub mod body;
pub mod credentials;
pub mod engine_api;
pub mod error;
pub mod flows;
pub mod health;
pub mod identity;
pub mod limits;
pub mod metrics;
pub mod results;
pub mod router;
pub mod routes;
pub mod triggers;
pub mod typebot;
pub mod uploads;
pub mod web;
pub mod webhooks;
pub mod workflows;

use std::sync::Arc;

use actix_web::HttpResponse;
use actix_web::http::header::{HeaderMap, HeaderValue};

use crate::conversation::Conversations;
use crate::registry::Registry;
use crate::store::Stores;

/// The one application state, registered once.
pub struct AppState {
    pub conversations: Arc<Conversations>,
    pub registry: Arc<Registry>,
    pub stores: Stores,
    pub api_token: Option<String>,
    /// The engine API's own token (`TESSERA_ENGINE_API_TOKEN`).
    pub engine_api_token: Option<String>,
    pub max_body_bytes: usize,
    /// Whether the start-up bots are published yet (`/readyz` answers 503 until then).
    pub startup: Arc<crate::startup::Startup>,
    /// Settings of the web pages and player ([`web`]).
    pub web: web::WebOptions,
    /// Secret of the user-id identity check ([`identity`]); unset, user ids are not checked.
    pub identity_secret: Option<String>,
    /// Integration credentials (AI providers, SMTP).
    pub credentials: Arc<crate::credentials::Credentials>,
    /// Where and how `GET /metrics` is served ([`metrics`]).
    pub metrics: metrics::MetricsAccess,
    /// Request rates per client and per session, the body read timeout ([`limits`]).
    pub limits: limits::RequestLimits,
    /// The trigger integration (its workers run beside the server).
    pub triggers: Arc<crate::conversation::triggers::Triggers>,
    /// Storage of uploaded files ([`uploads`]).
    pub uploads: Arc<crate::uploads::Uploads>,
    /// Rooms of the wait-for-webhook block's WebSocket listeners ([`webhooks`]).
    pub rooms: Arc<crate::store::rooms::Rooms>,
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
            "content-type, authorization, cache-control, idempotency-key, x-typebot-iframe-referrer-origin, x-tessera-user-hash",
        ),
        ("access-control-max-age", "86400"),
    ];
    for (k, v) in pairs {
        if let Ok(name) = actix_web::http::header::HeaderName::from_bytes(k.as_bytes()) {
            headers.insert(name, HeaderValue::from_static(v));
        }
    }
}
