//! Redis SIGKILLed mid-load and restarted on the same port and directory (append-only file,
//! fsync always): only 503s while it is down, the server recovers by itself, and no turn is
//! lost or applied twice, though some were saved while their answer never reached the client.

use std::time::Duration;

use super::{CONVERSATIONS, Load, publish_counter, settings};
use crate::common::redis_server::PrivateRedis;
use crate::server::Server;
use crate::shared_redis::required;

const TURNS: usize = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_and_restarted_under_load_loses_and_doubles_no_turn() {
    let Some(mut redis) = PrivateRedis::start(None, required()) else {
        return;
    };
    let server = Server::bare("chaos-redis", &redis.url(), &settings("30000"));
    let load = Load::new(&[&server]);
    let public = publish_counter(&load.c, &server, "chaos-kill").await;
    let sids = load.start_all(&[&server], &public).await;

    let driving = {
        let (load, sids) = (load.clone(), sids.clone());
        tokio::spawn(async move { load.drive(&sids, 0, TURNS).await })
    };
    load.until_acked(CONVERSATIONS * 3).await;
    redis.kill();
    tokio::time::sleep(Duration::from_millis(800)).await;
    redis.boot();
    let wrong = driving.await.expect("driver");
    load.report("redis SIGKILL", sids.len(), &wrong);
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(
        load.seen("503 store_unavailable") > 0,
        "the outage was not seen"
    );
    // The saved sessions are where the clients were: one more turn each, without retries
    // needed, carries on from the last acknowledged one.
    let wrong = load.drive(&sids, TURNS, 1).await;
    assert!(wrong.is_empty(), "{wrong:#?}");
}
