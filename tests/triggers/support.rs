//! What the trigger tests share: a server, the bots they publish, trigger creation, posting
//! events and waiting for them to be processed.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::app::{TOKEN, TestApp, spawn_app_with};
use crate::common::bots::{bot, input, text, var};
use crate::common::http::into_json;

/// A server on the in-memory store, or on `store` (a Redis URL), with two workers.
pub async fn app_on(store: Option<&str>) -> TestApp {
    let store = store.map(str::to_string);
    spawn_app_with(move |c| {
        c.trigger_workers = 2;
        if let Some(s) = store {
            c.store = s;
        }
    })
    .await
}

pub fn private_redis() -> Option<crate::common::redis_server::PrivateRedis> {
    use crate::common::redis_env::{SHARED_REDIS_VAR, required_by};
    crate::common::redis_server::PrivateRedis::start(None, required_by(SHARED_REDIS_VAR))
}

/// A unique bot id / public id.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", tessera::ids::new_id())
}

/// Asks a text (saved as `T`), says "got {{T}} from {{name}}", and asks again, forever.
pub fn echo_bot(id: &str) -> Value {
    let mut b = bot(
        id,
        json!([
            input("i-t", "text input", "v-t"),
            text("t-echo", "got {{T}} from {{name}}"),
            {"id": "j", "type": "Jump", "options": {"groupId": "g-main"}}
        ]),
        json!([
            var("v-t", "T"),
            var("v-name", "name"),
            var("v-email", "email")
        ]),
    );
    b["publicId"] = json!(id);
    b
}

/// A bot whose only group jumps to itself: the step budget ends its turn as failed.
pub fn looping_bot(id: &str) -> Value {
    let mut b = bot(
        id,
        json!([text("t-loop", "again"), {"id": "j", "type": "Jump", "options": {"groupId": "g-main"}}]),
        json!([]),
    );
    b["publicId"] = json!(id);
    b
}

/// A request with `token` (API token or trigger secret), optional idempotency key and body.
pub async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    key: Option<&str>,
    body: Option<&Value>,
) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut rb = app.client.request(method, format!("{}{path}", app.base));
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    if let Some(k) = key {
        rb = rb.header("idempotency-key", k);
    }
    if let Some(b) = body {
        rb = rb.json(b);
    }
    into_json(rb.send().await.expect("request")).await
}

/// Publishes a bot.
pub async fn publish(app: &TestApp, b: &Value) {
    let id = b["id"].as_str().expect("bot id");
    let (status, body) = app.publish(id, b).await;
    assert_eq!(status, 200, "publishing {id}: {body}");
}

/// A trigger on `flow` with extra fields; its id and secret.
pub async fn create_trigger(app: &TestApp, flow: &str, extra: Value) -> (String, String) {
    let mut body = json!({"flow": flow});
    if let (Some(o), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    let (status, t) = call(
        app,
        "POST",
        "/api/v1/integration/triggers",
        Some(TOKEN),
        None,
        Some(&body),
    )
    .await;
    assert_eq!(status, 201, "{t}");
    let id = t["id"].as_str().expect("id").to_string();
    let secret = t["secret"].as_str().expect("secret").to_string();
    (id, secret)
}

/// Posts an event; status and body.
pub async fn post_event(app: &TestApp, trigger: &str, secret: &str, body: &Value) -> (u16, Value) {
    let path = format!("/api/v1/integration/trigger/{trigger}/event");
    call(app, "POST", &path, Some(secret), None, Some(body)).await
}

/// The trigger's whole event log (every page).
pub async fn all_events(app: &TestApp, trigger: &str, filter: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let c = cursor
            .as_ref()
            .map(|c| format!("&cursor={c}"))
            .unwrap_or_default();
        let path = format!("/api/v1/integration/trigger/{trigger}/events?limit=1000{filter}{c}");
        // A page reads up to 1,000 records in one pipeline: on a loaded machine that may pass
        // the store's 500 ms command timeout (503), which a client retries.
        let mut tries = 0;
        let page = loop {
            let (status, page) = call(app, "GET", &path, Some(TOKEN), None, None).await;
            tries += 1;
            if status == 503 && tries < 10 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            assert_eq!(status, 200, "{page}");
            break page;
        };
        out.extend(page["events"].as_array().cloned().unwrap_or_default());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
    }
}

/// Waits until every event of the trigger is done or failed (at most `within`).
pub async fn settled(
    app: &TestApp,
    trigger: &str,
    expected: usize,
    within: Duration,
) -> Vec<Value> {
    let deadline = Instant::now() + within;
    loop {
        let events = all_events(app, trigger, "").await;
        let finished = events
            .iter()
            .filter(|e| matches!(e["status"].as_str(), Some("done" | "failed")))
            .count();
        if events.len() >= expected && finished == events.len() {
            return events;
        }
        assert!(
            Instant::now() < deadline,
            "not settled: {finished}/{} of {expected}",
            events.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The user texts and bot texts of a session's transcript, in order.
pub async fn transcript(app: &TestApp, trigger: &str, session: &str) -> Vec<String> {
    let path = format!("/api/v1/integration/trigger/{trigger}/sessions/{session}");
    let (status, t) = call(app, "GET", &path, Some(TOKEN), None, None).await;
    assert_eq!(status, 200, "{t}");
    t["transcript"]
        .as_array()
        .expect("transcript")
        .iter()
        .map(|e| match e["role"].as_str() {
            Some("user") => format!("user:{}", e["text"].as_str().unwrap_or_default()),
            _ => format!("bot:{}", bubble_text(&e["message"])),
        })
        .collect()
}

/// The plain text of a text bubble.
pub fn bubble_text(m: &Value) -> String {
    m["content"]["richText"][0]["children"]
        .as_array()
        .map(|c| c.iter().filter_map(|n| n["text"].as_str()).collect())
        .unwrap_or_default()
}
