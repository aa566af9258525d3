//! `waiting_time`: a paused Wait block resumes by itself when its time is up, on the
//! in-process timer (memory) and on the Redis sorted set, exactly once with two server
//! processes on one Redis, and also after the process that created it was killed.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::app::TestApp;
use crate::common::http_stub::slow_server_counting;
use crate::server::{Server, TOKEN};
use crate::support::{
    ENGINE_TOKEN, app, app_on, get_execution, private_redis, publish, send, tenant, texts,
    trigger_ok, unique, wait_bot,
};

/// Polls GET until the execution is no longer `waiting_time` (at most `limit`).
async fn until_resumed(get: impl AsyncFn() -> Value, limit: Duration) -> (Value, Duration) {
    until_resumed_since(Instant::now(), get, limit).await
}

/// [`until_resumed`], the time counted from `t0`.
async fn until_resumed_since(
    t0: Instant,
    get: impl AsyncFn() -> Value,
    limit: Duration,
) -> (Value, Duration) {
    loop {
        let env = get().await;
        if env["status"] != "waiting_time" || t0.elapsed() > limit {
            return (env, t0.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Triggers the wait bot and checks the paused envelope.
async fn paused(app: &TestApp, t: &str, id: &str) -> Value {
    let env = trigger_ok(app, t, id, json!({})).await;
    assert_eq!(env["status"], "waiting_time", "{env}");
    assert_eq!(texts(&env), vec!["before".to_string()]);
    let at = env["metadata"]["resume_at"].as_str().unwrap_or_default();
    assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok(), "{env}");
    assert!(env["metadata"]["wait_token"].is_string());
    env
}

fn check_resumed(env: &Value, waited: Duration) {
    assert_eq!(env["status"], "waiting_input", "{env}");
    assert_eq!(texts(env), vec!["after".to_string()]);
    assert_eq!(env["expected_input"]["id"], "i-name");
    assert!(
        waited >= Duration::from_millis(1500),
        "resumed early: {waited:?}"
    );
}

#[tokio::test]
async fn a_wait_resumes_by_itself_on_memory() {
    let app = app().await;
    let t = tenant();
    let id = unique("wait");
    publish(&app, &wait_bot(&id, 2, None), Some(&t)).await;
    let env = paused(&app, &t, &id).await;
    let eid = env["execution_id"].as_str().unwrap_or_default().to_string();
    let (env, waited) = until_resumed(
        async || get_execution(&app, &t, &eid).await.1,
        Duration::from_secs(6),
    )
    .await;
    check_resumed(&env, waited);
}

#[tokio::test]
async fn a_wait_resumes_exactly_once_with_two_processes_on_redis() {
    let Some(redis) = private_redis() else { return };
    let (hook, hits) = slow_server_counting(Duration::ZERO).await;
    let a = app_on(Some(&redis.url())).await;
    let b = app_on(Some(&redis.url())).await;
    let t = tenant();
    let id = unique("wait");
    publish(&a, &wait_bot(&id, 2, Some(&hook)), Some(&t)).await;
    let mut envs = Vec::new();
    for _ in 0..5 {
        envs.push((Instant::now(), paused(&a, &t, &id).await));
    }
    for (t0, env) in envs {
        let eid = env["execution_id"].as_str().unwrap_or_default().to_string();
        let (env, waited) = until_resumed_since(
            t0,
            async || get_execution(&b, &t, &eid).await.1,
            Duration::from_secs(8),
        )
        .await;
        check_resumed(&env, waited);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        hits.load(Ordering::SeqCst),
        5,
        "each wait resumed exactly once"
    );
}

#[tokio::test]
async fn a_wait_survives_the_death_of_the_process_that_created_it() {
    let Some(redis) = private_redis() else { return };
    let (hook, hits) = slow_server_counting(Duration::ZERO).await;
    let env: &[(&str, &str)] = &[
        ("TESSERA_ENGINE_API_TOKEN", ENGINE_TOKEN),
        ("TESSERA_HTTP_ALLOWED_HOSTS", "127.0.0.1"),
    ];
    let c = reqwest::Client::new();
    let first = Server::bare("first", &redis.url(), env);
    let t = tenant();
    let id = unique("wait");
    let (status, body) = send(
        &c,
        &first,
        reqwest::Method::PUT,
        &format!("/api/v1/flows/{id}?tenant_id={t}"),
        TOKEN,
        Some(&wait_bot(&id, 2, Some(&hook))),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let trigger = json!({"tenant_id": t, "intent_name": id});
    let (status, env0) = send(
        &c,
        &first,
        reqwest::Method::POST,
        "/api/v1/engine/triggers/chat",
        ENGINE_TOKEN,
        Some(&trigger),
    )
    .await;
    assert_eq!(
        (status, env0["status"].as_str()),
        (200, Some("waiting_time")),
        "{env0}"
    );
    drop(first); // SIGKILL
    tokio::time::sleep(Duration::from_secs(3)).await; // overdue by the time the next one starts
    let second = Server::bare("second", &redis.url(), env);
    let third = Server::bare("third", &redis.url(), env);
    let eid = env0["execution_id"].as_str().unwrap_or_default();
    let path = format!("/api/v1/engine/executions/{eid}?tenant_id={t}");
    let t0 = Instant::now();
    let (env, _) = until_resumed(
        async || {
            send(&c, &second, reqwest::Method::GET, &path, ENGINE_TOKEN, None)
                .await
                .1
        },
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(env["status"], "waiting_input", "{env}");
    assert!(
        t0.elapsed() < Duration::from_secs(1),
        "overdue timer fired {:?} after readiness",
        t0.elapsed()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "exactly once across the processes"
    );
    drop(third);
}
