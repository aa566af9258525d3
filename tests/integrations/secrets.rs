//! Secrets never leave in clear: every log line (captured at trace level), every response of a
//! scenario using credentials (stored, shown, used, streamed, failing), and the stored value
//! itself (read raw from Redis when one answers).

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::json;

use crate::common::app::TOKEN;
use crate::common::llm_stub::{self, API_KEY};
use crate::common::redis_env::{
    SHARED_REDIS_VAR, raw_connect, required_by, scan, shared_redis_url,
};
use crate::setup::{ai_bot, app_with, chat_to_ai, forge_block, put_credentials};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("logs").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every log line of this test process, from the first call on.
fn logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        captured
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_response_log_line_or_stored_value_holds_a_secret_in_clear() {
    let logs = logs();
    let redis = raw_connect(&shared_redis_url()).ok();
    if redis.is_none() {
        assert!(!required_by(SHARED_REDIS_VAR), "Redis is required here");
    }
    let store = redis.as_ref().map(|_| shared_redis_url());
    let app = app_with(|c| {
        if let Some(url) = &store {
            c.store = url.clone();
        }
    })
    .await;
    let stub = llm_stub::start(Duration::from_millis(1)).await;
    let mut seen = String::new();
    let id = format!("leak-{}", tessera::ids::new_id());
    let (status, body) = put_credentials(
        &app,
        &id,
        &json!({"type": "openai", "data": {"apiKey": API_KEY, "baseUrl": stub.base_url}}),
    )
    .await;
    assert_eq!(status, 200);
    seen.push_str(&body.to_string());
    let r = app
        .client
        .get(format!("{}/api/v1/credentials/{id}", app.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("get");
    seen.push_str(&r.text().await.expect("body"));
    let flow = ai_bot(&format!("b{id}"), forge_block("openai", &id, "m"));
    let (_, turn) = chat_to_ai(&app, &flow, "Hi", false).await;
    seen.push_str(&turn.to_string());
    let (sid, turn) = chat_to_ai(&app, &flow, "Stream", true).await;
    seen.push_str(&turn.to_string());
    let r = app
        .client
        .post(format!("{}/api/v2/sessions/{sid}/streamMessage", app.base))
        .json(&json!({}))
        .send()
        .await
        .expect("stream");
    seen.push_str(&r.text().await.expect("body"));
    // A failing call (the provider refuses a key) must not echo the key either.
    let (_, body) = put_credentials(
        &app,
        &id,
        &json!({"type": "openai", "data": {"apiKey": format!("{API_KEY}-wrong"), "baseUrl": stub.base_url}}),
    )
    .await;
    seen.push_str(&body.to_string());
    let (_, turn) = chat_to_ai(&app, &flow, "Hi", false).await;
    seen.push_str(&turn.to_string());
    assert!(!stub.requests().is_empty(), "the provider was called");
    assert!(!seen.contains(API_KEY), "a response holds the key: {seen}");
    let logged = String::from_utf8_lossy(&logs.0.lock().expect("logs")).into_owned();
    assert!(!logged.is_empty(), "logs were captured");
    assert!(!logged.contains(API_KEY), "a log line holds the key");
    if let Some(mut con) = redis {
        let keys = scan(&mut con, &format!("tessera:{{cred}}:{id}"));
        assert_eq!(keys.len(), 1, "the credential is stored");
        let raw: String = redis::cmd("GET")
            .arg(&keys[0])
            .query(&mut con)
            .expect("GET");
        assert!(
            !raw.contains(API_KEY) && !raw.contains("sk-test"),
            "stored in clear: {raw}"
        );
        assert!(!raw.contains(&stub.base_url), "the whole data is sealed");
        let _: () = redis::cmd("DEL")
            .arg(&keys[0])
            .query(&mut con)
            .expect("DEL");
    }
}
