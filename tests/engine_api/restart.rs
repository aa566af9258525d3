//! Overdue timers after a restart, at scale: 1,000 executions paused on a Wait block by a
//! process that is then killed, made overdue while no process runs, fire once each when two
//! new processes start (each resumed exactly once: the Wait's webhook counts the turns run).
//! A fire whose store call failed (a timeout on a loaded machine) is retried after its lease,
//! so its turn may have run twice: the only extra webhook calls allowed are those the
//! processes report as retried. How soon after readiness they fire is measured by
//! `scripts/load-timers.sh`, not here.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::json;

use crate::common::http_stub::slow_server_counting;
use crate::server::{Server, TOKEN};
use crate::support::{ENGINE_TOKEN, private_redis, send, tenant, texts, unique, wait_bot};

const WAITS: usize = 1000;

/// `tessera_timers_fired_total{outcome}` of one process.
async fn timers_fired(c: &reqwest::Client, s: &Server, outcome: &str) -> usize {
    let r = c.get(s.url("/metrics")).bearer_auth(TOKEN).send().await;
    let text = r.expect("metrics").text().await.expect("metrics text");
    let name = format!("tessera_timers_fired_total{{outcome=\"{outcome}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(name.as_str()))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map_or(0, |v| v as usize)
}

#[tokio::test]
async fn a_thousand_overdue_timers_fire_exactly_once_after_a_restart() {
    let Some(redis) = private_redis() else { return };
    let (hook, hits) = slow_server_counting(Duration::ZERO).await;
    let env: &[(&str, &str)] = &[
        ("TESSERA_ENGINE_API_TOKEN", ENGINE_TOKEN),
        ("TESSERA_HTTP_ALLOWED_HOSTS", "127.0.0.1"),
        ("TESSERA_METRICS_TOKEN", TOKEN),
        // A debug build on a shared machine: 256 turns at once per process starve the Redis
        // connection past its 500 ms timeout.
        ("TESSERA_TIMER_CONCURRENCY", "32"),
    ];
    // This test builds its own client (no in-process server installed rustls' provider).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let c = reqwest::Client::new();
    let first = Server::bare("first", &redis.url(), env);
    let (t, id) = (tenant(), unique("wait"));
    let path = format!("/api/v1/flows/{id}?tenant_id={t}");
    let bot = wait_bot(&id, 3600, Some(&hook));
    let (status, body) = send(&c, &first, reqwest::Method::PUT, &path, TOKEN, Some(&bot)).await;
    assert_eq!(status, 200, "{body}");
    let trigger = json!({"tenant_id": t, "intent_name": id});
    let ids: Vec<String> = futures_util::stream::iter(0..WAITS)
        .map(|_| {
            let (c, first, trigger) = (&c, &first, &trigger);
            async move {
                let path = "/api/v1/engine/triggers/chat";
                let post = reqwest::Method::POST;
                let (status, env) = send(c, first, post, path, ENGINE_TOKEN, Some(trigger)).await;
                assert_eq!(
                    (status, env["status"].as_str()),
                    (200, Some("waiting_time"))
                );
                env["execution_id"].as_str().unwrap_or_default().to_string()
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    drop(first); // SIGKILL: nothing of it runs any more
    // While no process runs, every timer falls due (as if the outage outlasted the Wait).
    let mut con = redis.raw().expect("raw redis");
    let overdue: i64 = redis::cmd("EVAL")
        .arg("local m = redis.call('ZRANGE', KEYS[1], 0, -1) for _, x in ipairs(m) do redis.call('ZADD', KEYS[1], 1, x) end return #m")
        .arg(1)
        .arg("tessera:{timers}")
        .query(&mut con)
        .expect("rescore the timers");
    assert_eq!(overdue, WAITS as i64);
    let second = Server::bare("second", &redis.url(), env);
    let third = Server::bare("third", &redis.url(), env);
    let fired = async |outcome: &str| {
        let mut n = 0;
        for s in [&second, &third] {
            n += timers_fired(&c, s, outcome).await;
        }
        n
    };
    let t0 = Instant::now();
    while fired("resumed").await < WAITS && t0.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await; // a second fire would show by now
    assert_eq!(fired("resumed").await, WAITS, "each resumed exactly once");
    let retried = fired("retried").await;
    let hits = hits.load(Ordering::SeqCst);
    assert!(
        (WAITS..=WAITS + retried).contains(&hits),
        "{hits} turns ran for {WAITS} timers ({retried} fires retried after a store failure)"
    );
    let left: i64 = redis::cmd("ZCARD")
        .arg("tessera:{timers}")
        .query(&mut con)
        .expect("ZCARD");
    assert_eq!(left, 0, "every fired timer is removed");
    for (i, eid) in ids.iter().enumerate() {
        let server = if i % 2 == 0 { &second } else { &third };
        let path = format!("/api/v1/engine/executions/{eid}?tenant_id={t}");
        let (status, env) = send(&c, server, reqwest::Method::GET, &path, ENGINE_TOKEN, None).await;
        assert_eq!(
            (status, env["status"].as_str()),
            (200, Some("waiting_input")),
            "{env}"
        );
        assert_eq!(texts(&env), vec!["after".to_string()]);
    }
}
