//! Race (scenario 2): concurrent continueChat calls on one session over both processes apply
//! exactly one.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::bots::{text, webhook};
use crate::common::http::{parse, post_raw};
use crate::common::http_stub::slow_server_counting as slow_server;
use crate::common::replies::{assert_error_code, input_id, result_id, session_id};
use crate::server::Server;
use crate::shared_redis::SharedRedis;
use crate::support::{
    answer, answers, assert_step, bot, client, continue_url, ids, input, message, publish,
    result_of, results, start,
};

/// How long a racing turn holds its lease (the webhook's delay).
pub const SLOW: Duration = Duration::from_millis(1000);

pub const RACERS: usize = 16;

/// Sends `RACERS` answers to `sid` at once, alternating between `servers`; returns the index of
/// the one that got 200 and its body, after checking every other one got 409 session_busy.
pub async fn race(
    c: &reqwest::Client,
    servers: [&Server; 2],
    sid: &str,
    round: usize,
    key: Option<&str>,
) -> (Vec<usize>, Vec<String>, usize) {
    let tasks: Vec<_> = (0..RACERS)
        .map(|i| {
            let url = continue_url(servers[i % 2], sid);
            let body = match key {
                // One Idempotency-Key: every request is the same retry.
                Some(_) => message(&format!("round {round}")),
                None => message(&format!("round {round} racer {i}")),
            };
            tokio::spawn(post_raw(c.clone(), url, body, key.map(str::to_string)))
        })
        .collect();
    let mut winners = Vec::new();
    let mut bodies = Vec::new();
    let mut busy = 0;
    for (i, t) in tasks.into_iter().enumerate() {
        let raw = t.await.expect("task");
        if raw.0 == 200 {
            winners.push(i);
            bodies.push(raw.1);
        } else {
            // Without a key the session lease refuses the racers; with one, the key's claim.
            let code = if key.is_some() {
                "request_in_progress"
            } else {
                "session_busy"
            };
            assert_error_code(&parse(&raw), 409, code);
            busy += 1;
        }
    }
    (winners, bodies, busy)
}

/// The slow server: its URL and its hits (how many turns called it).
pub type SlowServer = (String, Arc<AtomicUsize>);

/// What the race and idempotency scenarios run on: two servers (A, B) on the shared Redis, both
/// allowed to call the [`SlowServer`], a client, and a fresh (flow id, public id) pair, deleted
/// with the test's other Redis data.
pub type TwoServers = (
    Server,
    Server,
    reqwest::Client,
    SlowServer,
    (String, String),
);

/// Starts the [`TwoServers`] of a scenario; `tag` names its flow.
pub async fn two_servers(redis: &SharedRedis, tag: &str) -> TwoServers {
    let (slow, hits) = slow_server(SLOW).await;
    let env = [("TESSERA_HTTP_ALLOWED_HOSTS", "127.0.0.1")];
    let a = Server::bare("A", &redis.url, &env);
    let b = Server::bare("B", &redis.url, &env);
    let (flow, public) = ids(tag);
    redis.forget_flow(&flow, &public);
    (a, b, client(), (slow, hits), (flow, public))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_turns_on_one_session_apply_exactly_one_per_turn() {
    let Some(redis) = SharedRedis::get() else {
        return;
    };
    let t0 = Instant::now();
    let (a, b, c, (slow, hits), (flow, public)) = two_servers(&redis, "race").await;
    // Q1, Q3 and Q5 are raced: the turn answering each calls the slow server (holding the
    // session for SLOW). Q2, Q4 and Q6 get one normal answer each.
    let blocks = json!([
        input("q1", "v-Q1"),
        webhook("w1", &slow),
        input("q2", "v-Q2"),
        input("q3", "v-Q3"),
        webhook("w3", &slow),
        input("q4", "v-Q4"),
        input("q5", "v-Q5"),
        webhook("w5", &slow),
        input("q6", "v-Q6"),
        text("done", "Done")
    ]);
    publish(
        &c,
        &a,
        &bot(
            &flow,
            &public,
            blocks,
            &["Q1", "Q2", "Q3", "Q4", "Q5", "Q6"],
        ),
    )
    .await;
    let started = start(&c, &b, &public).await;
    assert_step(&started, &[], Some("q1"));
    let sid = session_id(&started.1);
    let rid = result_id(&started.1);
    redis.forget_session(&sid);

    let mut expected = Vec::new();
    for (round, (raced, next, normal)) in [("q1", "q2", "q3"), ("q3", "q4", "q5"), ("q5", "q6", "")]
        .into_iter()
        .enumerate()
    {
        let round = round + 1;
        let started = Instant::now();
        let (winners, bodies, busy) = race(&c, [&a, &b], &sid, round, None).await;
        eprintln!(
            "race round {round}: {} x 200, {busy} x 409 session_busy in {:?}",
            winners.len(),
            started.elapsed()
        );
        assert_eq!((winners.len(), busy), (1, RACERS - 1), "one turn applies");
        assert_eq!(
            hits.load(Ordering::SeqCst),
            round,
            "the slow block ran once per round"
        );
        let won: Value = serde_json::from_str(&bodies[0]).expect("JSON");
        assert_eq!(input_id(&won), Some(next), "{raced} answered: {won}");
        expected.push((
            format!("Q{}", round * 2 - 1),
            format!("round {round} racer {}", winners[0]),
        ));

        // The state is consistent: a normal turn on the other instance takes the next step.
        let other = if winners[0] % 2 == 0 { &b } else { &a };
        let step = answer(&c, other, &sid, &format!("normal {round}")).await;
        if normal.is_empty() {
            assert_step(&step, &["Done"], None);
        } else {
            assert_step(&step, &[], Some(normal));
        }
        expected.push((format!("Q{}", round * 2), format!("normal {round}")));
    }
    assert_error_code(&answer(&c, &a, &sid, "late").await, 404, "session_finished");

    // Exactly the winners' answers and the normal ones were recorded, once each.
    let page = results(&c, &a, &flow).await;
    let r = result_of(&page, &rid);
    assert_eq!(answers(r), expected);
    assert_eq!(r["isCompleted"], true);
    assert_eq!(hits.load(Ordering::SeqCst), 3);
    eprintln!("race: done in {:?}", t0.elapsed());
}
