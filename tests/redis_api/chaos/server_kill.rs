//! Two `tessera serve` processes on one Redis, one `kill -9`ed mid-load: the other continues
//! every conversation, from the last acknowledged turn, with no session half-written. A claim
//! of the dead process is taken over as soon as its liveness record lapses (3 s), and the
//! session lease it held when killed lapses with the (short, here) turn lease.

use super::{CONVERSATIONS, Load, publish_counter, settings};
use crate::common::redis_server::PrivateRedis;
use crate::server::Server;
use crate::shared_redis::required;

const TURNS: usize = 10;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_load_leaves_every_conversation_to_the_other() {
    let Some(redis) = PrivateRedis::start(None, required()) else {
        return;
    };
    let env = settings("2000");
    let mut a = Server::bare("chaos-a", &redis.url(), &env);
    let b = Server::bare("chaos-b", &redis.url(), &env);
    let load = Load::new(&[&a, &b]);
    let public = publish_counter(&load.c, &a, "chaos-9").await;
    let sids = load.start_all(&[&a, &b], &public).await;

    let driving = {
        let (load, sids) = (load.clone(), sids.clone());
        tokio::spawn(async move { load.drive(&sids, 0, TURNS).await })
    };
    load.until_acked(CONVERSATIONS * 3).await;
    a.child.kill().expect("kill -9 server A");
    let _ = a.child.wait();
    load.kill(0);
    let wrong = driving.await.expect("driver");
    load.report("server kill -9", sids.len(), &wrong);
    assert!(wrong.is_empty(), "{wrong:#?}");
    let wrong = load.drive(&sids, TURNS, 1).await;
    assert!(wrong.is_empty(), "{wrong:#?}");
    // No session is left leased.
    let mut con = redis.raw().expect("redis");
    for sid in &sids {
        let lease: Option<String> = redis::cmd("GET")
            .arg(format!("tessera:{{s:{sid}}}:lease"))
            .query(&mut con)
            .expect("GET");
        assert_eq!(lease, None, "{sid} is still leased");
    }
}
