//! Cases of the trigger events' one-step operations: accepting checks the secret's hash
//! against the stored trigger in the same step (a rotation or a deletion takes effect at
//! once), a worker's claim (acknowledge, lock, head, start) and finish (complete and unlock),
//! and the sessions a trigger owns.

use tessera::ids::new_id as id;
use tessera::store::events::{Accepted, Claim, Completion, Delivery, NewEvent};

use crate::backends::Backend;

fn event(trigger: &str, session: &str, secret_sha256: Option<&str>) -> NewEvent {
    NewEvent {
        trigger_id: trigger.to_string(),
        event_id: id(),
        session: Some(session.to_string()),
        contact_key: None,
        new_session: id(),
        contact_ttl_secs: 600,
        idempotency_key: None,
        fingerprint: String::new(),
        idempotency_ttl_secs: 600,
        body: "{\"text\":\"hi\"}".into(),
        max_waiting: 1_000_000,
        retention_secs: 600,
        secret_sha256: secret_sha256.map(str::to_string),
    }
}

fn trigger_doc(id: &str, hash: &str) -> String {
    serde_json::json!({"id": id, "flow": "f", "secret_sha256": hash, "created_at": "x"}).to_string()
}

fn done(event_id: &str, session: &str) -> Completion {
    Completion {
        event_id: event_id.to_string(),
        session: session.to_string(),
        status: "done",
        processed_at: "2026-01-01T00:00:00.000Z".into(),
        outcome: "{\"reply\":null,\"error\":null}".into(),
        transcript: None,
        retention_secs: 600,
    }
}

fn delivery(event_id: &str, session: &str) -> Delivery {
    Delivery {
        id: "1-1".into(),
        event_id: event_id.to_string(),
        session: session.to_string(),
    }
}

pub async fn accepting_checks_the_secret_against_the_stored_trigger(b: &Backend) {
    let e = &*b.events;
    let (trigger, session) = (id(), id());
    let (old, new) = ("a".repeat(64), "b".repeat(64));
    e.trigger_put(&trigger, trigger_doc(&trigger, &old))
        .await
        .unwrap();
    let refused = e
        .event_accept(&event(&trigger, &session, Some(&new)))
        .await
        .unwrap();
    assert_eq!(refused, Accepted::BadSecret);
    assert!(e.event_log(&trigger, 0, 10).await.unwrap().is_empty());
    let unknown = e
        .event_accept(&event(&id(), &session, Some(&old)))
        .await
        .unwrap();
    assert_eq!(unknown, Accepted::UnknownTrigger);
    let ok = e
        .event_accept(&event(&trigger, &session, Some(&old)))
        .await
        .unwrap();
    assert!(matches!(ok, Accepted::Queued { .. }), "{ok:?}");
    // Rotated: the old hash is refused at once, the new one accepted.
    e.trigger_put(&trigger, trigger_doc(&trigger, &new))
        .await
        .unwrap();
    let stale = e
        .event_accept(&event(&trigger, &session, Some(&old)))
        .await
        .unwrap();
    assert_eq!(stale, Accepted::BadSecret);
    let ok = e
        .event_accept(&event(&trigger, &session, Some(&new)))
        .await
        .unwrap();
    assert!(matches!(ok, Accepted::Queued { .. }), "{ok:?}");
    // Deleted: unknown at once. Without a hash the caller checked (declared triggers).
    assert!(e.trigger_delete(&trigger).await.unwrap());
    let gone = e
        .event_accept(&event(&trigger, &session, Some(&new)))
        .await
        .unwrap();
    assert_eq!(gone, Accepted::UnknownTrigger);
    let declared = e
        .event_accept(&event(&trigger, &session, None))
        .await
        .unwrap();
    assert!(matches!(declared, Accepted::Queued { .. }), "{declared:?}");
    assert_eq!(e.event_log(&trigger, 0, 10).await.unwrap().len(), 3);
}

pub async fn a_claim_runs_the_heads_in_order_and_the_last_finish_unlocks(b: &Backend) {
    let e = &*b.events;
    let (trigger, session) = (id(), id());
    let mut ids = Vec::new();
    for _ in 0..2 {
        match e
            .event_accept(&event(&trigger, &session, None))
            .await
            .unwrap()
        {
            Accepted::Queued { event_id, .. } => ids.push(event_id),
            other => panic!("{other:?}"),
        }
    }
    // The second event's delivery runs the session's head first: the first event.
    let second = delivery(&ids[1], &session);
    let first = match e.event_claim(&second, "t1", 5000).await.unwrap() {
        Claim::Run(r) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        (first.event_id.as_str(), first.attempts),
        (ids[0].as_str(), 0)
    );
    let started = e.event_get(&ids[0]).await.unwrap().expect("record");
    assert_eq!(
        (started.status.as_str(), started.attempts),
        ("processing", 1)
    );
    assert_eq!(
        e.event_claim(&second, "t2", 5000).await.unwrap(),
        Claim::Busy,
        "one lock holder"
    );
    e.event_finish(&done(&ids[0], &session), None)
        .await
        .unwrap();
    let next = match e.event_claim(&second, "t1", 5000).await.unwrap() {
        Claim::Run(r) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(next.event_id, ids[1]);
    assert!(
        !e.event_lock(&session, "t2", 5000).await.unwrap(),
        "still t1's"
    );
    e.event_finish(&done(&ids[1], &session), Some("t1"))
        .await
        .unwrap();
    assert!(
        e.event_lock(&session, "t2", 5000).await.unwrap(),
        "released"
    );
    e.event_unlock(&session, "t2").await.unwrap();
    // Both complete: their deliveries need only the acknowledgement.
    for i in &ids {
        let c = e
            .event_claim(&delivery(i, &session), "t3", 5000)
            .await
            .unwrap();
        assert_eq!(c, Claim::Acked);
        assert_eq!(
            e.event_get(i).await.unwrap().expect("record").status,
            "done"
        );
    }
    assert_eq!(e.event_head(&session).await.unwrap(), None);
    // The trigger owns the session now; another trigger, or another session, not.
    assert!(e.event_session_owned(&trigger, &session).await.unwrap());
    assert!(!e.event_session_owned(&id(), &session).await.unwrap());
    assert!(!e.event_session_owned(&trigger, &id()).await.unwrap());
}
