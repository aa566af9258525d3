//! The transcript route answers only sessions of its own trigger: a session of another
//! trigger (on the same bot) or of no trigger (a chat started through the chat API, which
//! has a transcript too) is not found.

use std::time::Duration;

use serde_json::json;

use crate::common::app::{TOKEN, TestApp};
use crate::support::{
    call, create_trigger, echo_bot, post_event, publish, settled, transcript, unique,
};

const WITHIN: Duration = Duration::from_secs(15);

async fn not_found(app: &TestApp, trigger: &str, session: &str) {
    let path = format!("/api/v1/integration/trigger/{trigger}/sessions/{session}");
    let (status, err) = call(app, "GET", &path, Some(TOKEN), None, None).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (404, Some("session_not_found")),
        "{path}: {err}"
    );
}

async fn a_transcript_is_shown_only_to_the_trigger_of_its_session(app: TestApp) {
    let flow = unique("echo");
    publish(&app, &echo_bot(&flow)).await;
    let (a, secret_a) = create_trigger(&app, &flow, json!({})).await;
    let (b, secret_b) = create_trigger(&app, &flow, json!({})).await;
    let (status, ev) = post_event(&app, &a, &secret_a, &json!({"text": "for a"})).await;
    assert_eq!(status, 202, "{ev}");
    let session = ev["session"].as_str().expect("session").to_string();
    // Another event on b, so b owns a session of its own.
    let (status, other) = post_event(&app, &b, &secret_b, &json!({"text": "for b"})).await;
    assert_eq!(status, 202, "{other}");
    let b_session = other["session"].as_str().expect("session").to_string();
    settled(&app, &a, 1, WITHIN).await;
    settled(&app, &b, 1, WITHIN).await;
    let said = transcript(&app, &a, &session).await;
    assert_eq!(
        said.first().map(String::as_str),
        Some("user:for a"),
        "{said:?}"
    );
    let said = transcript(&app, &b, &b_session).await;
    assert_eq!(
        said.first().map(String::as_str),
        Some("user:for b"),
        "{said:?}"
    );
    // Each trigger's session is not the other's.
    not_found(&app, &b, &session).await;
    not_found(&app, &a, &b_session).await;

    // A chat of the same bot through the chat API: it has a transcript, but no trigger.
    let (status, chat) = app
        .post(&format!("/api/v1/typebots/{flow}/startChat"), &json!({}))
        .await;
    assert_eq!(status, 200, "{chat}");
    let chat_session = chat["sessionId"].as_str().expect("sessionId").to_string();
    let (status, next) = app
        .post(
            &format!("/api/v1/sessions/{chat_session}/continueChat"),
            &json!({"message": "hello"}),
        )
        .await;
    assert_eq!(status, 200, "{next}");
    not_found(&app, &a, &chat_session).await;
}

on_both_stores!(a_transcript_is_shown_only_to_the_trigger_of_its_session);
