//! The per-turn tracing span: every turn runs in a `turn` span carrying the flow id, the
//! session id, the revision and the number of blocks run; and the server's JSON logs. A test binary of its own: tracing's
//! callsite interest is cached process-wide, and other tests hitting the span first in the same
//! process made this check flaky.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::core::core;
use tessera::conversation::{Caller, FlowChoice, StartOptions};

/// Collects what the subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut g) = self.0.lock() {
            g.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn every_turn_runs_in_a_span_with_flow_session_revision_and_blocks() {
    let core = core().await;
    let out = Captured::default();
    let writer = out.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let start = core
        .start(
            FlowChoice::Published("core".into()),
            StartOptions::default(),
            &Caller::default(),
        )
        .await
        .expect("starts");
    let logged =
        String::from_utf8(out.0.lock().map(|g| g.clone()).unwrap_or_default()).unwrap_or_default();
    let line = logged
        .lines()
        .find(|l| l.contains("turn{"))
        .unwrap_or_else(|| panic!("no turn span in {logged:?}"));
    assert!(line.contains("flow_id=core-bot"), "{line}");
    assert!(
        line.contains(&format!("session_id={}", start.session_id)),
        "{line}"
    );
    assert!(
        line.contains(&format!("revision={}", start.flow.revision)),
        "{line}"
    );
    assert!(line.contains("blocks=2"), "{line}");
}

/// `serve --log-format json`: one JSON object per line, and every line logged while serving a
/// request carries its request id (the `request` span's fields), the turn's lines the turn span's
/// too.
#[tokio::test]
async fn json_logs_carry_the_request_id_on_every_line_of_a_request() {
    use common::bots::{bot, input, text, var};
    use common::cli::{Served, TempDir};
    use serde_json::{Value, json};
    use std::time::Duration;

    let dir = TempDir::new("json-logs");
    // An unsupported block: the turn logs a line of its own besides the access line.
    let flow = bot(
        "json-logs",
        json!([
            {"id": "future", "type": "some block of a later Typebot"},
            text("hi", "Hi"),
            input("q", "text input", "v-a")
        ]),
        json!([var("v-a", "A")]),
    );
    dir.file("json-logs.json", &flow.to_string());
    let dir_arg = dir.0.display().to_string();
    let mut served = Served::start(&["--flows", &dir_arg, "--log-format", "json"]);
    let logs = served.wait_for_log("listening on", Duration::from_secs(20));
    let port = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find_map(|l| l["fields"]["port"].as_u64())
        .unwrap_or_else(|| panic!("no port field in {logs}"));
    // The server runs in its own process: this one installs the TLS provider reqwest needs.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let r = reqwest::Client::new()
        .post(format!(
            "http://127.0.0.1:{port}/api/v1/typebots/json-logs/startChat"
        ))
        .header("x-request-id", "json-log-req-1")
        .json(&json!({}))
        .send()
        .await
        .expect("start");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-request-id"], "json-log-req-1");
    let logs = served.wait_for_log("\"status\":200", Duration::from_secs(10));
    let lines: Vec<Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let of_request: Vec<&Value> = lines
        .iter()
        .filter(|l| {
            l["spans"].as_array().is_some_and(|spans| {
                spans
                    .iter()
                    .any(|s| s["name"] == "request" && s["request_id"] == "json-log-req-1")
            })
        })
        .collect();
    let messages: Vec<&str> = of_request
        .iter()
        .filter_map(|l| l["fields"]["message"].as_str())
        .collect();
    assert!(
        messages.contains(&"skipping unsupported block") && messages.contains(&"request"),
        "the turn's line and the access line, both with the request id: {messages:?}\n{logs}"
    );
    let skipped = of_request
        .iter()
        .find(|l| l["fields"]["message"] == "skipping unsupported block")
        .expect("line");
    assert_eq!(skipped["span"]["name"], "turn");
    assert_eq!(skipped["span"]["flow_id"], "json-logs");
    // The id is nowhere but in the request's span.
    let with_id = logs
        .lines()
        .filter(|l| l.contains("json-log-req-1"))
        .count();
    assert_eq!(with_id, of_request.len());
}
