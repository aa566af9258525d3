//! Cases of the trigger events: the session mark saved with the session (what makes a
//! redelivered event's effect happen once), accepting (idempotency, the bound, the session
//! decision), deliveries (pending until completed, reclaimed after the visibility timeout),
//! per-session order and the worker lock, and the log.

use std::time::Duration;

use tessera::ids::new_id as id;
use tessera::store::events::{Accepted, Completion, NewEvent};
use tessera::store::{Loaded, TranscriptMeta};
use tessera::store::{TranscriptAppend, TurnWrites};

use crate::backends::Backend;

fn event(trigger: &str, session: Option<&str>) -> NewEvent {
    NewEvent {
        trigger_id: trigger.to_string(),
        event_id: id(),
        session: session.map(str::to_string),
        contact_key: None,
        new_session: id(),
        contact_ttl_secs: 600,
        idempotency_key: None,
        fingerprint: String::new(),
        idempotency_ttl_secs: 600,
        body: "{\"text\":\"hi\"}".into(),
        max_waiting: 1_000_000,
        retention_secs: 600,
        secret_sha256: None,
    }
}

fn queued(a: Accepted) -> (String, String) {
    match a {
        Accepted::Queued { event_id, session } => (event_id, session),
        other => panic!("not queued: {other:?}"),
    }
}

fn done(event_id: &str, session: &str, entries: Vec<String>) -> Completion {
    Completion {
        event_id: event_id.to_string(),
        session: session.to_string(),
        status: "done",
        processed_at: "2026-01-01T00:00:00.000Z".into(),
        outcome: "{\"reply\":null,\"error\":null}".into(),
        transcript: Some(TranscriptAppend {
            entries,
            meta: TranscriptMeta {
                status: "waiting_input".into(),
                updated_at: "2026-01-01T00:00:00.000Z".into(),
            },
            max_entries: 100,
            retention_secs: 600,
        }),
        retention_secs: 600,
    }
}

pub async fn a_save_writes_the_session_mark_with_the_session(b: &Backend) {
    let s = &*b.store;
    let sid = id();
    assert_eq!(s.mark(&sid).await.unwrap(), 0, "unknown: no mark");
    s.create_marked(&sid, b"v1".to_vec(), 60, TurnWrites::default(), 7)
        .await
        .unwrap();
    assert_eq!(s.mark(&sid).await.unwrap(), 7);
    let Loaded::Active(mut leased) = s.begin_turn(&sid, 5000).await.unwrap() else {
        panic!("active")
    };
    assert_eq!(leased.mark, 7);
    leased.mark = 9;
    s.save_turn(
        &sid,
        Some(b"v2".to_vec()),
        &leased,
        60,
        TurnWrites::default(),
    )
    .await
    .unwrap();
    assert_eq!(s.mark(&sid).await.unwrap(), 9);
    // A turn that leaves the mark as loaded keeps it; a finishing one carries it on.
    let Loaded::Active(leased) = s.begin_turn(&sid, 5000).await.unwrap() else {
        panic!("active")
    };
    assert_eq!((leased.mark, leased.data.as_slice()), (9, &b"v2"[..]));
    let finishing = tessera::store::Leased { mark: 12, ..leased };
    s.save_turn(&sid, None, &finishing, 60, TurnWrites::default())
        .await
        .unwrap();
    assert_eq!(s.begin_turn(&sid, 5000).await.unwrap(), Loaded::Finished);
    assert_eq!(s.mark(&sid).await.unwrap(), 12);
    // A session finished in its first turn, and one created again over a finished one.
    let other = id();
    s.create_finished_marked(&other, 3).await.unwrap();
    assert_eq!(s.mark(&other).await.unwrap(), 3);
    s.create_marked(&other, b"again".to_vec(), 60, TurnWrites::default(), 4)
        .await
        .unwrap();
    assert_eq!(s.mark(&other).await.unwrap(), 4);
    // Plain creates carry no mark.
    let plain = id();
    s.create(&plain, b"p".to_vec(), 60).await.unwrap();
    assert_eq!(s.mark(&plain).await.unwrap(), 0);
}

