//! Requests that fail: unknown bots and sessions, finished and expired sessions, malformed,
//! mistyped and oversized bodies, and inputs that must not break the server.

use std::time::Duration;

use serde_json::json;

use crate::common::app::{spawn_app, spawn_app_with};
use crate::common::bots::{bot, text};
use crate::common::replies::{assert_error, said, session_id};
use crate::support::{cont, greeter, post_with, publish, start};

#[tokio::test]
async fn start_chat_returns_404_flow_not_found_for_an_unknown_bot() {
    let app = spawn_app().await;
    let got = start(&app, "no-such-bot", json!({})).await;
    assert_error(&got, 404, "flow_not_found");
    assert_eq!(got.1["message"], "Typebot not found");
}

#[tokio::test]
async fn continue_chat_returns_404_session_not_found_for_an_unknown_session() {
    let app = spawn_app().await;
    assert_error(
        &cont(&app, "no-such-session", json!({"message": "x"})).await,
        404,
        "session_not_found",
    );
    assert_error(
        &cont(&app, "not%20plausible", json!({"message": "x"})).await,
        404,
        "session_not_found",
    );
}

#[tokio::test]
async fn continue_chat_returns_404_session_finished_after_the_end() {
    let app = spawn_app().await;
    publish(&app, &greeter("finish")).await;
    let (_, s) = start(&app, "finish", json!({})).await;
    let sid = session_id(&s);
    cont(&app, &sid, json!({"message": "Ann"})).await;
    let (status, last) = cont(&app, &sid, json!({"message": "ann@example.com"})).await;
    assert_eq!(status, 200);
    assert!(last.get("input").is_none(), "completed: no input");
    assert!(
        last["clientSideActions"]
            .as_array()
            .is_none_or(|a| a.iter().all(|x| x.get("expectsDedicatedReply").is_none()))
    );
    assert_error(
        &cont(&app, &sid, json!({"message": "more"})).await,
        404,
        "session_finished",
    );
}

#[tokio::test]
async fn start_chat_on_a_bot_that_ends_at_once_has_no_result_id_and_a_finished_session() {
    let app = spawn_app().await;
    publish(
        &app,
        &bot("oneshot", json!([text("t", "Hi and bye")]), json!([])),
    )
    .await;
    let (status, body) = start(&app, "oneshot", json!({})).await;
    assert_eq!((status, said(&body)), (200, vec!["Hi and bye".to_string()]));
    assert!(body.get("resultId").is_none() && body.get("input").is_none());
    assert_error(
        &cont(&app, &session_id(&body), json!({})).await,
        404,
        "session_finished",
    );
}

#[tokio::test]
async fn continue_chat_returns_404_session_expired_after_the_ttl() {
    let app = spawn_app_with(|c| c.session_ttl_secs = 1).await;
    publish(&app, &greeter("expiring")).await;
    let (_, s) = start(&app, "expiring", json!({})).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let got = cont(&app, &session_id(&s), json!({"message": "Ann"})).await;
    assert_error(&got, 404, "session_expired");
}

#[tokio::test]
async fn a_bot_session_ttl_setting_overrides_the_server_default() {
    let app = spawn_app().await;
    let mut b = greeter("short-lived");
    b["settings"] = json!({"tessera": {"sessionTtlSeconds": 1}});
    publish(&app, &b).await;
    let (_, s) = start(&app, "short-lived", json!({})).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let got = cont(&app, &session_id(&s), json!({"message": "Ann"})).await;
    assert_error(&got, 404, "session_expired");
}

#[tokio::test]
async fn malformed_json_returns_400_invalid_request() {
    let app = spawn_app().await;
    publish(&app, &greeter("malformed")).await;
    let got = post_with(
        &app,
        "/api/v1/typebots/malformed/startChat",
        &[],
        "{\"message\":",
    )
    .await;
    assert_error(&got, 400, "invalid_request");
    assert!(
        got.1["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Malformed JSON"))
    );
    let (_, s) = start(&app, "malformed", json!({})).await;
    let path = format!("/api/v1/sessions/{}/continueChat", session_id(&s));
    let got = post_with(&app, &path, &[], "not json").await;
    assert_error(&got, 400, "invalid_request");
    // An empty body is an empty object.
    let (status, _) = post_with(&app, "/api/v1/typebots/malformed/startChat", &[], "").await;
    assert_eq!(status, 200);
    // An array is no object, even an empty one (serde would read `[]` as `{}`: found by the
    // API fuzzer).
    for body in ["[]", " [ ] ", "[true]"] {
        let got = post_with(&app, "/api/v1/typebots/malformed/startChat", &[], body).await;
        assert_error(&got, 400, "invalid_request");
    }
}

