//! What the API tests share: the greeter bot and the requests they send (publish, startChat,
//! continueChat, preview, and plain GET, DELETE and POST with headers).

use serde_json::{Value, json};

use crate::common::app::{TOKEN, TestApp};
use crate::common::bots::{bot, input, text, var};
use crate::common::http::into_json;

/// Says hello, asks a name, says it, asks an email, says bye.
pub fn greeter(id: &str) -> Value {
    bot(
        id,
        json!([
            text("t-hello", "Hello {{Name}}"),
            input("i-name", "text input", "v-name"),
            text("t-nice", "Nice to meet you {{Name}}"),
            input("i-email", "email input", "v-email"),
            text("t-bye", "Bye {{Email}}")
        ]),
        json!([var("v-name", "Name"), var("v-email", "Email")]),
    )
}

pub async fn publish(app: &TestApp, b: &Value) {
    let id = b["id"].as_str().expect("bot id");
    let (status, body) = app.publish(id, b).await;
    assert_eq!(status, 200, "publishing {id}: {body}");
}

pub async fn start(app: &TestApp, public_id: &str, body: Value) -> (u16, Value) {
    app.post(&format!("/api/v1/typebots/{public_id}/startChat"), &body)
        .await
}

pub async fn cont(app: &TestApp, session: &str, body: Value) -> (u16, Value) {
    app.post(&format!("/api/v1/sessions/{session}/continueChat"), &body)
        .await
}

pub async fn preview(app: &TestApp, id: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut rb = app
        .client
        .post(format!(
            "{}/api/v1/typebots/{id}/preview/startChat",
            app.base
        ))
        .json(&body);
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    into_json(rb.send().await.expect("request")).await
}

/// A request with extra headers; the response as (status, JSON or text).
pub async fn post_with(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let mut rb = app
        .client
        .post(format!("{}{path}", app.base))
        .header("content-type", "application/json")
        .body(body);
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    into_json(rb.send().await.expect("request")).await
}

pub async fn get(app: &TestApp, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut rb = app.client.get(format!("{}{path}", app.base));
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    rb.send().await.expect("request")
}

pub async fn delete(app: &TestApp, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut rb = app.client.delete(format!("{}{path}", app.base));
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    into_json(rb.send().await.expect("request")).await
}

pub async fn results(app: &TestApp, flow: &str) -> Value {
    let r = get(app, &format!("/api/v1/flows/{flow}/results"), Some(TOKEN)).await;
    assert_eq!(r.status().as_u16(), 200);
    r.json().await.expect("results JSON")
}
