//! Concurrent requests on one session or one idempotency key: exactly one turn runs.

use std::time::Duration;

use serde_json::json;

use crate::common::app::spawn_app_with;
use crate::common::bots::{bot, input, slow_questions, var, webhook};
use crate::common::http::{into_json, parse, post_raw};
use crate::common::http_stub::slow_server;
use crate::common::replies::{assert_error, session_id};
use crate::support::{cont, publish, results, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_continue_chat_on_one_session_lets_exactly_one_through() {
    let slow = slow_server(Duration::from_millis(1000)).await;
    let app = spawn_app_with(|c| c.http_allowed_hosts = vec!["127.0.0.1".into()]).await;
    publish(&app, &slow_questions("busy", &slow)).await;
    let (_, s) = start(&app, "busy", json!({})).await;
    let sid = session_id(&s);
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let client = app.client.clone();
            let url = format!("{}/api/v1/sessions/{sid}/continueChat", app.base);
            tokio::spawn(async move {
                let r = client
                    .post(url)
                    .json(&json!({ "message": format!("answer {i}") }))
                    .send()
                    .await
                    .expect("request");
                into_json(r).await
            })
        })
        .collect();
    let mut ok = Vec::new();
    let mut busy = 0;
    for t in tasks {
        let got = t.await.expect("task");
        match got.0 {
            200 => ok.push(got.1),
            _ => {
                assert_error(&got, 409, "session_busy");
                busy += 1;
            }
        }
    }
    assert_eq!((ok.len(), busy), (1, 9));
    assert_eq!(ok[0]["input"]["id"], "q2");
    // Exactly one step: the next answer goes to q2, and q1 was answered once.
    let (status, next) = cont(&app, &sid, json!({"message": "b"})).await;
    assert_eq!((status, next["input"]["id"].clone()), (200, json!("q3")));
    let r = results(&app, "busy").await;
    let answers = r["results"][0]["answers"].as_array().expect("answers");
    assert_eq!(answers.len(), 2, "{answers:?}");
    assert_eq!(r["results"][0]["variables"]["B"], "b");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_start_chat_retries_with_one_idempotency_key_create_one_session() {
    // The start turn calls a slow server, so the retries arrive while the first one runs.
    let slow = slow_server(Duration::from_millis(1000)).await;
    let app = spawn_app_with(|c| c.http_allowed_hosts = vec!["127.0.0.1".into()]).await;
    let b = bot(
        "idem-race",
        json!([webhook("http", &slow), input("q1", "text input", "v-a")]),
        json!([var("v-a", "A")]),
    );
    publish(&app, &b).await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let client = app.client.clone();
            let url = format!("{}/api/v1/typebots/idem-race/startChat", app.base);
            tokio::spawn(async move {
                parse(&post_raw(client, url, "{}".into(), Some("race-key".into())).await)
            })
        })
        .collect();
    let mut sessions = std::collections::BTreeSet::new();
    for t in tasks {
        let (status, body) = t.await.expect("task");
        if status == 200 {
            sessions.insert(session_id(&body));
        } else {
            // Retries that arrive while the first request runs are told to come back.
            assert_error(&(status, body), 409, "request_in_progress");
        }
    }
    assert_eq!(sessions.len(), 1, "one key, one session: {sessions:?}");
    let r = results(&app, "idem-race").await;
    assert_eq!(r["results"].as_array().map(Vec::len), Some(1), "one result");
}
