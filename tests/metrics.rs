//! `GET /metrics`: the exposition is scraped over HTTP before and after some turns and errors,
//! parsed, and each counter checked to have moved by what the requests did; and the three
//! ways of serving it (behind a token, open on its own listener, off). Metrics are per process,
//! so the tests of this binary run one at a time (each builds its own server).

mod common;

use std::collections::{BTreeMap, HashMap};

use common::app::TOKEN;
use common::bots::{bot, input, text, var};
use common::replies::session_id;
use serde_json::{Value, json};
use tessera::config::{Config, SecretString};
use tessera::server::Application;

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const METRICS_TOKEN: &str = "metrics-test-token";

/// A server on port 0; its base URL and the port of its metrics listener (if open).
async fn serve(tweak: impl FnOnce(&mut Config)) -> (String, Option<u16>) {
    let mut config = Config {
        host: "127.0.0.1".into(),
        port: 0,
        api_token: Some(TOKEN.into()),
        ..Config::default()
    };
    tweak(&mut config);
    let app = Application::build(config).await.expect("app builds");
    let (port, metrics) = (app.port(), app.metrics_port());
    tokio::spawn(app.run());
    (format!("http://127.0.0.1:{port}"), metrics)
}

/// The samples of an exposition, by `name{label="value",...}` with the labels sorted.
#[derive(Debug)]
struct Samples(HashMap<String, f64>);

/// A sample's key: the name and its labels, sorted.
fn key(name: &str, labels: &[(&str, &str)]) -> String {
    let sorted: BTreeMap<&str, &str> = labels.iter().copied().collect();
    let inner: Vec<String> = sorted.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    format!("{name}{{{}}}", inner.join(","))
}

/// Parses the Prometheus text format: `# HELP` / `# TYPE` comments and `name{labels} value`
/// samples (label values here never hold a quote, a comma or a brace).
fn parse(text: &str) -> Samples {
    let mut out = HashMap::new();
    for line in text.lines() {
        if line.is_empty() || line.starts_with("# HELP ") || line.starts_with("# TYPE ") {
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("not a sample: {line:?}"));
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            v => v
                .parse()
                .unwrap_or_else(|_| panic!("bad value in {line:?}")),
        };
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let rest = rest.strip_suffix('}').expect("closing brace");
                let labels: Vec<(&str, &str)> = rest
                    .split(',')
                    .filter(|l| !l.is_empty())
                    .map(|l| {
                        let (k, v) = l.split_once('=').expect("label=value");
                        (k, v.trim_matches('"'))
                    })
                    .collect();
                (name, labels)
            }
            None => (series, Vec::new()),
        };
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':'),
            "bad metric name in {line:?}"
        );
        out.insert(key(name, &labels), value);
    }
    Samples(out)
}

impl Samples {
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let k = key(name, labels);
        *self
            .0
            .get(&k)
            .unwrap_or_else(|| panic!("no sample {k} in the exposition"))
    }
}

async fn scrape(client: &reqwest::Client, url: &str) -> Samples {
    let r = client
        .get(url)
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .expect("scrape");
    assert_eq!(r.status(), 200);
    let ct = r.headers()["content-type"]
        .to_str()
        .expect("type")
        .to_string();
    assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
    parse(&r.text().await.expect("body"))
}

/// A bot that evaluates JavaScript in the sandbox (code the native fast path does not take),
/// then asks for a name, then says goodbye.
fn js_bot() -> Value {
    bot(
        "metrics-bot",
        json!([
            {"id": "sv", "type": "Set variable", "options": {"variableId": "v-x", "type": "Custom",
             "expressionToEvaluate": "const a = [6, 7]; return a.reduce((x, y) => x * y, 1)",
             "isCode": true}},
            text("hello", "Hello {{X}}"),
            input("q", "text input", "v-name"),
            text("bye", "Bye")
        ]),
        json!([var("v-x", "X"), var("v-name", "Name")]),
    )
}

