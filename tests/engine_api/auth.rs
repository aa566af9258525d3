//! Both APIs are bearer-authenticated: the engine API with its own token (unset: 401 saying
//! how to set it), the workflow API with the API token.

use serde_json::json;

use crate::common::app::{TOKEN, spawn_app};
use crate::support::{DEFAULT_TENANT, ENGINE_TOKEN, app, call, code};

#[tokio::test]
async fn engine_routes_need_the_engine_token() {
    let app = app().await;
    let body = json!({"tenant_id": DEFAULT_TENANT, "intent_name": "x"});
    let id = uuid::Uuid::new_v4();
    let routes = [
        ("POST", "/api/v1/engine/triggers/chat".to_string()),
        ("POST", format!("/api/v1/engine/executions/{id}/resume")),
        (
            "GET",
            format!("/api/v1/engine/executions/{id}?tenant_id={DEFAULT_TENANT}"),
        ),
        ("POST", format!("/api/v1/engine/executions/{id}/abort")),
        (
            "GET",
            format!("/api/v1/engine/conversations/{id}?tenant_id={DEFAULT_TENANT}"),
        ),
    ];
    for (method, path) in &routes {
        for token in [None, Some("wrong"), Some(TOKEN)] {
            let (status, err) = call(&app, method, path, token, None, Some(&body)).await;
            assert_eq!(
                (status, code(&err)),
                (401, "unauthorized"),
                "{method} {path} {token:?}"
            );
        }
    }
    let (status, err) = call(
        &app,
        "POST",
        &routes[0].1,
        Some(ENGINE_TOKEN),
        None,
        Some(&body),
    )
    .await;
    assert_eq!((status, code(&err)), (404, "intent_not_found"));
}

#[tokio::test]
async fn an_unset_engine_token_says_how_to_set_it() {
    let app = spawn_app().await;
    let body = json!({"tenant_id": DEFAULT_TENANT, "intent_name": "x"});
    let (status, err) = call(
        &app,
        "POST",
        "/api/v1/engine/triggers/chat",
        Some("anything"),
        None,
        Some(&body),
    )
    .await;
    assert_eq!(status, 401);
    assert!(
        err["message"]
            .as_str()
            .unwrap_or_default()
            .contains("TESSERA_ENGINE_API_TOKEN"),
        "{err}"
    );
}

#[tokio::test]
async fn workflow_routes_need_the_api_token() {
    let app = app().await;
    let routes = [
        ("GET", "/api/workflows"),
        ("POST", "/api/workflows/x/trigger"),
        ("GET", "/api/workflows/x/runs?user_id=u"),
    ];
    let body = json!({"user_id": "u"});
    for (method, path) in routes {
        for token in [None, Some("wrong"), Some(ENGINE_TOKEN)] {
            let (status, err) = call(&app, method, path, token, None, Some(&body)).await;
            assert_eq!(
                (status, code(&err)),
                (401, "unauthorized"),
                "{method} {path} {token:?}"
            );
        }
    }
}