#[tokio::test]
async fn wrong_field_types_return_400_naming_the_field() {
    let app = spawn_app().await;
    publish(&app, &greeter("types")).await;
    for (body, field) in [
        (json!({"isOnlyRegistering": "yes"}), "isOnlyRegistering"),
        (json!({"isStreamEnabled": 1}), "isStreamEnabled"),
        (
            json!({"prefilledVariables": ["Name"]}),
            "prefilledVariables",
        ),
        (json!({"message": 5}), "message"),
        (json!({"resultId": 7}), "resultId"),
    ] {
        let got = start(&app, "types", body).await;
        assert_error(&got, 400, "invalid_request");
        assert_eq!(got.1["details"]["field"], field, "{}", got.1);
        assert!(got.1["message"].as_str().is_some_and(|m| m.contains(field)));
    }
    let (_, s) = start(&app, "types", json!({})).await;
    let got = cont(&app, &session_id(&s), json!({"message": ["a"]})).await;
    assert_error(&got, 400, "invalid_request");
    assert_eq!(got.1["details"]["field"], "message");
}

#[tokio::test]
async fn values_breaking_a_validation_rule_return_400_naming_the_json_field() {
    let app = spawn_app().await;
    publish(&app, &greeter("rules")).await;
    let got = start(&app, "rules", json!({"resultId": ""})).await;
    assert_error(&got, 400, "invalid_request");
    assert_eq!(got.1["details"]["fields"], json!(["resultId"]));
    assert!(
        got.1["message"]
            .as_str()
            .is_some_and(|m| m.contains("resultId"))
    );
}

#[tokio::test]
async fn a_body_larger_than_max_body_bytes_returns_413() {
    let app = spawn_app_with(|c| c.max_body_bytes = 1024).await;
    publish(&app, &greeter("limited")).await;
    let fits = json!({"prefilledVariables": {"Name": "x".repeat(500)}});
    let (status, s) = start(&app, "limited", fits).await;
    assert_eq!(status, 200);
    let too_big = json!({"prefilledVariables": {"Name": "x".repeat(2000)}});
    let got = start(&app, "limited", too_big).await;
    assert_error(&got, 413, "payload_too_large");
    let got = cont(&app, &session_id(&s), json!({"message": "x".repeat(2000)})).await;
    assert_error(&got, 413, "payload_too_large");
    let (status, _) = cont(&app, &session_id(&s), json!({"message": "Ann"})).await;
    assert_eq!(status, 200, "the session is untouched");
}

#[tokio::test]
async fn deeply_nested_markdown_in_variables_cannot_crash_the_server() {
    let app = spawn_app().await;
    publish(&app, &greeter("deep")).await;
    let nested = "- ".repeat(3000) + "x";
    let (status, body) = start(
        &app,
        "deep",
        json!({"prefilledVariables": {"Name": nested}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let sid = session_id(&body);
    let (status, body) = cont(&app, &sid, json!({"message": "> ".repeat(20_000)})).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = app
        .post("/api/v1/typebots/deep/startChat", &json!({}))
        .await;
    assert_eq!(status, 200, "the server is still up");
}

#[tokio::test]
async fn an_absurd_session_ttl_setting_is_clamped_and_breaks_nothing() {
    let app = spawn_app().await;
    let mut b = greeter("ttl-huge");
    b["settings"] = json!({"tessera": {"sessionTtlSeconds": u64::MAX}});
    publish(&app, &b).await;
    publish(&app, &greeter("ttl-other")).await;
    let (status, body) = start(&app, "ttl-huge", json!({})).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = start(&app, "ttl-other", json!({})).await;
    assert_eq!(status, 200, "{body}");
}
