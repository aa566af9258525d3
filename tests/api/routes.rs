//! Routes around the chat API: CORS preflight, unknown routes, health probes, the OpenAPI
//! document.

use serde_json::json;

use crate::common::app::spawn_app;
use crate::common::http::into_json;
use crate::common::replies::assert_error;
use crate::support::get;

#[tokio::test]
async fn cors_preflight_returns_204_with_access_control_allow_origin() {
    let app = spawn_app().await;
    let r = app
        .client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/api/v1/typebots/any/startChat", app.base),
        )
        .header("origin", "https://site.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type, idempotency-key",
        )
        .send()
        .await
        .expect("request");
    assert_eq!(r.status().as_u16(), 204);
    let h = r.headers();
    assert_eq!(h["access-control-allow-origin"], "*");
    let methods = h["access-control-allow-methods"].to_str().expect("ascii");
    assert!(methods.contains("POST"));
    let allowed = h["access-control-allow-headers"].to_str().expect("ascii");
    assert!(
        allowed.contains("idempotency-key") && allowed.contains("x-typebot-iframe-referrer-origin")
    );
    let r = get(&app, "/healthz", None).await;
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "*",
        "on every response"
    );
}

#[tokio::test]
async fn unknown_routes_return_a_json_404_route_not_found() {
    let app = spawn_app().await;
    let got = into_json(get(&app, "/api/v1/nothing/here", None).await).await;
    assert_error(&got, 404, "route_not_found");
    let got = app.post("/api/v3/sessions/x/clientLogs", &json!({})).await;
    assert_error(&got, 404, "route_not_found");
}

#[tokio::test]
async fn a_known_path_with_a_method_it_does_not_serve_is_405_with_allow() {
    let app = spawn_app().await;
    let res = get(&app, "/api/v1/typebots/x/startChat", None).await;
    assert_eq!(
        res.headers().get("allow").and_then(|v| v.to_str().ok()),
        Some("POST")
    );
    let got = into_json(res).await;
    assert_error(&got, 405, "method_not_allowed");
    assert_eq!(got.1["details"]["allow"], json!(["POST"]));
    let res = app
        .client
        .post(format!("{}/api/v1/flows/x", app.base))
        .send()
        .await
        .expect("request");
    assert_eq!(
        res.headers().get("allow").and_then(|v| v.to_str().ok()),
        Some("PUT, GET, DELETE")
    );
    assert_error(&into_json(res).await, 405, "method_not_allowed");
}

#[tokio::test]
async fn healthz_api_healthz_and_readyz_answer_ok() {
    let app = spawn_app().await;
    for path in ["/healthz", "/api/healthz"] {
        let got = into_json(get(&app, path, None).await).await;
        assert_eq!(got, (200, json!({"status": "ok"})), "{path}");
    }
    let got = into_json(get(&app, "/readyz", None).await).await;
    assert_eq!(got, (200, json!({"status": "ok", "store": "memory"})));
}

#[tokio::test]
async fn the_openapi_document_is_served_as_yaml() {
    let app = spawn_app().await;
    let r = get(&app, "/openapi.yaml", None).await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .is_ok_and(|c| c.starts_with("application/yaml"))
    );
    let text = r.text().await.expect("text");
    assert!(text.starts_with("openapi: 3.0.3"));
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_a_short_one_from_the_caller_is_kept() {
    let app = spawn_app().await;
    let res = get(&app, "/healthz", None).await;
    let id = res
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .expect("x-request-id");
    assert_eq!(id.len(), 32, "{id}");
    let again = get(&app, "/healthz", None).await;
    assert_ne!(
        again.headers().get("x-request-id").map(|v| v.as_bytes()),
        Some(id.as_bytes())
    );
    for (sent, kept) in [("trace-42.a_b", true), ("has space", false)] {
        let res = app
            .client
            .get(format!("{}/api/v1/nothing", app.base))
            .header("x-request-id", sent)
            .send()
            .await
            .expect("request");
        let back = res
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok());
        assert_eq!(back == Some(sent), kept, "{sent} -> {back:?}");
    }
}
