//! Streaming end to end: the `stream` action, the streamMessage endpoint in the data-stream
//! format the published player reads, the final text through continueChat, and a client that
//! goes away stopping the upstream request.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::app::TestApp;
use crate::common::llm_stub;
use crate::setup::{ai_bot, app, chat_to_ai, forge_block, openai_credentials};

/// The text of an AI SDK data stream (`0:"…"` lines), failing on any other line.
fn stream_text(body: &str) -> String {
    body.lines()
        .map(|l| {
            let json = l
                .strip_prefix("0:")
                .unwrap_or_else(|| panic!("unexpected line {l:?}"));
            serde_json::from_str::<String>(json).expect("a JSON string")
        })
        .collect()
}

async fn stream_message(app: &TestApp, sid: &str) -> reqwest::Response {
    app.client
        .post(format!("{}/api/v2/sessions/{sid}/streamMessage", app.base))
        .json(&json!({}))
        .send()
        .await
        .expect("streamMessage")
}

async fn streams_and_continues(block: &str, kind: &str) {
    let stub = llm_stub::start(Duration::from_millis(2)).await;
    let app = app().await;
    openai_credentials(&app, "cred", kind, &stub.base_url).await;
    let flow = ai_bot(&format!("stream-{block}"), forge_block(block, "cred", "m"));
    let (sid, turn) = chat_to_ai(&app, &flow, "Stream me please", true).await;
    assert_eq!(
        turn["clientSideActions"],
        json!([{"type": "stream", "stream": true, "expectsDedicatedReply": true}]),
        "{turn}"
    );
    let r = stream_message(&app, &sid).await;
    assert_eq!(r.status().as_u16(), 200);
    let header = |k: &str| {
        r.headers()
            .get(k)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    assert_eq!(header("x-accel-buffering").as_deref(), Some("no"));
    assert!(header("content-type").is_some_and(|c| c.starts_with("text/plain")));
    let body = r.text().await.expect("body");
    let text = stream_text(&body);
    assert_eq!(text, "Echo: Stream me please");
    assert!(
        body.lines().count() > 2,
        "streamed in several chunks: {body}"
    );
    assert_eq!(stub.requests()[0].body["stream"], Value::Bool(true));
    let (status, next) = app
        .post(
            &format!("/api/v1/sessions/{sid}/continueChat"),
            &json!({"message": {"type": "text", "text": text}}),
        )
        .await;
    assert_eq!(status, 200, "{next}");
    assert_eq!(next["input"]["id"], "q2", "{next}");
    let shown = crate::setup::texts(&next);
    assert!(
        shown[0].starts_with("Tokens:"),
        "the streamed bubble is not sent again: {shown:?}"
    );
}

#[tokio::test]
async fn an_openai_answer_streams_to_the_player_and_the_chat_goes_on() {
    streams_and_continues("openai", "openai").await;
}

#[tokio::test]
async fn an_anthropic_answer_streams_too() {
    streams_and_continues("anthropic", "anthropic").await;
}

#[tokio::test]
async fn sessions_not_waiting_for_a_stream_are_refused() {
    let app = app().await;
    let flow = ai_bot("no-stream", forge_block("openai", "cred", "m"));
    let (status, _) = app.publish("no-stream", &flow).await;
    assert_eq!(status, 200);
    let (_, start) = app
        .post(
            "/api/v1/typebots/no-stream/startChat",
            &json!({"isStreamEnabled": true}),
        )
        .await;
    let sid = start["sessionId"].as_str().expect("sid");
    let r = stream_message(&app, sid).await;
    assert_eq!(r.status().as_u16(), 409);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["code"], "session_not_streaming");
    let r = stream_message(&app, "unknown-session").await;
    assert_eq!(r.status().as_u16(), 404);
}

#[tokio::test]
async fn a_client_that_disconnects_stops_the_upstream_request() {
    let stub = llm_stub::start(Duration::from_millis(5)).await;
    let app = app().await;
    openai_credentials(&app, "cred", "openai", &stub.base_url).await;
    let flow = ai_bot("endless", forge_block("openai", "cred", "endless"));
    let (sid, _) = chat_to_ai(&app, &flow, "Go on forever", true).await;
    let mut r = stream_message(&app, &sid).await;
    for _ in 0..3 {
        r.chunk().await.expect("chunk").expect("more");
    }
    let gone = Instant::now();
    drop(r);
    // A generous bound (no timing assertion here): scripts/load-streams.sh measures how
    // soon, under load; the endless stream would otherwise never end.
    let deadline = gone + Duration::from_secs(2);
    while stub.disconnects().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert_eq!(
        stub.disconnects().len(),
        1,
        "the upstream request was stopped within 2 s"
    );
}
