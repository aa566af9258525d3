//! Contract cases on sessions: turns, leases, stale commits, races, finished and expired
//! sessions, idempotency records.

use std::time::Duration;

use tessera::ids::new_id as id;
use tessera::store::{Leased, Loaded, StoreError, StoredResponse};

use crate::backends::{Backend, MARKER};
use crate::support::{active, join_all};

pub async fn a_turn_round_trip_saves_bumps_the_version_and_refreshes_the_ttl(b: &Backend) {
    let s = &*b.store;
    let sid = id();
    s.create(&sid, b"one".to_vec(), 1).await.unwrap();
    let l = active(s, &sid).await;
    assert_eq!((l.data.as_slice(), l.version), (&b"one"[..], 1));
    tokio::time::sleep(Duration::from_millis(600)).await;
    s.commit_turn(&sid, b"two".to_vec(), &l, 1).await.unwrap();
    // 1.2 s after creation: alive only because the commit refreshed the 1 s TTL.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let l = active(s, &sid).await;
    assert_eq!((l.data.as_slice(), l.version), (&b"two"[..], 2));
    s.commit_turn(&sid, b"three".to_vec(), &l, 60)
        .await
        .unwrap();
    assert_eq!(active(s, &sid).await.version, 3);
    assert_eq!(s.begin_turn(&id(), 1000).await.unwrap(), Loaded::Missing);
}

pub async fn peek_reads_active_sessions_without_taking_the_lease(b: &Backend) {
    let s = &*b.store;
    let sid = id();
    assert_eq!(s.peek(&sid).await.unwrap(), None);
    s.create(&sid, b"x".to_vec(), 60).await.unwrap();
    assert_eq!(s.peek(&sid).await.unwrap(), Some(b"x".to_vec()));
    let l = active(s, &sid).await;
    // A running turn does not hide the session, and peeking does not disturb the turn.
    assert_eq!(s.peek(&sid).await.unwrap(), Some(b"x".to_vec()));
    s.finish_turn(&sid, &l).await.unwrap();
    assert_eq!(s.peek(&sid).await.unwrap(), None);
}

pub async fn a_leased_session_is_busy_until_released_or_the_lease_ends(b: &Backend) {
    let s = &*b.store;
    let sid = id();
    s.create(&sid, b"x".to_vec(), 60).await.unwrap();
    let l = active(s, &sid).await;
    assert_eq!(s.begin_turn(&sid, 1000).await, Err(StoreError::Busy));
    s.abort_turn(&sid, &l).await.unwrap();
    let l = match s.begin_turn(&sid, 150).await.unwrap() {
        Loaded::Active(l) => l,
        other => panic!("{other:?}"),
    };
    assert_eq!(s.begin_turn(&sid, 1000).await, Err(StoreError::Busy));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let l2 = active(s, &sid).await;
    // The first turn's lease ended and was taken over: its commit must not apply.
    assert_eq!(
        s.commit_turn(&sid, b"late".to_vec(), &l, 60).await,
        Err(StoreError::Busy)
    );
    s.commit_turn(&sid, b"y".to_vec(), &l2, 60).await.unwrap();
    assert_eq!(active(s, &sid).await.data, b"y");
    // Creating over an active session is refused too.
    assert_eq!(
        s.create(&sid, b"new".to_vec(), 60).await,
        Err(StoreError::Busy)
    );
}

pub async fn a_lease_that_ran_out_untouched_still_saves(b: &Backend) {
    let s = &*b.store;
    let sid = id();
    s.create(&sid, b"v1".to_vec(), 60).await.unwrap();
    let l = match s.begin_turn(&sid, 100).await.unwrap() {
        Loaded::Active(l) => l,
        other => panic!("{other:?}"),
    };
    // A slow turn: its lease ends, but nobody took the session meanwhile.
    tokio::time::sleep(Duration::from_millis(250)).await;
    s.commit_turn(&sid, b"v2".to_vec(), &l, 60).await.unwrap();
    let after = active(s, &sid).await;
    assert_eq!((after.data.as_slice(), after.version), (&b"v2"[..], 2));
}

pub async fn a_session_that_expired_during_its_turn_is_not_brought_back(b: &Backend) {
    let s = &*b.store;
    let sid = id();
    s.create(&sid, b"v1".to_vec(), 1).await.unwrap();
    let l = active(s, &sid).await;
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert_eq!(
        s.commit_turn(&sid, b"v2".to_vec(), &l, 60).await,
        Err(StoreError::Busy)
    );
    assert_eq!(s.finish_turn(&sid, &l).await, Err(StoreError::Busy));
    assert_eq!(s.peek(&sid).await.unwrap(), None);
}

