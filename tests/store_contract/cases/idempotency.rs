//! Contract cases on idempotency claims: settling a claim (compare-and-set), the owners'
//! liveness records, and a turn saved with its answer (both or neither).

use std::time::Duration;

use tessera::ids::new_id as id;
use tessera::store::{AnswerWrite, BESIDE, Loaded, StoreError, StoredResponse, TurnWrites};

use super::results::transcript;
use crate::backends::Backend;
use crate::support::{active, update};

/// A claim record of `owner`.
pub(super) fn claim(owner: &str) -> StoredResponse {
    claim_of(owner, &id())
}

/// A claim record of `owner` with its token.
fn claim_of(owner: &str, token: &str) -> StoredResponse {
    StoredResponse {
        fingerprint: "f".into(),
        status: 0,
        body: format!("{owner} {token}"),
    }
}

pub(super) fn reply(body: &str) -> StoredResponse {
    StoredResponse {
        fingerprint: "f".into(),
        status: 200,
        body: body.into(),
    }
}

pub async fn a_claim_is_settled_only_while_the_key_holds_it(b: &Backend) {
    let s = &*b.store;
    let k = format!("continue:{}", id());
    let (mine, theirs) = (claim("a"), claim("b"));
    assert!(!s.idempotency_settle(&k, &mine, None, 60).await.unwrap());
    assert!(s.idempotency_put(&k, &mine, 60).await.unwrap());
    // Another claim does not match: nothing is written.
    let done = reply("{\"x\":1}");
    assert!(
        !s.idempotency_settle(&k, &theirs, Some(&done), 60)
            .await
            .unwrap()
    );
    assert_eq!(s.idempotency_get(&k).await.unwrap(), Some(mine.clone()));
    // Taken over: the claim is replaced by another.
    assert!(
        s.idempotency_settle(&k, &mine, Some(&theirs), 60)
            .await
            .unwrap()
    );
    assert_eq!(s.idempotency_get(&k).await.unwrap(), Some(theirs.clone()));
    // The first owner's release no longer applies; the new owner's answer does.
    assert!(!s.idempotency_settle(&k, &mine, None, 60).await.unwrap());
    assert!(
        s.idempotency_settle(&k, &theirs, Some(&done), 60)
            .await
            .unwrap()
    );
    assert_eq!(s.idempotency_get(&k).await.unwrap(), Some(done.clone()));
    // A final answer is not a claim: it is never released by one.
    assert!(!s.idempotency_settle(&k, &theirs, None, 60).await.unwrap());
    // Released: the key can be claimed again.
    let again = format!("continue:{}", id());
    assert!(s.idempotency_put(&again, &mine, 60).await.unwrap());
    assert!(s.idempotency_settle(&again, &mine, None, 60).await.unwrap());
    assert_eq!(s.idempotency_get(&again).await.unwrap(), None);
}

pub async fn an_owner_is_alive_until_its_heartbeat_lapses(b: &Backend) {
    let s = &*b.store;
    let owner = id();
    assert!(!s.owner_alive(&owner).await.unwrap());
    s.owner_heartbeat(&owner, 600).await.unwrap();
    assert!(s.owner_alive(&owner).await.unwrap());
    assert!(!s.owner_alive(&id()).await.unwrap());
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert!(!s.owner_alive(&owner).await.unwrap());
}

pub async fn a_turn_is_saved_with_its_answer_only_under_its_claim(b: &Backend) {
    let s = &*b.store;
    // A continueChat key lives in its session's slot: atomic on a cluster too.
    let (flow, rid) = (id(), id());
    let u = update(
        &flow,
        &rid,
        "2024-05-01T10:00:00Z",
        &[("q", "a")],
        &[],
        false,
    );
    let t = transcript(&["a", "q2"], "waiting_input");
    // A commit with a result and a transcript, a commit with neither, a finish.
    for (data, result, with_transcript) in [
        (Some(b"v2".to_vec()), true, true),
        (Some(b"v2".to_vec()), false, false),
        (None, true, true),
        (None, false, false),
    ] {
        let sid = id();
        s.create(&sid, b"v1".to_vec(), 60).await.unwrap();
        let k = format!("continue:{sid}:{}", id());
        let (mine, theirs) = (claim("a"), claim("b"));
        let answer = reply("{\"said\":\"hi\"}");
        let writes = |c| TurnWrites {
            result: result.then_some((&u, 3600)),
            transcript: with_transcript.then_some(&t),
            answer: Some(AnswerWrite {
                key: &k,
                claim: c,
                answer: &answer,
                ttl_secs: 60,
            }),
            execution: None,
        };
        // The claim was taken over by another request: nothing is written.
        assert!(s.idempotency_put(&k, &theirs, 60).await.unwrap());
        let l = active(s, &sid).await;
        let saved = s.save_turn(&sid, data.clone(), &l, 60, writes(&mine)).await;
        assert!(matches!(saved, Err(StoreError::Busy)), "{saved:?}");
        assert_eq!(s.idempotency_get(&k).await.unwrap(), Some(theirs.clone()));
        s.abort_turn(&sid, &l).await.unwrap();
        let again = active(s, &sid).await;
        assert_eq!((again.data.as_slice(), again.version), (&b"v1"[..], 1));
        s.abort_turn(&sid, &again).await.unwrap();
        // Under its own claim: the session and the answer, together.
        assert!(
            s.idempotency_settle(&k, &theirs, Some(&mine), 60)
                .await
                .unwrap()
        );
        let l = active(s, &sid).await;
        s.save_turn(&sid, data.clone(), &l, 60, writes(&mine))
            .await
            .unwrap();
        assert_eq!(s.idempotency_get(&k).await.unwrap(), Some(answer.clone()));
        match &data {
            Some(d) => assert_eq!(&active(s, &sid).await.data, d),
            None => assert_eq!(s.begin_turn(&sid, 1000).await.unwrap(), Loaded::Finished),
        }
    }
}

