//! Expiry (scenario 5): key TTLs while a session is active, `404 session_expired` after the
//! inactivity TTL.

use std::time::{Duration, Instant};

use crate::common::redis_env::scan;
use crate::common::replies::{assert_error_code, session_id};
use crate::server::Server;
use crate::shared_redis::{PREFIX, SharedRedis, session_keys};
use crate::support::{answer, assert_step, client, ids, publish, start, three_questions};

/// How long `seen` outlives the state (docs/REDIS.md: "inactivity TTL + 24 h grace").
pub const SEEN_GRACE_MS: i64 = 24 * 3600 * 1000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_expire_after_the_inactivity_ttl() {
    let Some(redis) = SharedRedis::get() else {
        return;
    };
    let t0 = Instant::now();
    let server = Server::bare("ttl", &redis.url, &[("TESSERA_SESSION_TTL_SECS", "1")]);
    let c = client();
    let (flow, public) = ids("ttl");
    redis.forget_flow(&flow, &public);
    publish(&c, &server, &three_questions(&flow, &public)).await;

    let started = start(&c, &server, &public).await;
    assert_step(&started, &[], Some("q1"));
    let sid = session_id(&started.1);
    redis.forget_session(&sid);
    let [state, lease, seen] = session_keys(&sid);
    let check_ttls = |when: &str| {
        let (s, l, n) = (redis.pttl(&state), redis.pttl(&lease), redis.pttl(&seen));
        eprintln!("expiry: {when}: PTTL state {s} ms, lease {l}, seen {n} ms");
        assert!(s > 0 && s <= 1000, "{when}: state PTTL {s}");
        assert_eq!(l, -2, "{when}: no lease between turns");
        assert!(
            n > SEEN_GRACE_MS - 60_000 && n <= 1000 + SEEN_GRACE_MS,
            "{when}: seen PTTL {n}"
        );
        // Nothing of the session lives without a TTL.
        let mut con = redis.con();
        for key in scan(&mut con, &format!("{PREFIX}:{{s:{sid}}}:*")) {
            let pttl: i64 = redis::cmd("PTTL").arg(&key).query(&mut con).expect("PTTL");
            assert!(pttl > 0, "{when}: {key} PTTL {pttl}");
        }
    };
    check_ttls("after start");

    // A turn refreshes the TTL.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_step(&answer(&c, &server, &sid, "a").await, &[], Some("q2"));
    check_ttls("after a turn");
    // Not refreshed, it would be below 500 ms now.
    assert!(redis.pttl(&state) > 550, "refreshed by the turn");

    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_error_code(
        &answer(&c, &server, &sid, "b").await,
        404,
        "session_expired",
    );
    assert_eq!(redis.pttl(&state), -2, "the state is gone");
    assert!(redis.pttl(&seen) > 0, "the expired marker stays");
    assert_error_code(
        &answer(&c, &server, &sid, "b").await,
        404,
        "session_expired",
    );
    eprintln!("expiry: done in {:?}", t0.elapsed());
}
