//! Redis answering slowly (a proxy holding every answer back by more than the store's 500 ms
//! command timeout): requests fail fast with 503 `store_unavailable`, not piling up, and once
//! the latency goes (and after every connection is dropped once) every conversation carries
//! on, no turn lost or doubled, though some of the slow saves reached Redis.

use std::time::{Duration, Instant};

use super::{Load, publish_counter, settings};
use crate::common::redis_proxy::RedisProxy;
use crate::common::redis_server::PrivateRedis;
use crate::server::Server;
use crate::shared_redis::required;

/// How fast a slow store must be reported.
const FAIL_FAST: Duration = Duration::from_millis(1500);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_redis_gives_fast_503s_and_the_conversations_carry_on() {
    let Some(redis) = PrivateRedis::start(None, required()) else {
        return;
    };
    let proxy = RedisProxy::start(redis.port).await;
    let server = Server::bare("chaos-slow", &proxy.url(), &settings("30000"));
    let load = Load::new(&[&server]);
    let public = publish_counter(&load.c, &server, "chaos-slow").await;
    let sids = load.start_all(&[&server], &public).await;
    let wrong = load.drive(&sids, 0, 2).await;
    assert!(wrong.is_empty(), "{wrong:#?}");

    // Slow: every conversation sends its next reply, all at once, for about two seconds.
    proxy.set_latency(Duration::from_millis(1200));
    let until = Instant::now() + Duration::from_secs(2);
    let tasks: Vec<_> = sids
        .iter()
        .map(|sid| {
            let (load, sid) = (load.clone(), sid.clone());
            tokio::spawn(async move {
                let mut slowest = Duration::ZERO;
                let mut answered = Vec::new();
                while Instant::now() < until {
                    let t = Instant::now();
                    let url = format!("{}/api/v1/sessions/{sid}/continueChat", load.bases[0]);
                    let r = load
                        .c
                        .post(&url)
                        .header("content-type", "application/json")
                        .header("idempotency-key", format!("{sid}-turn-2"))
                        .body(r#"{"message":"m2"}"#)
                        .send()
                        .await
                        .expect("the server answers");
                    answered.push(r.status().as_u16());
                    slowest = slowest.max(t.elapsed());
                }
                (slowest, answered)
            })
        })
        .collect();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for t in tasks {
        let (slowest, answered) = t.await.expect("slow client");
        assert!(
            slowest < FAIL_FAST,
            "a request took {slowest:?} on a slow Redis"
        );
        for s in answered {
            *statuses.entry(s).or_default() += 1;
        }
    }
    eprintln!("chaos slow redis: answers while slow {statuses:?}");
    assert!(statuses.get(&503).is_some_and(|n| *n > 0), "{statuses:?}");
    assert!(
        statuses.keys().all(|s| [503, 409].contains(s)),
        "only 503 (and 409 for a claim still running) while slow: {statuses:?}"
    );

    // Fast again, every connection dropped once: the same replies are retried with their
    // keys, then the conversations go on.
    proxy.set_latency(Duration::ZERO);
    proxy.drop_connections();
    let wrong = load.drive(&sids, 2, 6).await;
    load.report("slow redis", sids.len(), &wrong);
    assert!(wrong.is_empty(), "{wrong:#?}");
}