#[tokio::test]
async fn turns_errors_requests_store_calls_and_js_evaluations_are_counted() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (base, _) = serve(|c| c.metrics_token = Some(SecretString(METRICS_TOKEN.into()))).await;
    let client = reqwest::Client::new();
    let metrics = format!("{base}/metrics");
    let r = client
        .put(format!("{base}/api/v1/flows/metrics-bot"))
        .bearer_auth(TOKEN)
        .json(&js_bot())
        .send()
        .await
        .expect("publish");
    assert_eq!(r.status(), 200);
    let before = scrape(&client, &metrics).await;

    let start = format!("{base}/api/v1/typebots/metrics-bot/startChat");
    let mut sessions = Vec::new();
    for _ in 0..2 {
        let r = client
            .post(&start)
            .json(&json!({}))
            .send()
            .await
            .expect("start");
        assert_eq!(r.status(), 200);
        sessions.push(session_id(&r.json().await.expect("json")));
    }
    let cont = |sid: &str| format!("{base}/api/v1/sessions/{sid}/continueChat");
    let r = client
        .post(cont(&sessions[0]))
        .json(&json!({"message": "Ada"}))
        .send()
        .await
        .expect("continue");
    assert_eq!(r.status(), 200);
    let r = client
        .post(cont("nosuchsession0000000000000"))
        .json(&json!({"message": "x"}))
        .send()
        .await
        .expect("continue unknown");
    assert_eq!(r.status(), 404);
    let r = client
        .get(format!("{base}/no/such/route"))
        .send()
        .await
        .expect("unknown route");
    assert_eq!(r.status(), 404);
    let after = scrape(&client, &metrics).await;

    let delta =
        |name: &str, labels: &[(&str, &str)]| after.get(name, labels) - before.get(name, labels);
    let turns = |outcome| {
        delta(
            "tessera_turns_total",
            &[("surface", "chat_api"), ("outcome", outcome)],
        )
    };
    assert_eq!(
        turns("waiting_input"),
        2.0,
        "two starts waiting for the name"
    );
    assert_eq!(
        turns("completed"),
        1.0,
        "one conversation answered to its end"
    );
    assert_eq!(turns("error"), 1.0, "the unknown session");
    assert_eq!(
        delta(
            "tessera_turn_duration_seconds_count",
            &[("surface", "chat_api")]
        ),
        4.0
    );
    let errors = |code| delta("tessera_http_errors_total", &[("code", code)]);
    assert_eq!(errors("session_not_found"), 1.0);
    assert_eq!(errors("route_not_found"), 1.0);
    assert_eq!(errors("internal_error"), 0.0);
    let start_route = [
        ("method", "POST"),
        ("route", "/api/v1/typebots/{publicId}/startChat"),
    ];
    let continue_route = [
        ("method", "POST"),
        ("route", "/api/v1/sessions/{sessionId}/continueChat"),
    ];
    let requests = |route: &[(&str, &str); 2], status| {
        let labels = [route[0], route[1], ("status", status)];
        delta("tessera_http_requests_total", &labels)
    };
    assert_eq!(requests(&start_route, "2xx"), 2.0);
    assert_eq!(requests(&continue_route, "2xx"), 1.0);
    assert_eq!(requests(&continue_route, "4xx"), 1.0);
    assert_eq!(
        delta(
            "tessera_http_request_duration_seconds_count",
            &continue_route
        ),
        2.0
    );
    let unmatched = [("method", "ANY"), ("route", "unmatched"), ("status", "4xx")];
    assert_eq!(delta("tessera_http_requests_total", &unmatched), 1.0);
    // The first scrape is itself a request of the /metrics route.
    let scrapes = [("method", "GET"), ("route", "/metrics"), ("status", "2xx")];
    assert_eq!(delta("tessera_http_requests_total", &scrapes), 1.0);
    let histogram_total = after.get(
        "tessera_http_request_duration_seconds_bucket",
        &[continue_route[0], continue_route[1], ("le", "+Inf")],
    );
    assert_eq!(
        histogram_total,
        after.get(
            "tessera_http_request_duration_seconds_count",
            &continue_route
        )
    );

    let store = |op| {
        delta(
            "tessera_store_operation_duration_seconds_count",
            &[("backend", "memory"), ("operation", op)],
        )
    };
    assert_eq!(
        store("create_with_result"),
        2.0,
        "each start creates its session"
    );
    assert_eq!(store("begin_turn"), 2.0, "the good and the unknown session");
    assert_eq!(store("save_turn"), 1.0);
    let js = |outcome| delta("tessera_js_evaluations_total", &[("outcome", outcome)]);
    assert_eq!(js("ok"), 2.0, "one evaluation per start");
    assert_eq!(js("exception"), 0.0);
    assert_eq!(
        delta("tessera_js_evaluation_duration_seconds_count", &[]),
        2.0
    );

    // One conversation still waits for its reply; the other ended.
    assert_eq!(
        after.get("tessera_sessions_active", &[("store", "memory")]),
        1.0
    );
    assert_eq!(
        after.get("tessera_queue_depth", &[("queue", "timers")]),
        0.0
    );
    assert_eq!(
        after.get("tessera_queue_lag_seconds", &[("queue", "timers")]),
        0.0
    );
}

