//! Checks that need a Redis backend (they look at keys directly), run on single Redis and on the
//! cluster.

use std::time::Duration;

use tessera::ids::new_id as id;
use tessera::store::{Leased, Loaded, StoreError, StoredResponse, TurnWrites};

use crate::backends::Backend;
use crate::cases::transcript;
use crate::support::{Store, active, published, update};

/// Writes one of everything, then checks every key carries a TTL except the flow pointers and
/// revisions (which must outlive sessions; they grow with publishes, not with traffic).
pub async fn every_key_but_flows_expires(b: &Backend) {
    let s = &*b.store;
    let sid = id();
    s.create(&sid, b"x".to_vec(), 600).await.unwrap();
    let l = active(s, &sid).await;
    s.commit_turn(&sid, b"y".to_vec(), &l, 600).await.unwrap();
    let _leased = active(s, &sid).await;
    let done = id();
    s.create(&done, b"x".to_vec(), 600).await.unwrap();
    let l = active(s, &done).await;
    s.finish_turn(&done, &l).await.unwrap();
    s.create_finished(&id()).await.unwrap();
    s.idempotency_put(
        "k",
        &StoredResponse {
            fingerprint: "f".into(),
            status: 200,
            body: String::new(),
        },
        600,
    )
    .await
    .unwrap();
    s.record_result(
        &update(
            "flow",
            "r1",
            "2024-05-01T10:00:00Z",
            &[("q", "a")],
            &[],
            false,
        ),
        600,
    )
    .await
    .unwrap();
    // Turns that save their result: the first one creates the record; the second finds it gone
    // (its retention ended while the session lived on) and must not leave it without a TTL,
    // although its session only refreshes the record's TTL once in a while.
    let redis = b.redis.as_ref().expect("a Redis backend");
    let chat = id();
    s.create(&chat, b"x".to_vec(), 600).await.unwrap();
    for (n, at) in ["2024-05-01T10:00:00Z", "2024-05-01T10:01:00Z"]
        .into_iter()
        .enumerate()
    {
        if n == 1 {
            redis.delete_ending_with(":res:r2");
        }
        let l = active(s, &chat).await;
        let u = update("flow", "r2", at, &[("q", "a")], &[], false);
        s.save_turn(
            &chat,
            Some(b"y".to_vec()),
            &l,
            600,
            TurnWrites::result(&u, 600),
        )
        .await
        .unwrap();
    }
    b.flows.put_revision("flow", "rev", "{}").await.unwrap();
    b.flows
        .publish(&published("flow", "pub", "rev"))
        .await
        .unwrap();
    // The recreated record is listed again.
    let listed = s.list_results("flow", None, 10).await.unwrap().results;
    assert!(listed.iter().any(|r| r.id == "r2"), "{listed:?}");
    let keys = redis.keys_with_pttl();
    assert!(
        keys.iter().any(|(k, _)| k.ends_with(":res:r2")),
        "the second turn recreated the record: {keys:?}"
    );
    assert!(keys.len() >= 12, "{keys:?}");
    for (key, pttl) in keys {
        let persistent = key.contains(":{flows}:") || key.contains(":{rev:");
        if persistent {
            assert_eq!(pttl, -1, "{key}");
        } else {
            assert!(pttl > 0, "{key} has no TTL ({pttl})");
        }
    }
}

/// A save that finds another turn's lease takes it away only to give it back unchanged: same
/// holder, same expiry (its value carries when it ends).
pub async fn a_foreign_lease_is_given_back_with_its_own_expiry(b: &Backend) {
    let (s, redis) = (&*b.store, b.redis.as_ref().expect("a Redis backend"));
    let sid = id();
    s.create(&sid, b"v1".to_vec(), 60).await.unwrap();
    let holder = match s.begin_turn(&sid, 5_000).await.unwrap() {
        Loaded::Active(l) => l,
        other => panic!("{other:?}"),
    };
    let lease_pttl = || {
        redis
            .keys_with_pttl()
            .into_iter()
            .find(|(k, _)| k.ends_with(&format!("{{s:{sid}}}:lease")))
            .map(|(_, pttl)| pttl)
    };
    let before = lease_pttl().expect("the lease key");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let intruder = Leased {
        lease: "someone-else 99999999999999".into(),
        ..holder.clone()
    };
    assert_eq!(
        s.commit_turn(&sid, b"bad".to_vec(), &intruder, 60).await,
        Err(StoreError::Busy)
    );
    let after = lease_pttl().expect("the lease is back");
    assert!(after > 0 && after <= before - 200, "{before} -> {after}");
    s.commit_turn(&sid, b"v2".to_vec(), &holder, 60)
        .await
        .unwrap();
    assert_eq!(lease_pttl(), None, "released by its own save");
}

