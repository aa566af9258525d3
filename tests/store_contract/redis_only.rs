//! Checks that need a Redis backend (they look at keys directly), run on single Redis and on the
//! cluster.

use std::time::Duration;

use tessera::ids::new_id as id;
use tessera::store::{Leased, Loaded, StoreError, StoredResponse, TurnWrites};

use crate::backends::Backend;
use crate::support::{active, published, update};

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
            .execution_put(&exec, "{}".into(), Some("t0"), 600)
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
            assert_eq!(doc.as_deref(), Some("{}"));
            taken
        } else {
            b.records.token_take(&exec, "t0").await.unwrap()
        };
        assert!(taken, "the older token is taken");
        assert!(!b.records.token_take(&exec, "t0").await.unwrap(), "once");
    }
}