pub async fn accepting_dedupes_bounds_and_decides_the_session_atomically(b: &Backend) {
    let e = &*b.events;
    let trigger = id();
    let given = id();
    let (_, session) = queued(
        e.event_accept(&event(&trigger, Some(&given)))
            .await
            .unwrap(),
    );
    assert_eq!(session, given, "the given session");
    let fresh = event(&trigger, None);
    let (_, session) = queued(e.event_accept(&fresh).await.unwrap());
    assert_eq!(session, fresh.new_session, "a new session");
    // A contact keeps its session.
    let mut c1 = event(&trigger, None);
    c1.contact_key = Some("ada@example.com".into());
    let (_, s1) = queued(e.event_accept(&c1).await.unwrap());
    let mut c2 = event(&trigger, None);
    c2.contact_key = Some("ada@example.com".into());
    let (_, s2) = queued(e.event_accept(&c2).await.unwrap());
    assert_eq!(
        (s1.as_str(), s2.as_str()),
        (c1.new_session.as_str(), c1.new_session.as_str())
    );
    // An idempotency key replays its first event; with another body it is a conflict.
    let key = id();
    let mut k1 = event(&trigger, None);
    k1.idempotency_key = Some(key.clone());
    k1.fingerprint = "A".into();
    let first = queued(e.event_accept(&k1).await.unwrap());
    let mut k2 = event(&trigger, None);
    k2.idempotency_key = Some(key.clone());
    k2.fingerprint = "A".into();
    assert_eq!(
        e.event_accept(&k2).await.unwrap(),
        Accepted::Replayed {
            event_id: first.0.clone(),
            session: first.1.clone()
        }
    );
    k2.fingerprint = "B".into();
    assert_eq!(e.event_accept(&k2).await.unwrap(), Accepted::Conflict);
    assert!(
        e.event_get(&k2.event_id).await.unwrap().is_none(),
        "nothing written"
    );
    // The bound: full refuses and writes nothing.
    let waiting = e.event_waiting().await.unwrap();
    let mut over = event(&trigger, None);
    over.max_waiting = waiting;
    assert_eq!(e.event_accept(&over).await.unwrap(), Accepted::Full);
    assert!(e.event_get(&over.event_id).await.unwrap().is_none());
    let log = e.event_log(&trigger, 0, 100).await.unwrap();
    assert_eq!(log.len(), 5, "{log:?}");
    assert!(log.windows(2).all(|w| w[0].seq < w[1].seq), "oldest first");
    assert!(
        log.iter()
            .all(|r| r.status == "queued" && r.trigger_id == trigger)
    );
    let page = e.event_log(&trigger, log[1].seq, 2).await.unwrap();
    assert_eq!(
        page.iter().map(|r| &r.event_id).collect::<Vec<_>>(),
        [&log[2].event_id, &log[3].event_id]
    );
}

pub async fn deliveries_stay_pending_until_completed_and_are_reclaimed_after_the_timeout(
    b: &Backend,
) {
    let e = &*b.events;
    let trigger = id();
    let (event_id, session) = queued(e.event_accept(&event(&trigger, None)).await.unwrap());
    // Other tests share this backend's queue: take deliveries until ours comes.
    let mut ours = None;
    for _ in 0..100 {
        let got = e.event_fetch("worker-a", 100).await.unwrap();
        if let Some(d) = got.into_iter().find(|d| d.event_id == event_id) {
            ours = Some(d);
            break;
        }
    }
    let d = ours.expect("delivered");
    assert_eq!(d.session, session);
    // Not acknowledged: another worker reclaims it once it has been idle long enough.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let again = e.event_reclaim("worker-b", 200, 1000).await.unwrap();
    assert!(again.iter().any(|r| r.event_id == event_id), "{again:?}");
    // Completed: the event is done, its transcript written, nothing pending any more.
    e.event_complete(&done(&event_id, &session, vec!["{\"n\":1}".into()]))
        .await
        .unwrap();
    let r = e.event_get(&event_id).await.unwrap().expect("record");
    assert_eq!(r.status, "done");
    assert!(r.processed_at.is_some() && r.outcome.is_some());
    assert_eq!(e.event_head(&session).await.unwrap(), None);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = e.event_reclaim("worker-c", 200, 1000).await.unwrap();
    assert!(!after.iter().any(|r| r.event_id == event_id), "{after:?}");
    let t = b
        .records
        .transcript_get(&session)
        .await
        .unwrap()
        .expect("transcript");
    assert_eq!(t.entries, ["{\"n\":1}"]);
    // A completion repeated changes nothing more.
    e.event_complete(&done(&event_id, &session, vec!["{\"n\":1}".into()]))
        .await
        .unwrap();
    let t = b
        .records
        .transcript_get(&session)
        .await
        .unwrap()
        .expect("transcript");
    assert_eq!(t.entries.len(), 1);
}

pub async fn a_session_runs_one_event_at_a_time_in_arrival_order(b: &Backend) {
    let e = &*b.events;
    let trigger = id();
    let session = id();
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(
            queued(
                e.event_accept(&event(&trigger, Some(&session)))
                    .await
                    .unwrap(),
            )
            .0,
        );
    }
    assert!(e.event_lock(&session, "t1", 5000).await.unwrap());
    assert!(
        !e.event_lock(&session, "t2", 5000).await.unwrap(),
        "one holder"
    );
    assert!(
        e.event_lock(&session, "t1", 5000).await.unwrap(),
        "the holder extends"
    );
    for expected in &ids {
        assert_eq!(
            e.event_head(&session).await.unwrap().as_ref(),
            Some(expected)
        );
        e.event_start(expected, 1).await.unwrap();
        assert_eq!(
            e.event_get(expected).await.unwrap().expect("record").status,
            "processing"
        );
        e.event_journal(expected, "{}".into()).await.unwrap();
        assert_eq!(
            e.event_get(expected)
                .await
                .unwrap()
                .expect("record")
                .journal
                .as_deref(),
            Some("{}")
        );
        e.event_complete(&done(expected, &session, Vec::new()))
            .await
            .unwrap();
    }
    assert_eq!(e.event_head(&session).await.unwrap(), None);
    e.event_unlock(&session, "t2").await.unwrap();
    assert!(
        !e.event_lock(&session, "t2", 5000).await.unwrap(),
        "not released by another"
    );
    e.event_unlock(&session, "t1").await.unwrap();
    assert!(e.event_lock(&session, "t2", 100).await.unwrap());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        e.event_lock(&session, "t3", 100).await.unwrap(),
        "a lease that ran out"
    );
}