/// Pointers published before the `bypublic` hash existed are still found by public id (by
/// the fallback script, which copies them there).
pub async fn flows_published_by_an_older_version_resolve(b: &Backend) {
    let redis = b.redis.as_ref().expect("a Redis backend");
    b.flows
        .publish(&published("old", "legacy", "rev"))
        .await
        .unwrap();
    redis.delete_ending_with(":bypublic");
    assert!(
        !redis
            .keys_with_pttl()
            .iter()
            .any(|(k, _)| k.ends_with(":bypublic"))
    );
    for _ in 0..2 {
        assert_eq!(
            b.flows.by_public_id("legacy").await.unwrap(),
            Some(published("old", "legacy", "rev"))
        );
        assert!(
            redis
                .keys_with_pttl()
                .iter()
                .any(|(k, _)| k.ends_with(":bypublic")),
            "copied on the first lookup"
        );
    }
    assert_eq!(b.flows.by_public_id("unknown").await.unwrap(), None);
}

/// A wait token written before tokens moved beside their record (`P:{wt:<id>}`) is still
/// taken, once, by both ways of taking it.
pub async fn wait_tokens_of_an_older_version_are_still_taken(b: &Backend) {
    let redis = b.redis.as_ref().expect("a Redis backend");
    for take_with_record in [true, false] {
        let exec = id();
        b.records
            .execution_put(
                &exec,
                std::sync::Arc::new("{}".to_string()),
                Some("t0"),
                600,
            )
            .await
            .unwrap();
        redis.delete_ending_with(":wt");
        let legacy = format!("{}:{{wt:{exec}}}", redis.prefix);
        for node in &redis.nodes {
            let mut con = redis::Client::open(node.as_str())
                .and_then(|c| c.get_connection())
                .expect("raw connection");
            // On a cluster only the node owning the key's slot takes it; others answer MOVED.
            let _: redis::RedisResult<()> = redis::cmd("SET")
                .arg(&legacy)
                .arg("t0")
                .arg("EX")
                .arg(600)
                .query(&mut con);
        }
        let taken = if take_with_record {
            let (taken, doc) = b.records.token_take_get(&exec, "t0").await.unwrap();
            assert_eq!(doc.map(|d| d.json().unwrap()).as_deref(), Some("{}"));
            taken
        } else {
            b.records.token_take(&exec, "t0").await.unwrap()
        };
        assert!(taken, "the older token is taken");
        assert!(!b.records.token_take(&exec, "t0").await.unwrap(), "once");
    }
}

/// A transcript list gets its TTL when it is new, and then once per slack period of the
/// retention, not on every turn (single Redis: the session header says until when the list
/// lasts; a cluster writes the transcript apart, refreshing it every time); and again on the
/// first turn after one saved without a transcript (a trigger event's, whose completion writes
/// the transcript with a TTL of its own). It never lives without a TTL.
pub async fn a_transcript_list_gets_its_ttl_when_due(b: &Backend) {
    let (s, redis) = (&*b.store, b.redis.as_ref().expect("a Redis backend"));
    let cluster = redis.nodes.len() > 1;
    let (sid, flow, rid) = (id(), id(), id());
    let log = format!("{{t:{sid}}}:log");
    let u = update(&flow, &rid, "2024-05-01T10:00:00Z", &[], &[], false);
    let t = transcript(&["x"], "waiting_input");
    let with_transcript = TurnWrites {
        result: Some((&u, 3600)),
        transcript: Some(&t),
        answer: None,
        execution: None,
    };
    s.create_with_result(&sid, b"v".to_vec(), 60, with_transcript)
        .await
        .unwrap();
    async fn turn(s: &dyn Store, sid: &str, writes: TurnWrites<'_>) {
        let l = active(s, sid).await;
        s.save_turn(sid, Some(b"v".to_vec()), &l, 60, writes)
            .await
            .unwrap();
    }
    // The retention (3,600 s) plus the record's slack: longer than the retention alone.
    let full = |what: &str| {
        let pttl = redis.pttl_ending_with(&log).expect("the list");
        assert!(pttl > 3_600_000, "{what}: {pttl}");
    };
    turn(s, &sid, with_transcript).await;
    full("the first turn refreshes the list (the new state knows no deadline)");
    redis.pexpire_ending_with(&log, 50_000);
    turn(s, &sid, with_transcript).await;
    let pttl = redis.pttl_ending_with(&log).expect("the list");
    if cluster {
        assert!(
            pttl > 3_600_000,
            "a cluster refreshes on every turn: {pttl}"
        );
    } else {
        assert!(pttl > 0 && pttl <= 50_000, "not due, left alone: {pttl}");
    }
    let without = TurnWrites {
        result: Some((&u, 3600)),
        transcript: None,
        answer: None,
        execution: None,
    };
    turn(s, &sid, without).await;
    turn(s, &sid, with_transcript).await;
    full("due again after a turn without a transcript");
    redis.delete_ending_with(&log);
    turn(s, &sid, with_transcript).await;
    full("a new list gets its TTL at once");
}
