//! What the scenarios share: the HTTP client and the requests they send to a [`Server`], reading
//! results, the step assertion, and the bots they publish.

use std::time::Duration;

use serde_json::{Value, json};
use tessera::ids::new_id as id;

use crate::common::bots;
use crate::common::http::{json_or_text, parse, post_raw};
use crate::common::replies::{input_id, said_by_paragraph};
use crate::server::{Server, TOKEN};

pub fn client() -> reqwest::Client {
    // reqwest is built without a default TLS provider (plain HTTP here, but it needs one).
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .expect("HTTP client")
}

pub async fn start(c: &reqwest::Client, s: &Server, public_id: &str) -> (u16, Value) {
    let url = s.url(&format!("/api/v1/typebots/{public_id}/startChat"));
    parse(&post_raw(c.clone(), url, "{}".into(), None).await)
}

pub fn continue_url(s: &Server, sid: &str) -> String {
    s.url(&format!("/api/v1/sessions/{sid}/continueChat"))
}

pub fn message(text: &str) -> String {
    json!({ "message": text }).to_string()
}

pub async fn answer(c: &reqwest::Client, s: &Server, sid: &str, text: &str) -> (u16, Value) {
    parse(&post_raw(c.clone(), continue_url(s, sid), message(text), None).await)
}

pub async fn authed(
    c: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut rb = c.request(method, &url).bearer_auth(TOKEN);
    if let Some(b) = body {
        rb = rb.json(b);
    }
    let r = rb.send().await.unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = r.status().as_u16();
    (status, json_or_text(r.text().await.expect("body")))
}

pub async fn publish(c: &reqwest::Client, s: &Server, flow: &Value) -> Value {
    let id = flow["id"].as_str().expect("bot id");
    let url = s.url(&format!("/api/v1/flows/{id}"));
    let (status, body) = authed(c, reqwest::Method::PUT, url, Some(flow)).await;
    assert_eq!(status, 200, "publishing {id} on {}: {body}", s.name);
    body
}

pub async fn results(c: &reqwest::Client, s: &Server, flow_id: &str) -> Value {
    let url = s.url(&format!("/api/v1/flows/{flow_id}/results"));
    let (status, body) = authed(c, reqwest::Method::GET, url, None).await;
    assert_eq!(status, 200, "results of {flow_id}: {body}");
    body
}

/// The result `result_id` of a results page.
pub fn result_of<'a>(page: &'a Value, result_id: &str) -> &'a Value {
    page["results"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["id"] == result_id))
        .unwrap_or_else(|| panic!("result {result_id} not in {page}"))
}

/// (key, content) of every answer of a result, in order.
pub fn answers(result: &Value) -> Vec<(String, String)> {
    result["answers"]
        .as_array()
        .unwrap_or_else(|| panic!("no answers in {result}"))
        .iter()
        .map(|a| {
            (
                a["key"].as_str().unwrap_or_default().to_string(),
                a["content"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A 200 whose messages are `texts` and which waits for input `next` (None: the end).
#[track_caller]
pub fn assert_step(got: &(u16, Value), texts: &[&str], next: Option<&str>) {
    assert_eq!(got.0, 200, "{}", got.1);
    assert_eq!(said_by_paragraph(&got.1), texts, "{}", got.1);
    assert_eq!(input_id(&got.1), next, "{}", got.1);
}

/// A text input saving its answer in `var`.
pub fn input(id: &str, var: &str) -> Value {
    bots::input(id, "text input", var)
}

/// A v6 bot published under `public_id`: the start event leads to one group holding `blocks`;
/// variables `v-<name>`.
pub fn bot(id: &str, public_id: &str, blocks: Value, vars: &[&str]) -> Value {
    let variables: Vec<Value> = vars
        .iter()
        .map(|v| bots::var(&format!("v-{v}"), v))
        .collect();
    let mut bot = bots::bot(id, blocks, Value::Array(variables));
    bot["publicId"] = json!(public_id);
    bot
}

/// [`bots::three_questions`] published under `public_id`.
pub fn three_questions(id: &str, public_id: &str) -> Value {
    let mut bot = bots::three_questions(id);
    bot["publicId"] = json!(public_id);
    bot
}

/// A unique (flow id, public id) pair.
pub fn ids(tag: &str) -> (String, String) {
    let n = id();
    (format!("rapi-{tag}-{n}"), format!("rapi-{tag}-pub-{n}"))
}
