//! Liveness, readiness (store health) and the OpenAPI document.

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::AppState;

const OPENAPI: &str = include_str!("../../openapi.yaml");

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/api/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/openapi.yaml", web::get().to(openapi));
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let kind = state.store.kind();
    match state.store.health().await {
        Ok(()) => HttpResponse::Ok().json(json!({"status": "ok", "store": kind})),
        Err(e) => HttpResponse::ServiceUnavailable().json(json!({
            "status": "unavailable", "store": kind, "code": "store_unavailable", "message": e.to_string()
        })),
    }
}

async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/yaml")
        .body(OPENAPI)
}