pub async fn a_start_is_created_with_its_answer_only_under_its_claim(b: &Backend) {
    let s = &*b.store;
    // A start's key is not in its new session's slot: on a cluster the store cannot check
    // the claim; it creates the session, named after the claim's token, with a copy of the
    // answer beside it (the caller settles the key), unless a retry that took the claim over
    // marked the copy's key first (docs/REDIS.md).
    let cluster = s.kind() == "redis-cluster";
    let flow = id();
    let t = transcript(&["q1"], "waiting_input");
    // A waiting session with a result and a transcript, one with neither, a finished one.
    for (waiting, with_records) in [(true, true), (true, false), (false, false)] {
        let (sid, rid) = (id(), id());
        let u = update(&flow, &rid, "2024-05-01T10:00:00Z", &[], &[], false);
        let k = format!("start:{flow}:{}", id());
        let beside = format!("{BESIDE}{sid}");
        let (mine, theirs) = (claim_of("a", &sid), claim("b"));
        let answer = reply(&format!("{{\"sessionId\":\"{sid}\"}}"));
        let write = |c| AnswerWrite {
            key: &k,
            claim: c,
            answer: &answer,
            ttl_secs: 60,
        };
        let create = |c| {
            let writes = TurnWrites {
                result: with_records.then_some((&u, 3600)),
                transcript: with_records.then_some(&t),
                answer: Some(write(c)),
                execution: None,
            };
            if waiting {
                s.create_marked(&sid, b"v1".to_vec(), 60, writes, 0)
            } else {
                s.create_finished_answered(&sid, 0, Some(write(c)), None)
            }
        };
        // The claim was taken over by another request: nothing is created.
        assert!(s.idempotency_put(&k, &theirs, 60).await.unwrap());
        if cluster {
            assert!(s.idempotency_put(&beside, &theirs, 60).await.unwrap());
        }
        let created = create(&mine).await;
        assert!(matches!(created, Err(StoreError::Busy)), "{created:?}");
        assert_eq!(s.idempotency_get(&k).await.unwrap(), Some(theirs.clone()));
        assert_eq!(s.begin_turn(&sid, 1000).await.unwrap(), Loaded::Missing);
        assert_eq!(s.get_result(&flow, &rid).await.unwrap(), None);
        assert_eq!(s.transcript_get(&sid).await.unwrap(), None);
        if cluster {
            assert_eq!(
                s.idempotency_get(&beside).await.unwrap(),
                Some(theirs.clone())
            );
            s.idempotency_release(&beside).await.unwrap();
        }
        // Under its own claim: the session (or its marker) and the answer, together (on a
        // cluster, its copy beside the session; elsewhere no copy).
        assert!(
            s.idempotency_settle(&k, &theirs, Some(&mine), 60)
                .await
                .unwrap()
        );
        create(&mine).await.unwrap();
        let record = s.idempotency_get(&k).await.unwrap();
        let copy = s.idempotency_get(&beside).await.unwrap();
        if cluster {
            assert_eq!((record, copy), (Some(mine.clone()), Some(answer.clone())));
        } else {
            assert_eq!((record, copy), (Some(answer.clone()), None));
        }
        if waiting {
            let l = active(s, &sid).await;
            assert_eq!((l.data.as_slice(), l.version), (&b"v1"[..], 1));
        } else {
            assert_eq!(s.begin_turn(&sid, 1000).await.unwrap(), Loaded::Finished);
        }
        let recorded = s.get_result(&flow, &rid).await.unwrap();
        assert_eq!(recorded.is_some(), with_records, "{recorded:?}");
        let said = s.transcript_get(&sid).await.unwrap();
        assert_eq!(said.is_some(), with_records, "{said:?}");
        // The answer is not a claim any more (on a cluster: its copy exists): a second
        // creation under it writes nothing.
        let again = create(&mine).await;
        assert!(matches!(again, Err(StoreError::Busy)), "{again:?}");
    }
}
