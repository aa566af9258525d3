//! Idempotency (scenario 3): a replay is byte-identical from either process and the turn runs once.

use std::sync::atomic::Ordering;
use std::time::Instant;

use serde_json::{Value, json};
use tessera::ids::new_id as id;

use crate::common::bots::{text, webhook};
use crate::common::http::{parse, post_raw};
use crate::common::replies::{assert_error_code, input_id, result_id, session_id};
use crate::race::{race, two_servers};
use crate::shared_redis::{PREFIX, SharedRedis};
use crate::support::{
    answer, answers, assert_step, bot, continue_url, input, message, pairs, publish, result_of,
    results, start,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_retries_replay_the_stored_response_and_run_the_turn_once() {
    let Some(redis) = SharedRedis::get() else {
        return;
    };
    let t0 = Instant::now();
    let (a, b, c, (slow, hits), (flow, public)) = two_servers(&redis, "idem").await;
    let blocks = json!([
        input("q1", "v-A"),
        webhook("w1", &slow),
        input("q2", "v-B"),
        input("q3", "v-C"),
        text("done", "Done {{A}} {{B}} {{C}}")
    ]);
    publish(&c, &a, &bot(&flow, &public, blocks, &["A", "B", "C"])).await;
    let started = start(&c, &a, &public).await;
    assert_step(&started, &[], Some("q1"));
    let sid = session_id(&started.1);
    let rid = result_id(&started.1);
    redis.forget_session(&sid);

    // The same request with one key, 16 times at once on both instances (a client retrying
    // while the first attempt still runs): the turn runs once; the others are told to retry.
    let key = format!("key-{}", id());
    let (winners, bodies, busy) = race(&c, [&a, &b], &sid, 1, Some(&key)).await;
    assert!(!winners.is_empty(), "{busy} x session_busy and no 200");
    assert!(
        bodies.iter().all(|b| b == &bodies[0]),
        "every 200 is the same response: {bodies:?}"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 1, "the turn ran once");
    let first = bodies[0].clone();
    let first_json: Value = serde_json::from_str(&first).expect("JSON");
    assert_eq!(input_id(&first_json), Some("q2"));

    // Retries, one after the other, on both instances: the stored bytes, nothing runs again.
    for s in [&a, &b, &a, &b] {
        let again = post_raw(
            c.clone(),
            continue_url(s, &sid),
            message("round 1"),
            Some(key.clone()),
        )
        .await;
        assert_eq!(again, (200, first.clone()), "replay on {}", s.name);
    }
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    // What Redis holds: the same bytes, with the idempotency TTL (24 h by default).
    // In the session's slot (its hash tag), so the save writes it on a cluster too.
    let stored_key = format!("{PREFIX}:{{s:{sid}}}:i:continue:{sid}:{key}");
    let stored: Value = serde_json::from_str(&redis.get_key(&stored_key).expect("stored response"))
        .expect("stored JSON");
    assert_eq!(
        (&stored["status"], &stored["body"]),
        (&json!(200), &json!(first))
    );
    let pttl = redis.pttl(&stored_key);
    assert!(pttl > 0 && pttl <= 86_400_000, "PTTL {pttl}");

    // The same key with another body: 409, and nothing changes.
    for s in [&a, &b] {
        let other = post_raw(
            c.clone(),
            continue_url(s, &sid),
            message("beta"),
            Some(key.clone()),
        )
        .await;
        assert_error_code(&parse(&other), 409, "idempotency_conflict");
    }
    let again = post_raw(
        c.clone(),
        continue_url(&b, &sid),
        message("round 1"),
        Some(key.clone()),
    )
    .await;
    assert_eq!(again, (200, first.clone()));

    // The conversation advanced exactly once: the next answers go to Q2, then Q3.
    assert_step(&answer(&c, &b, &sid, "bravo").await, &[], Some("q3"));
    let key2 = format!("key-{}", id());
    let last = post_raw(
        c.clone(),
        continue_url(&a, &sid),
        message("charlie"),
        Some(key2.clone()),
    )
    .await;
    assert_step(&parse(&last), &["Done round 1 bravo charlie"], None);
    // A replay after the end is still the stored response, not session_finished.
    let replay = post_raw(
        c.clone(),
        continue_url(&b, &sid),
        message("charlie"),
        Some(key2),
    )
    .await;
    assert_eq!(replay, last);
    assert_error_code(&answer(&c, &b, &sid, "more").await, 404, "session_finished");

    let page = results(&c, &b, &flow).await;
    assert_eq!(
        answers(result_of(&page, &rid)),
        pairs(&[("A", "round 1"), ("B", "bravo"), ("C", "charlie")])
    );
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    eprintln!("idempotency: done in {:?}", t0.elapsed());
}