#[tokio::test]
async fn the_trigger_events_waiting_are_the_events_queue_depth() {
    let _one = ONE_AT_A_TIME.lock().await;
    // No worker in this process: accepted events stay waiting.
    let (base, _) = serve(|c| {
        c.metrics_token = Some(SecretString(METRICS_TOKEN.into()));
        c.trigger_workers = 0;
    })
    .await;
    let client = reqwest::Client::new();
    let r = client
        .put(format!("{base}/api/v1/flows/metrics-bot"))
        .bearer_auth(TOKEN)
        .json(&js_bot())
        .send()
        .await
        .expect("publish");
    assert_eq!(r.status(), 200);
    let r = client
        .post(format!("{base}/api/v1/integration/triggers"))
        .bearer_auth(TOKEN)
        .json(&json!({"flow": "metrics-bot"}))
        .send()
        .await
        .expect("create trigger");
    assert_eq!(r.status(), 201);
    let t: Value = r.json().await.expect("json");
    let (id, secret) = (
        t["id"].as_str().expect("id"),
        t["secret"].as_str().expect("secret"),
    );
    let metrics = format!("{base}/metrics");
    let before = scrape(&client, &metrics).await;
    let waiting = before.get("tessera_queue_depth", &[("queue", "events")]);
    for text in ["one", "two", "three"] {
        let r = client
            .post(format!("{base}/api/v1/integration/trigger/{id}/event"))
            .bearer_auth(secret)
            .json(&json!({"text": text}))
            .send()
            .await
            .expect("event");
        assert_eq!(r.status(), 202);
    }
    let after = scrape(&client, &metrics).await;
    assert_eq!(
        after.get("tessera_queue_depth", &[("queue", "events")]) - waiting,
        3.0
    );
    // The events queue cannot tell its lag cheaply: no lag series rather than a made-up 0.
    assert!(
        !after
            .0
            .contains_key(&key("tessera_queue_lag_seconds", &[("queue", "events")])),
        "{after:?}"
    );
}

#[tokio::test]
async fn metrics_need_their_token_by_default() {
    let _one = ONE_AT_A_TIME.lock().await;
    // (The server installs the TLS crypto provider the test client needs.)
    let (base, port) = serve(|_| {}).await;
    let client = reqwest::Client::new();
    assert_eq!(port, None, "no separate listener unless open");
    let r = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.expect("json");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("TESSERA_METRICS_TOKEN")),
        "{body}"
    );
    let (base, _) = serve(|c| c.metrics_token = Some(SecretString(METRICS_TOKEN.into()))).await;
    for auth in [None, Some("wrong"), Some(TOKEN)] {
        let mut rb = client.get(format!("{base}/metrics"));
        if let Some(t) = auth {
            rb = rb.bearer_auth(t);
        }
        let r = rb.send().await.expect("get");
        assert_eq!(r.status(), 401, "token {auth:?}");
    }
    scrape(&client, &format!("{base}/metrics")).await;
}

#[tokio::test]
async fn open_metrics_are_served_on_their_own_listener_only_and_off_means_nowhere() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (base, port) = serve(|c| {
        c.metrics = "open".into();
        c.metrics_bind = "127.0.0.1:0".into();
    })
    .await;
    let client = reqwest::Client::new();
    let port = port.expect("a metrics listener");
    let r = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 404, "not on the main port");
    let r = client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    let samples = parse(&r.text().await.expect("body"));
    assert!(
        samples
            .0
            .keys()
            .any(|k| k.starts_with("tessera_turns_total{"))
    );
    let r = client
        .get(format!("http://127.0.0.1:{port}/api/v1/flows"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 404, "the metrics listener serves nothing else");

    let (base, port) = serve(|c| c.metrics = "off".into()).await;
    assert_eq!(port, None);
    let r = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["code"], "route_not_found");
    let bad = Config {
        metrics: "public".into(),
        port: 0,
        ..Config::default()
    };
    assert!(
        Application::build(bad).await.is_err(),
        "an unknown mode is refused"
    );
}

/// Every metric the Grafana dashboard (docs/grafana-dashboard.json) queries is one the server
/// exports.
#[tokio::test]
async fn the_dashboard_queries_only_exported_metrics() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (base, _) = serve(|c| c.metrics_token = Some(SecretString(METRICS_TOKEN.into()))).await;
    let text = reqwest::Client::new()
        .get(format!("{base}/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .expect("scrape")
        .text()
        .await
        .expect("body");
    let declared: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split(' ').next())
        .collect();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/grafana-dashboard.json");
    let dashboard: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("dashboard")).expect("JSON");
    let mut queried = 0;
    for panel in dashboard["panels"].as_array().expect("panels") {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = target["expr"].as_str().expect("expr");
            for name in expr
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|w| w.starts_with("tessera_"))
            {
                let family = ["_bucket", "_count", "_sum"]
                    .iter()
                    .find_map(|s| name.strip_suffix(s))
                    .unwrap_or(name);
                assert!(
                    declared.contains(&family) || declared.contains(&name),
                    "the dashboard queries {name}, which is not exported"
                );
                queried += 1;
            }
        }
    }
    assert!(queried >= 20, "{queried} metric references");
}
