//! clientLogs (v1 and v2): saved on the result, truncated, refused for unknown, finished, preview
//! or other-origin sessions, accepted while a turn runs.

use std::time::Duration;

use serde_json::json;

use crate::common::app::{TOKEN, spawn_app, spawn_app_with};
use crate::common::bots::{bot, input, text, var, webhook};
use crate::common::http::into_json;
use crate::common::http_stub::slow_server;
use crate::common::replies::{assert_error, session_id};
use crate::support::{greeter, preview, publish, results, start};

#[tokio::test]
async fn client_logs_v1_and_v2_are_saved_on_the_result() {
    let app = spawn_app().await;
    publish(&app, &greeter("logs")).await;
    let (_, s) = start(&app, "logs", json!({})).await;
    let sid = session_id(&s);
    for (version, description) in [("v1", "from v1"), ("v2", "from v2")] {
        let (status, body) = app
            .post(
                &format!("/api/{version}/sessions/{sid}/clientLogs"),
                &json!({"clientLogs": [{"status": "error", "description": description,
                                        "details": {"line": 3}, "context": "player"}]}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body, json!({"message": "Logs successfully saved."}));
    }
    let r = results(&app, "logs").await;
    let logs = r["results"][0]["logs"].as_array().expect("logs").clone();
    let descriptions: Vec<&str> = logs
        .iter()
        .filter_map(|l| l["description"].as_str())
        .collect();
    assert_eq!(descriptions, ["from v1", "from v2"]);
    assert_eq!(logs[0]["details"], json!({"line": 3}));
    assert_eq!(logs[0]["context"], "player");
}

#[tokio::test]
async fn client_logs_truncate_long_details() {
    let app = spawn_app().await;
    publish(&app, &greeter("longlogs")).await;
    let (_, s) = start(&app, "longlogs", json!({})).await;
    let (status, _) = app
        .post(
            &format!("/api/v2/sessions/{}/clientLogs", session_id(&s)),
            &json!({"clientLogs": [{"description": "big", "details": "x".repeat(10_000)}]}),
        )
        .await;
    assert_eq!(status, 200);
    let r = results(&app, "longlogs").await;
    let details = r["results"][0]["logs"][0]["details"]
        .as_str()
        .expect("details");
    assert_eq!(details.chars().count(), 4096);
}

#[tokio::test]
async fn client_logs_return_404_for_an_unknown_or_finished_session() {
    let app = spawn_app().await;
    let logs = json!({"clientLogs": [{"description": "x"}]});
    for version in ["v1", "v2"] {
        let got = app
            .post(&format!("/api/{version}/sessions/nope/clientLogs"), &logs)
            .await;
        assert_error(&got, 404, "session_not_found");
    }
    publish(&app, &bot("short", json!([text("t", "hi")]), json!([]))).await;
    let (_, s) = start(&app, "short", json!({})).await;
    let got = app
        .post(
            &format!("/api/v2/sessions/{}/clientLogs", session_id(&s)),
            &logs,
        )
        .await;
    assert_error(&got, 404, "session_not_found");
}

#[tokio::test]
async fn client_logs_return_404_result_not_found_for_a_preview_session() {
    let app = spawn_app().await;
    publish(&app, &greeter("pv-logs")).await;
    let (_, body) = preview(&app, "pv-logs", Some(TOKEN), json!({})).await;
    let got = app
        .post(
            &format!("/api/v2/sessions/{}/clientLogs", session_id(&body)),
            &json!({"clientLogs": [{"description": "x"}]}),
        )
        .await;
    assert_error(&got, 404, "result_not_found");
}

#[tokio::test]
async fn client_logs_return_400_when_client_logs_is_missing_or_not_a_list() {
    let app = spawn_app().await;
    publish(&app, &greeter("badlogs")).await;
    let (_, s) = start(&app, "badlogs", json!({})).await;
    let path = format!("/api/v2/sessions/{}/clientLogs", session_id(&s));
    let got = app.post(&path, &json!({})).await;
    assert_error(&got, 400, "invalid_request");
    assert!(
        got.1["message"]
            .as_str()
            .is_some_and(|m| m.contains("clientLogs"))
    );
    let got = app.post(&path, &json!({"clientLogs": "boom"})).await;
    assert_error(&got, 400, "invalid_request");
    assert_eq!(got.1["details"]["field"], "clientLogs");
    let got = app
        .post(&path, &json!({"clientLogs": [{"status": "error"}]}))
        .await;
    assert_error(&got, 400, "invalid_request");
}

#[tokio::test]
async fn client_logs_are_accepted_while_a_turn_of_the_session_runs() {
    let slow = slow_server(Duration::from_millis(800)).await;
    let app = spawn_app_with(|c| c.http_allowed_hosts = vec!["127.0.0.1".into()]).await;
    let b = bot(
        "logs-busy",
        json!([
            input("q1", "text input", "v-a"),
            webhook("http", &slow),
            input("q2", "text input", "v-b")
        ]),
        json!([var("v-a", "A"), var("v-b", "B")]),
    );
    publish(&app, &b).await;
    let (_, body) = start(&app, "logs-busy", json!({})).await;
    let sid = session_id(&body);
    let turn = {
        let client = app.client.clone();
        let url = format!("{}/api/v1/sessions/{sid}/continueChat", app.base);
        tokio::spawn(async move { client.post(url).json(&json!({"message": "a"})).send().await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (status, body) = app
        .post(
            &format!("/api/v2/sessions/{sid}/clientLogs"),
            &json!({"clientLogs": [{"status": "info", "description": "during the turn"}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let r = turn.await.expect("task").expect("turn");
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test]
async fn client_logs_from_a_disallowed_origin_are_refused() {
    let app = spawn_app().await;
    let mut b = greeter("logs-origin");
    b["settings"] = json!({"security": {"allowedOrigins": ["https://good.example"]}});
    publish(&app, &b).await;
    let (_, body) = start(&app, "logs-origin", json!({})).await;
    let sid = session_id(&body);
    let r = app
        .client
        .post(format!("{}/api/v2/sessions/{sid}/clientLogs", app.base))
        .header("origin", "https://evil.example")
        .json(&json!({"clientLogs": [{"description": "x"}]}))
        .send()
        .await
        .expect("request");
    assert_error(&into_json(r).await, 403, "origin_not_allowed");
}
