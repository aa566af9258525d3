//! Plain HTTP for the tests: a response as (status, JSON body, or the text as a JSON string
//! when it is not JSON), and a raw POST that sends a body byte for byte.

use serde_json::Value;

/// The body as JSON, or the text itself as a JSON string when it is not JSON.
pub fn json_or_text(text: String) -> Value {
    serde_json::from_str(&text).unwrap_or(Value::String(text))
}

/// The status and the body of a response ([`json_or_text`]).
pub async fn into_json(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    (status, json_or_text(text))
}

/// POSTs a JSON body (as given, byte for byte); the status and the raw response body.
pub async fn post_raw(
    client: reqwest::Client,
    url: String,
    body: String,
    idempotency_key: Option<String>,
) -> (u16, String) {
    let mut rb = client
        .post(&url)
        .header("content-type", "application/json")
        .body(body);
    if let Some(k) = idempotency_key {
        rb = rb.header("idempotency-key", k);
    }
    let r = rb
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    let status = r.status().as_u16();
    (status, r.text().await.expect("body"))
}

/// A [`post_raw`] answer with its body read by [`json_or_text`].
pub fn parse(raw: &(u16, String)) -> (u16, Value) {
    (raw.0, json_or_text(raw.1.clone()))
}
