//! Liveness, readiness (store health) and the OpenAPI document.

use actix_web::HttpResponse;
use serde_json::json;

use super::AppState;

const OPENAPI: &str = include_str!("../../openapi.yaml");

pub fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

pub async fn readyz(state: &AppState) -> HttpResponse {
    let kind = state.stores.sessions.kind();
    match state.stores.sessions.health().await {
        Ok(()) if state.startup.pending() => HttpResponse::ServiceUnavailable().json(json!({
            "status": "unavailable", "store": kind, "code": "store_unavailable",
            "message": "the store answers; the start-up bots are being published"
        })),
        Ok(()) => HttpResponse::Ok().json(json!({"status": "ok", "store": kind})),
        Err(e) => HttpResponse::ServiceUnavailable().json(json!({
            "status": "unavailable", "store": kind, "code": "store_unavailable", "message": e.to_string()
        })),
    }
}

pub fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/yaml")
        .body(OPENAPI)
}
