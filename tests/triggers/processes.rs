//! Durability on Redis with real `tessera serve` processes: a process killed with SIGKILL
//! while it runs events leaves none lost, none run twice and every session in order, once
//! another process takes over; and two processes share the work without running an event
//! twice.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::app::{TOKEN, TestApp};
use crate::common::cli::Served;
use crate::support::{all_events, echo_bot, transcript, unique};

const SESSIONS: usize = 100;
const PER_SESSION: usize = 10;

/// A `tessera serve` on `redis` with `workers` trigger workers and a short visibility timeout.
fn serve(redis: &str, workers: usize) -> (Served, TestApp) {
    // reqwest is built without a default TLS provider (as in tests/redis_api).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut served = Served::start_with_env(
        &["--store", redis],
        &[
            ("TESSERA_API_TOKEN", TOKEN),
            ("TESSERA_TRIGGER_WORKERS", &workers.to_string()),
            ("TESSERA_TRIGGER_VISIBILITY_TIMEOUT_MS", "1500"),
            (
                "TESSERA_LOG",
                "warn,tessera::cli=info,tessera::conversation::triggers::worker=debug",
            ),
        ],
    );
    let base = served.base();
    (
        served,
        TestApp {
            base,
            client: reqwest::Client::new(),
        },
    )
}

/// Publishes the echo bot, creates a trigger, and accepts `PER_SESSION` events in each of
/// `SESSIONS` sessions (interleaved); the trigger, its secret, and each session's texts.
async fn accept_all(app: &TestApp) -> (String, String, HashMap<String, Vec<String>>) {
    let flow = unique("echo");
    let (status, body) = app.publish(&flow, &echo_bot(&flow)).await;
    assert_eq!(status, 200, "{body}");
    let (id, secret) = crate::support::create_trigger(app, &flow, json!({})).await;
    let sessions: Vec<String> = (0..SESSIONS).map(|_| tessera::ids::new_id()).collect();
    let mut sent: HashMap<String, Vec<String>> = HashMap::new();
    for n in 0..PER_SESSION {
        let mut posts = Vec::new();
        for (i, s) in sessions.iter().enumerate() {
            let text = format!("s{i}-e{n}");
            sent.entry(s.clone()).or_default().push(text.clone());
            let body = json!({"text": text, "session": s});
            let (app, id, secret) = (
                app.client.clone(),
                format!("{}/api/v1/integration/trigger/{id}/event", app.base),
                secret.clone(),
            );
            posts.push(tokio::spawn(async move {
                let r = app
                    .post(id)
                    .bearer_auth(secret)
                    .json(&body)
                    .send()
                    .await
                    .expect("post");
                r.status().as_u16()
            }));
        }
        for p in posts {
            assert_eq!(p.await.expect("join"), 202);
        }
    }
    (id, secret, sent)
}

/// Every event done exactly once, and each session's transcript its texts in order.
async fn check_all_done_in_order(app: &TestApp, id: &str, sent: &HashMap<String, Vec<String>>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let events = loop {
        let events = all_events(app, id, "").await;
        let done = events.iter().filter(|e| e["status"] == "done").count();
        if done == SESSIONS * PER_SESSION {
            break events;
        }
        assert!(
            Instant::now() < deadline,
            "only {done} done of {}",
            events.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(events.len(), SESSIONS * PER_SESSION);
    for (session, texts) in sent {
        let t = transcript(app, id, session).await;
        let users: Vec<String> = t
            .iter()
            .filter_map(|l| l.strip_prefix("user:").map(str::to_string))
            .collect();
        assert_eq!(
            &users, texts,
            "session {session}: no duplicate, no gap, in order: {t:?}"
        );
        let bots = t.iter().filter(|l| l.starts_with("bot:got ")).count();
        assert_eq!(bots, texts.len(), "one reply per event: {t:?}");
    }
}

fn redis_url(redis: &crate::common::redis_server::PrivateRedis) -> String {
    redis.url()
}

#[tokio::test]
async fn a_killed_process_loses_no_event_and_runs_none_twice() {
    let Some(redis) = crate::support::private_redis() else {
        return;
    };
    let url = redis_url(&redis);
    // An API-only process accepts everything first.
    let (api, app) = serve(&url, 0);
    let (id, _, sent) = accept_all(&app).await;
    // A worker process starts on them and is killed mid-way.
    let (mut worker, _) = serve(&url, 4);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let done = all_events(&app, &id, "&status=done").await.len();
        if done >= SESSIONS * PER_SESSION / 5 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the worker did not start ({done} done)"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    worker.kill9();
    let done_at_kill = all_events(&app, &id, "&status=done").await.len();
    assert!(
        done_at_kill < SESSIONS * PER_SESSION,
        "killed while processing: {done_at_kill}"
    );
    // Another process takes over (reclaiming what the dead one left pending).
    let (_second, _) = serve(&url, 4);
    check_all_done_in_order(&app, &id, &sent).await;
    drop(api);
}

#[tokio::test]
async fn two_processes_share_the_work_without_running_an_event_twice() {
    let Some(redis) = crate::support::private_redis() else {
        return;
    };
    let url = redis_url(&redis);
    let (a, app) = serve(&url, 3);
    let (b, _) = serve(&url, 3);
    let (id, _, sent) = accept_all(&app).await;
    check_all_done_in_order(&app, &id, &sent).await;
    let ran = |s: &Served| s.logs().matches("trigger event ran").count();
    let (ran_a, ran_b) = (ran(&a), ran(&b));
    assert!(
        ran_a > 0 && ran_b > 0,
        "both processes worked: {ran_a} and {ran_b}"
    );
    assert_eq!(ran_a + ran_b, SESSIONS * PER_SESSION, "each event ran once");
}