pub async fn stale_or_foreign_commits_are_busy_and_change_nothing(b: &Backend) {
    let s = &*b.store;
    let sid = id();
    s.create(&sid, b"v1".to_vec(), 60).await.unwrap();
    let first = active(s, &sid).await;
    s.commit_turn(&sid, b"v2".to_vec(), &first, 60)
        .await
        .unwrap();
    let current = active(s, &sid).await;
    let wrong_lease = Leased {
        lease: "not-the-lease".into(),
        ..current.clone()
    };
    for bad in [&first, &wrong_lease] {
        assert_eq!(
            s.commit_turn(&sid, b"bad".to_vec(), bad, 60).await,
            Err(StoreError::Busy)
        );
        assert_eq!(s.finish_turn(&sid, bad).await, Err(StoreError::Busy));
        s.abort_turn(&sid, bad).await.unwrap(); // Not ours: a no-op.
    }
    assert_eq!(
        s.begin_turn(&sid, 1000).await,
        Err(StoreError::Busy),
        "foreign aborts must not release"
    );
    s.abort_turn(&sid, &current).await.unwrap();
    // A lease that ran out with a version this turn did not load: someone saved since.
    let stale_version = Leased {
        version: 1,
        ..current.clone()
    };
    assert_eq!(
        s.commit_turn(&sid, b"bad".to_vec(), &stale_version, 60)
            .await,
        Err(StoreError::Busy)
    );
    assert_eq!(
        s.finish_turn(&sid, &stale_version).await,
        Err(StoreError::Busy)
    );
    let after = active(s, &sid).await;
    assert_eq!((after.data.as_slice(), after.version), (&b"v2"[..], 2));
    assert_eq!(
        s.commit_turn(&id(), b"x".to_vec(), &after, 60).await,
        Err(StoreError::Busy),
        "unknown session"
    );
}

pub async fn racing_turns_have_exactly_one_winner(b: &Backend) {
    let s = &*b.store;
    let sid = id();
    s.create(&sid, b"race".to_vec(), 60).await.unwrap();
    let begins = join_all((0..20).map(|_| s.begin_turn(&sid, 10_000)).collect()).await;
    let winners: Vec<&Leased> = begins
        .iter()
        .filter_map(|r| {
            if let Ok(Loaded::Active(l)) = r {
                Some(l)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(winners.len(), 1, "{begins:?}");
    assert_eq!(
        begins
            .iter()
            .filter(|r| **r == Err(StoreError::Busy))
            .count(),
        19
    );
    let sid2 = id();
    let creates = join_all((0..20).map(|i| s.create(&sid2, vec![i], 60)).collect()).await;
    assert_eq!(
        creates.iter().filter(|r| r.is_ok()).count(),
        1,
        "{creates:?}"
    );
}

pub async fn finished_sessions_answer_finished_until_the_marker_ends(b: &Backend) {
    let s = &*b.store;
    let (sid, instant) = (id(), id());
    s.create(&sid, b"x".to_vec(), 60).await.unwrap();
    let l = active(s, &sid).await;
    s.finish_turn(&sid, &l).await.unwrap();
    assert_eq!(s.begin_turn(&sid, 1000).await.unwrap(), Loaded::Finished);
    assert_eq!(
        s.commit_turn(&sid, b"y".to_vec(), &l, 60).await,
        Err(StoreError::Busy)
    );
    s.create_finished(&instant).await.unwrap();
    assert_eq!(
        s.begin_turn(&instant, 1000).await.unwrap(),
        Loaded::Finished
    );
    if b.short_markers {
        tokio::time::sleep(MARKER + Duration::from_millis(300)).await;
        assert_eq!(s.begin_turn(&sid, 1000).await.unwrap(), Loaded::Missing);
        assert_eq!(s.begin_turn(&instant, 1000).await.unwrap(), Loaded::Missing);
    }
}

pub async fn inactive_sessions_expire_then_are_forgotten(b: &Backend) {
    let s = &*b.store;
    let sid = id();
    s.create(&sid, b"x".to_vec(), 1).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert_eq!(s.begin_turn(&sid, 1000).await.unwrap(), Loaded::Expired);
    if b.short_markers {
        tokio::time::sleep(MARKER).await;
        assert_eq!(s.begin_turn(&sid, 1000).await.unwrap(), Loaded::Missing);
    }
    // The id can be used again once the session expired.
    s.create(&sid, b"again".to_vec(), 60).await.unwrap();
    assert_eq!(active(s, &sid).await.data, b"again");
}

pub async fn idempotency_keeps_the_first_response(b: &Backend) {
    let s = &*b.store;
    let (k, short) = (format!("flow:{}", id()), format!("flow:{}", id()));
    let first = StoredResponse {
        fingerprint: "f1".into(),
        status: 200,
        body: "{\"a\":1}".into(),
    };
    let second = StoredResponse {
        fingerprint: "f2".into(),
        status: 409,
        body: "{}".into(),
    };
    assert_eq!(s.idempotency_get(&k).await.unwrap(), None);
    s.idempotency_put(&k, &first, 60).await.unwrap();
    s.idempotency_put(&k, &second, 60).await.unwrap();
    assert_eq!(s.idempotency_get(&k).await.unwrap(), Some(first.clone()));
    s.idempotency_put(&short, &first, 1).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert_eq!(s.idempotency_get(&short).await.unwrap(), None);
}

pub async fn active_sessions_are_counted_or_estimated(b: &Backend) {
    let s = &*b.store;
    for _ in 0..2 {
        s.create(&id(), b"{}".to_vec(), 600).await.unwrap();
    }
    s.create_finished(&id()).await.unwrap();
    let n = s.active_sessions().await.unwrap();
    match (b.redis.as_ref(), s.kind()) {
        // The in-memory store counts exactly: finished sessions are not active.
        (None, _) => assert_eq!(n, Some(2)),
        // A single Redis estimates from a sample of a database other tests share.
        (Some(_), "redis") => assert!(n.is_some()),
        (Some(_), _) => assert_eq!(n, None, "no estimate on a cluster"),
    }
}
