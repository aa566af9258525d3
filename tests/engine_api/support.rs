//! What the engine API tests share: a server with both tokens, the bots they publish, and
//! the calls (trigger, resume, get, abort, conversation) with the engine token.

use serde_json::{Value, json};

use crate::common::app::{TOKEN, TestApp, spawn_app_with};
use crate::common::bots::{bot, input, text, var};
use crate::common::http::into_json;

pub const ENGINE_TOKEN: &str = "engine-test-token";
pub const DEFAULT_TENANT: &str = "00000000-0000-0000-0000-000000000000";

/// A server on the in-memory store, or on `store` (a Redis URL).
pub async fn app_on(store: Option<&str>) -> TestApp {
    let store = store.map(str::to_string);
    spawn_app_with(move |c| {
        c.engine_api_token = Some(ENGINE_TOKEN.into());
        c.http_allowed_hosts = vec!["127.0.0.1".into()];
        if let Some(s) = store {
            c.store = s;
        }
    })
    .await
}

pub async fn app() -> TestApp {
    app_on(None).await
}

/// A fresh tenant id.
pub fn tenant() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A unique bot id / public id.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", tessera::ids::new_id())
}

/// Hello, a name (text), an email (retried when invalid), a choice, bye.
pub fn order_bot(id: &str) -> Value {
    let mut b = bot(
        id,
        json!([
            text("t-hello", "Hello {{order_number}}"),
            input("i-name", "text input", "v-name"),
            input("i-email", "email input", "v-email"),
            {"id": "i-choice", "type": "choice input", "options": {"variableId": "v-pick"},
             "items": [{"id": "c-a", "content": "Alpha"}, {"id": "c-b", "content": "Beta"}]},
            text("t-bye", "Bye {{Name}}, you picked {{Pick}}")
        ]),
        json!([
            var("v-name", "Name"),
            var("v-email", "Email"),
            var("v-pick", "Pick"),
            var("v-order", "order_number"),
            var("v-page", "page_url")
        ]),
    );
    b["publicId"] = json!(id);
    b
}

/// A bot whose only group jumps to itself: the step budget ends it.
pub fn looping_bot(id: &str) -> Value {
    let mut b = bot(
        id,
        json!([text("t-loop", "again"), {"id": "j", "type": "Jump", "options": {"groupId": "g-main"}}]),
        json!([]),
    );
    b["publicId"] = json!(id);
    b
}

/// Says "before", waits `seconds` (pausing), calls `hook` (GET, when given: counts the
/// resumes), says "after", then asks a name.
pub fn wait_bot(id: &str, seconds: u32, hook: Option<&str>) -> Value {
    let mut blocks = vec![
        text("t-before", "before"),
        json!({"id": "w", "type": "Wait", "options": {"secondsToWaitFor": seconds.to_string(), "shouldPause": true}}),
    ];
    if let Some(url) = hook {
        blocks.push(crate::common::bots::webhook("hook", url));
    }
    blocks.push(text("t-after", "after"));
    blocks.push(input("i-name", "text input", "v-name"));
    let mut b = bot(id, Value::Array(blocks), json!([var("v-name", "Name")]));
    b["publicId"] = json!(id);
    b
}

/// Publishes a bot (into `tenant`, or the default tenant).
pub async fn publish(app: &TestApp, b: &Value, tenant: Option<&str>) {
    let id = b["id"].as_str().expect("bot id");
    let q = tenant
        .map(|t| format!("?tenant_id={t}"))
        .unwrap_or_default();
    let r = app
        .client
        .put(format!("{}/api/v1/flows/{id}{q}", app.base))
        .bearer_auth(TOKEN)
        .json(b)
        .send()
        .await
        .expect("publish");
    let (status, body) = into_json(r).await;
    assert_eq!(status, 200, "publishing {id}: {body}");
}

/// A request with the engine token (or `token`), optional idempotency key and JSON body.
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

pub async fn trigger(app: &TestApp, body: Value) -> (u16, Value) {
    call(
        app,
        "POST",
        "/api/v1/engine/triggers/chat",
        Some(ENGINE_TOKEN),
        None,
        Some(&body),
    )
    .await
}

pub async fn trigger_ok(app: &TestApp, tenant: &str, intent: &str, extra: Value) -> Value {
    let mut body = json!({"tenant_id": tenant, "intent_name": intent});
    if let (Some(o), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    let (status, env) = trigger(app, body).await;
    assert_eq!(status, 200, "{env}");
    env
}

pub async fn resume(app: &TestApp, tenant: &str, env: &Value, text: &str) -> (u16, Value) {
    let id = env["execution_id"].as_str().expect("execution id");
    let body = json!({"tenant_id": tenant, "wait_token": env["metadata"]["wait_token"], "input": {"text": text}});
    call(
        app,
        "POST",
        &format!("/api/v1/engine/executions/{id}/resume"),
        Some(ENGINE_TOKEN),
        None,
        Some(&body),
    )
    .await
}

pub async fn get_execution(app: &TestApp, tenant: &str, id: &str) -> (u16, Value) {
    call(
        app,
        "GET",
        &format!("/api/v1/engine/executions/{id}?tenant_id={tenant}"),
        Some(ENGINE_TOKEN),
        None,
        None,
    )
    .await
}

/// Aborts an execution as `tenant`.
pub async fn abort(app: &TestApp, tenant: &str, eid: &str) -> (u16, Value) {
    let body = json!({ "tenant_id": tenant });
    let path = format!("/api/v1/engine/executions/{eid}/abort");
    call(app, "POST", &path, Some(ENGINE_TOKEN), None, Some(&body)).await
}

/// A conversation as the engine API reads it for `tenant`.
pub async fn get_conversation(app: &TestApp, tenant: &str, id: &str) -> (u16, Value) {
    call(
        app,
        "GET",
        &format!("/api/v1/engine/conversations/{id}?tenant_id={tenant}"),
        Some(ENGINE_TOKEN),
        None,
        None,
    )
    .await
}

/// A request with a bearer token and an optional JSON body to one of several server
/// processes.
pub async fn send(
    c: &reqwest::Client,
    s: &crate::server::Server,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut rb = c.request(method, s.url(path)).bearer_auth(token);
    if let Some(b) = body {
        rb = rb.json(b);
    }
    into_json(rb.send().await.expect("request")).await
}

/// The web player's next turn on a session (continueChat with a text), which must answer 200.
pub async fn continue_ok(app: &TestApp, session_id: &str, text: &str) -> Value {
    let (status, reply) = app
        .post(
            &format!("/api/v1/sessions/{session_id}/continueChat"),
            &json!({ "message": text }),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    reply
}

/// The text of a start's first rich-text message.
pub fn first_said(run: &Value) -> String {
    run["messages"][0]["content"]["richText"][0]["children"]
        .as_array()
        .map(|c| c.iter().filter_map(|n| n["text"].as_str()).collect())
        .unwrap_or_default()
}

/// The error code of an error body.
pub fn code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or_default()
}

/// The texts of an envelope's text blocks.
pub fn texts(env: &Value) -> Vec<String> {
    env["blocks"]
        .as_array()
        .map(|b| {
            b.iter()
                .filter(|b| b["type"] == "text")
                .filter_map(|b| b["payload"]["text"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A private redis-server for this test (None: skip, when it is not installed and Redis tests
/// are not required).
pub fn private_redis() -> Option<crate::common::redis_server::PrivateRedis> {
    use crate::common::redis_env::{SHARED_REDIS_VAR, required_by};
    crate::common::redis_server::PrivateRedis::start(None, required_by(SHARED_REDIS_VAR))
}
