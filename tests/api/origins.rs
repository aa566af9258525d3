//! A bot's allowed origins: other origins get 403 on startChat and continueChat, and the iframe
//! referrer header admits this server's own pages.

use serde_json::{Value, json};

use crate::common::app::{spawn_app, spawn_app_with};
use crate::common::replies::{assert_error, said, session_id};
use crate::support::{cont, greeter, post_with, publish, results, start};

fn guarded(id: &str) -> Value {
    let mut b = greeter(id);
    b["settings"] = json!({"security": {"allowedOrigins": ["https://allowed.example"]}});
    b
}

#[tokio::test]
async fn allowed_origins_reject_another_origin_with_403_before_anything_is_saved() {
    let app = spawn_app().await;
    publish(&app, &guarded("origins")).await;
    let got = post_with(
        &app,
        "/api/v1/typebots/origins/startChat",
        &[("origin", "https://evil.example")],
        "{}",
    )
    .await;
    assert_error(&got, 403, "origin_not_allowed");
    assert!(got.1.get("sessionId").is_none());
    assert_eq!(
        results(&app, "origins").await["results"],
        json!([]),
        "no result saved"
    );
    assert_error(
        &cont(&app, "any-session-id", json!({"message": "x"})).await,
        404,
        "session_not_found",
    );
}

#[tokio::test]
async fn allowed_origins_accept_an_allowed_origin_and_requests_without_origin() {
    let app = spawn_app().await;
    publish(&app, &guarded("origins-ok")).await;
    let path = "/api/v1/typebots/origins-ok/startChat";
    for origin in ["https://allowed.example", "https://allowed.example/"] {
        let (status, body) = post_with(&app, path, &[("origin", origin)], "{}").await;
        assert_eq!(status, 200, "{origin}: {body}");
    }
    let (status, _) = post_with(&app, path, &[], "{}").await;
    assert_eq!(status, 200, "server to server: no Origin");
}

#[tokio::test]
async fn allowed_origins_also_guard_continue_chat() {
    let app = spawn_app().await;
    publish(&app, &guarded("origins-continue")).await;
    let (_, s) = start(&app, "origins-continue", json!({})).await;
    let path = format!("/api/v1/sessions/{}/continueChat", session_id(&s));
    let got = post_with(
        &app,
        &path,
        &[("origin", "https://evil.example")],
        r#"{"message":"Ann"}"#,
    )
    .await;
    assert_error(&got, 403, "origin_not_allowed");
    let (status, body) = post_with(
        &app,
        &path,
        &[("origin", "https://allowed.example")],
        r#"{"message":"Ann"}"#,
    )
    .await;
    assert_eq!(
        (status, said(&body)),
        (200, vec!["Nice to meet you Ann".to_string()])
    );
}

#[tokio::test]
async fn the_iframe_referrer_origin_header_admits_this_servers_own_pages() {
    let app = spawn_app_with(|c| c.viewer_urls = vec!["https://viewer.example".into()]).await;
    publish(&app, &guarded("embedded")).await;
    let path = "/api/v1/typebots/embedded/startChat";
    let referrer = "x-typebot-iframe-referrer-origin";
    let (status, body) = post_with(
        &app,
        path,
        &[
            ("origin", "https://viewer.example"),
            (referrer, "https://allowed.example"),
        ],
        "{}",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let got = post_with(&app, path, &[("origin", "https://viewer.example")], "{}").await;
    assert_error(&got, 403, "origin_not_allowed");
    let got = post_with(
        &app,
        path,
        &[
            ("origin", "https://viewer.example"),
            (referrer, "https://evil.example"),
        ],
        "{}",
    )
    .await;
    assert_error(&got, 403, "origin_not_allowed");
    let got = post_with(
        &app,
        path,
        &[
            ("origin", "https://evil.example"),
            (referrer, "https://allowed.example"),
        ],
        "{}",
    )
    .await;
    assert_error(&got, 403, "origin_not_allowed");
}
