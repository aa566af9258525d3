//! Fault tests on a private redis-server (loopback port 7200-7999, append-only file in a temp
//! dir so data survives a restart), stopped and removed when the test ends.

use std::future::Future;
use std::time::{Duration, Instant};

use tessera::ids::new_id as id;
use tessera::store::redis::{RedisOptions, RedisStore};
use tessera::store::{Leased, Loaded, SessionStore, StoreError};

use crate::backends::test_options;
use crate::common::redis_env::in_ci;
use crate::common::redis_server::PrivateRedis;
use crate::support::active;

/// Calls of the commands a client can use to run scripts (EVALSHA, EVAL, SCRIPT LOAD),
/// read over `con`. Commands run inside scripts are counted by Redis too, which is why
/// `total_commands_processed` cannot measure round trips.
pub fn script_calls(con: &mut redis::Connection) -> [u64; 3] {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(con)
        .expect("INFO");
    ["evalsha", "eval", "script|load"].map(|name| {
        info.lines()
            .find_map(|l| l.strip_prefix(&format!("cmdstat_{name}:calls=")))
            .and_then(|rest| rest.split(',').next()?.parse().ok())
            .unwrap_or(0)
    })
}

pub fn fast_options() -> RedisOptions {
    RedisOptions {
        command_timeout: Duration::from_millis(300),
        connect_timeout: Duration::from_millis(300),
        ..test_options()
    }
}

/// Asserts the call fails with `Unavailable` in well under a second.
pub async fn fails_fast<T: std::fmt::Debug>(call: impl Future<Output = Result<T, StoreError>>) {
    let started = Instant::now();
    let result = call.await;
    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "{result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
}

/// A store with [`fast_options`] on `server`.
pub async fn connect(server: &PrivateRedis) -> RedisStore {
    RedisStore::connect(&server.url(), fast_options())
        .await
        .unwrap()
}

/// A private redis-server, started, and a store on it; `None` where Redis tests skip.
pub async fn booted() -> Option<(PrivateRedis, RedisStore)> {
    let mut server = PrivateRedis::new(None, in_ci())?;
    server.boot();
    let store = connect(&server).await;
    Some((server, store))
}

/// Retries `begin_turn` until Redis is back (bounded), returning the leased session.
pub async fn active_again(store: &RedisStore, sid: &str) -> Leased {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match store.begin_turn(sid, 10_000).await {
            Ok(Loaded::Active(l)) => return l,
            Ok(other) => panic!("session lost after the outage: {other:?}"),
            Err(StoreError::Unavailable(_)) | Err(StoreError::Busy)
                if Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("the store did not recover: {e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_fails_fast_and_the_conversation_resumes_where_it_was() {
    let Some((mut server, store)) = booted().await else {
        return;
    };
    store.health().await.unwrap();
    let sid = id();
    store.create(&sid, b"hello".to_vec(), 600).await.unwrap();
    let l = active(&store, &sid).await;
    store
        .commit_turn(&sid, b"turn 1".to_vec(), &l, 600)
        .await
        .unwrap();

    // Scripts are loaded now: a turn is one round trip to load (plain commands) and one
    // script to save.
    let mut raw = server.raw().expect("raw connection");
    let before = script_calls(&mut raw);
    let l = active(&store, &sid).await;
    store
        .commit_turn(&sid, b"turn 2".to_vec(), &l, 600)
        .await
        .unwrap();
    let after = script_calls(&mut raw);
    let calls: Vec<u64> = after.iter().zip(before).map(|(a, b)| a - b).collect();
    assert_eq!(
        calls,
        [1, 0, 0],
        "EVALSHA, EVAL, SCRIPT LOAD for begin_turn + commit_turn"
    );

    // A hung server (SIGSTOP) times out instead of hanging.
    server.signal("-STOP");
    fails_fast(store.health()).await;
    fails_fast(store.begin_turn(&sid, 200)).await;
    server.signal("-CONT");
    let l = active_again(&store, &sid).await;
    store.abort_turn(&sid, &l).await.unwrap();

    // A stopped server: every call fails fast, nothing hangs, nothing panics.
    server.shutdown();
    for _ in 0..3 {
        fails_fast(store.begin_turn(&sid, 10_000)).await;
    }
    fails_fast(store.health()).await;
    fails_fast(store.create(&id(), b"x".to_vec(), 60)).await;

    // Back again: the same store (no restart) continues the conversation where it was.
    server.boot();
    let l = active_again(&store, &sid).await;
    assert_eq!((l.data.as_slice(), l.version), (&b"turn 2"[..], 3));
    store
        .commit_turn(&sid, b"turn 3".to_vec(), &l, 600)
        .await
        .unwrap();
    assert_eq!(active(&store, &sid).await.version, 4);
    store.health().await.unwrap();
}

/// Once Redis accepts connections again, the very first call succeeds: the connection's
/// last reconnection attempt, refused during the outage, is not the answer to it. (One
/// thread, so every call goes through the same connection.)
#[tokio::test(flavor = "current_thread")]
async fn the_first_call_after_a_restart_succeeds() {
    let Some((mut server, store)) = booted().await else {
        return;
    };
    let sid = id();
    store.create(&sid, b"kept".to_vec(), 600).await.unwrap();

    server.shutdown();
    // The first call finds the connection dropped, the next ones get refused attempts.
    for _ in 0..3 {
        fails_fast(store.health()).await;
    }
    // Each failed call starts a new reconnection attempt in the background: let the last
    // one be refused too, as it is when Redis stays down a while.
    tokio::time::sleep(Duration::from_millis(700)).await;
    server.boot(); // returns once Redis accepts connections

    store
        .health()
        .await
        .expect("the first call after the restart");
    let l = active(&store, &sid).await;
    assert_eq!(l.data, b"kept");
    store.abort_turn(&sid, &l).await.unwrap();
}

/// A connection nobody used during the outage is dead when Redis is back. The first call
/// of a turn (taking the lease and reading the state) and the health check are sent again
/// on a new connection, so they succeed; both are safe to repeat.
#[tokio::test(flavor = "current_thread")]
async fn a_connection_idle_through_a_restart_serves_its_first_turn() {
    let Some((mut server, turns)) = booted().await else {
        return;
    };
    let checks = connect(&server).await;
    let sid = id();
    turns.create(&sid, b"kept".to_vec(), 600).await.unwrap();
    checks.health().await.unwrap();

    server.shutdown();
    // Let each connection's driver see the end of its socket.
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.boot();

    checks.health().await.expect("the first health check");
    match turns.begin_turn(&sid, 10_000).await {
        Ok(Loaded::Active(l)) => {
            assert_eq!((l.data.as_slice(), l.version), (&b"kept"[..], 1));
            turns.abort_turn(&sid, &l).await.unwrap();
        }
        other => panic!("the first turn after the restart: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_started_while_redis_is_down_recovers_by_itself() {
    let Some(mut server) = PrivateRedis::new(None, in_ci()) else {
        return;
    };
    let started = Instant::now();
    let store = RedisStore::connect(&server.url(), fast_options())
        .await
        .expect("lazy connect");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "connect took {:?}",
        started.elapsed()
    );
    fails_fast(store.health()).await;
    fails_fast(store.create(&id(), b"x".to_vec(), 60)).await;

    server.boot();
    let deadline = Instant::now() + Duration::from_secs(15);
    while store.health().await.is_err() {
        assert!(Instant::now() < deadline, "the store never reconnected");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let sid = id();
    store.create(&sid, b"up".to_vec(), 60).await.unwrap();
    assert_eq!(active(&store, &sid).await.data, b"up");
}
