//! `Idempotency-Key`: a replay is the same response and the turn runs once; another body or
//! another origin is a conflict; keys have a length limit.

use serde_json::{Value, json};

use crate::common::app::{TestApp, spawn_app};
use crate::common::bots::three_questions;
use crate::common::http::post_raw;
use crate::common::replies::{assert_error, session_id};
use crate::support::{cont, greeter, post_with, publish, results, start};

async fn post_keyed(app: &TestApp, path: &str, key: &str, body: &str) -> (u16, String) {
    let url = format!("{}{path}", app.base);
    post_raw(
        app.client.clone(),
        url,
        body.to_string(),
        Some(key.to_string()),
    )
    .await
}

#[tokio::test]
async fn idempotency_key_replays_the_same_response_and_advances_the_session_once() {
    let app = spawn_app().await;
    publish(&app, &three_questions("idem")).await;
    let (_, s) = start(&app, "idem", json!({})).await;
    let path = format!("/api/v1/sessions/{}/continueChat", session_id(&s));
    let first = post_keyed(&app, &path, "answer-1", r#"{"message":"one"}"#).await;
    let replay = post_keyed(&app, &path, "answer-1", r#"{"message":"one"}"#).await;
    assert_eq!(first.0, 200, "{}", first.1);
    assert_eq!(first, replay, "identical status and body");
    let body: Value = serde_json::from_str(&first.1).expect("json");
    assert_eq!(body["input"]["id"], "q2");
    // The session moved one step only: the next answer goes to q2.
    let (_, next) = cont(&app, &session_id(&s), json!({"message": "two"})).await;
    assert_eq!(next["input"]["id"], "q3");
    let r = results(&app, "idem").await;
    assert_eq!(
        r["results"][0]["variables"],
        json!({"A": "one", "B": "two"})
    );
    assert_eq!(r["results"][0]["answers"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn idempotency_key_reused_with_another_body_returns_409_idempotency_conflict() {
    let app = spawn_app().await;
    publish(&app, &three_questions("conflict")).await;
    let (_, s) = start(&app, "conflict", json!({})).await;
    let path = format!("/api/v1/sessions/{}/continueChat", session_id(&s));
    let (status, _) = post_keyed(&app, &path, "k", r#"{"message":"one"}"#).await;
    assert_eq!(status, 200);
    let (status, text) = post_keyed(&app, &path, "k", r#"{"message":"other"}"#).await;
    let got = (status, serde_json::from_str::<Value>(&text).expect("json"));
    assert_error(&got, 409, "idempotency_conflict");
    let (_, next) = cont(&app, &session_id(&s), json!({"message": "two"})).await;
    assert_eq!(
        next["input"]["id"], "q3",
        "the conflicting request did nothing"
    );
}

#[tokio::test]
async fn idempotency_key_on_start_chat_replays_the_same_session() {
    let app = spawn_app().await;
    publish(&app, &greeter("idem-start")).await;
    let path = "/api/v1/typebots/idem-start/startChat";
    let first = post_keyed(&app, path, "start-1", "{}").await;
    let replay = post_keyed(&app, path, "start-1", "{}").await;
    assert_eq!(first.0, 200);
    assert_eq!(first, replay);
    assert_eq!(
        results(&app, "idem-start").await["results"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "one session, one result"
    );
    let (_, other) = post_keyed(&app, path, "start-2", "{}").await;
    assert_ne!(other, first.1, "another key is another session");
}

#[tokio::test]
async fn idempotency_keys_longer_than_255_characters_are_rejected_with_400() {
    let app = spawn_app().await;
    publish(&app, &greeter("idem-long")).await;
    let key = "k".repeat(256);
    let (status, text) = post_keyed(&app, "/api/v1/typebots/idem-long/startChat", &key, "{}").await;
    let got = (status, serde_json::from_str::<Value>(&text).expect("json"));
    assert_error(&got, 400, "invalid_request");
    let (status, _) = post_keyed(
        &app,
        "/api/v1/typebots/idem-long/startChat",
        &key[..255],
        "{}",
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn an_idempotency_key_reused_from_another_origin_is_a_conflict_not_a_replay() {
    let app = spawn_app().await;
    publish(&app, &greeter("idem-origin")).await;
    let path = "/api/v1/typebots/idem-origin/startChat";
    let send = |origin: &'static str| {
        let headers = [("idempotency-key", "same-key"), ("origin", origin)];
        let app = &app;
        async move { post_with(app, path, &headers, "{}").await }
    };
    let (status, _) = send("https://good.example").await;
    assert_eq!(status, 200);
    let got = send("https://evil.example").await;
    assert_error(&got, 409, "idempotency_conflict");
}
