//! Contract cases on results: recorded with the turns that save them, merged, listed in pages,
//! dropped after their retention.

use std::time::Duration;

use tessera::ids::new_id as id;
use tessera::store::{
    Loaded, ResultRecord, ResultUpdate, StoreError, Transcript, TranscriptAppend, TranscriptMeta,
    TurnWrites,
};

use crate::backends::Backend;
use crate::support::{active, join_all, update};

pub async fn saving_a_turn_records_its_result_only_when_the_save_applies(b: &Backend) {
    let s = &*b.store;
    let (sid, flow, rid) = (id(), id(), id());
    s.create(&sid, b"v1".to_vec(), 60).await.unwrap();
    let l = active(s, &sid).await;
    let u1 = update(
        &flow,
        &rid,
        "2024-05-01T10:00:00Z",
        &[("q1", "a")],
        &[("x", "1")],
        false,
    );
    s.save_turn(
        &sid,
        Some(b"v2".to_vec()),
        &l,
        60,
        TurnWrites::result(&u1, 3600),
    )
    .await
    .unwrap();
    assert_eq!(
        s.get_result(&flow, &rid).await.unwrap(),
        Some(ResultRecord::new(&u1))
    );
    // A stale save (the lease it held is gone) changes neither the session nor the result.
    let u2 = update(
        &flow,
        &rid,
        "2024-05-01T10:01:00Z",
        &[("q2", "b")],
        &[],
        true,
    );
    assert_eq!(
        s.save_turn(
            &sid,
            Some(b"late".to_vec()),
            &l,
            60,
            TurnWrites::result(&u2, 3600)
        )
        .await,
        Err(StoreError::Busy)
    );
    assert_eq!(
        s.get_result(&flow, &rid).await.unwrap(),
        Some(ResultRecord::new(&u1))
    );
    let l2 = active(s, &sid).await;
    assert_eq!(l2.data, b"v2");
    // Finishing saves the last result update with it.
    s.save_turn(&sid, None, &l2, 60, TurnWrites::result(&u2, 3600))
        .await
        .unwrap();
    assert_eq!(s.begin_turn(&sid, 1000).await.unwrap(), Loaded::Finished);
    let mut expected = ResultRecord::new(&u1);
    expected.apply(&u2);
    assert_eq!(s.get_result(&flow, &rid).await.unwrap(), Some(expected));
}

pub async fn a_start_turn_creates_its_session_and_records_its_result(b: &Backend) {
    let s = &*b.store;
    let (sid, flow, rid) = (id(), id(), id());
    let u = update(
        &flow,
        &rid,
        "2024-05-01T10:00:00Z",
        &[("q1", "a")],
        &[("x", "1")],
        false,
    );
    s.create_with_result(&sid, b"v1".to_vec(), 60, TurnWrites::result(&u, 3600))
        .await
        .unwrap();
    let l = active(s, &sid).await;
    assert_eq!((l.data.as_slice(), l.version), (&b"v1"[..], 1));
    assert_eq!(
        s.get_result(&flow, &rid).await.unwrap(),
        Some(ResultRecord::new(&u))
    );
    let listed = s.list_results(&flow, None, 10).await.unwrap().results;
    assert_eq!(
        listed.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        [rid.as_str()]
    );
    // An id that is taken: busy, and nothing recorded.
    let other = update(
        &flow,
        &id(),
        "2024-05-01T10:01:00Z",
        &[("q1", "b")],
        &[],
        false,
    );
    assert_eq!(
        s.create_with_result(
            &sid,
            b"again".to_vec(),
            60,
            TurnWrites::result(&other, 3600)
        )
        .await,
        Err(StoreError::Busy)
    );
    assert_eq!(s.get_result(&flow, &other.result_id).await.unwrap(), None);
    s.abort_turn(&sid, &l).await.unwrap();
    assert_eq!(active(s, &sid).await.data, b"v1");
    // Without an update it is a plain create.
    let plain = id();
    s.create_with_result(&plain, b"p".to_vec(), 60, TurnWrites::default())
        .await
        .unwrap();
    assert_eq!(active(s, &plain).await.data, b"p");
}

pub async fn results_merge_like_result_record_apply(b: &Backend) {
    let s = &*b.store;
    let (flow, rid) = (id(), id());
    let u1 = update(
        &flow,
        &rid,
        "2024-05-01T10:00:00Z",
        &[("q1", "a"), ("q2", "b")],
        &[("x", "1")],
        false,
    );
    let u2 = update(
        &flow,
        &rid,
        "2024-05-01T10:01:00Z",
        &[("q1", "A"), ("q3", "c")],
        &[("y", "2")],
        true,
    );
    s.record_result(&u1, 3600).await.unwrap();
    s.record_result(&u2, 3600).await.unwrap();
    let mut expected = ResultRecord::new(&u1);
    expected.apply(&u2);
    assert_eq!(s.get_result(&flow, &rid).await.unwrap(), Some(expected));
    assert_eq!(s.get_result(&flow, &id()).await.unwrap(), None);
    // Concurrent updates of one result lose nothing.
    let rid2 = id();
    let keys: Vec<String> = (0..20).map(|i| format!("k{i}")).collect();
    let updates: Vec<ResultUpdate> = keys
        .iter()
        .map(|k| {
            update(
                &flow,
                &rid2,
                "2024-05-01T11:00:00Z",
                &[(k, "v")],
                &[(k, "v")],
                false,
            )
        })
        .collect();
    let done = join_all(updates.iter().map(|u| s.record_result(u, 3600)).collect()).await;
    assert!(done.iter().all(Result::is_ok), "{done:?}");
    let merged = s.get_result(&flow, &rid2).await.unwrap().unwrap();
    assert_eq!(merged.answers.len(), 20);
    assert_eq!(merged.variables.len(), 20);
}

pub async fn results_list_newest_first_in_stable_pages(b: &Backend) {
    let s = &*b.store;
    let flow = id();
    // r5a and r5b share a timestamp: ties are ordered by id, newest first means "r5b" first.
    let made = [
        ("r0", 0),
        ("r1", 1),
        ("r2", 2),
        ("r3", 3),
        ("r4", 4),
        ("r5a", 5),
        ("r5b", 5),
    ];
    for (rid, sec) in made {
        let at = format!("2024-05-01T10:00:0{sec}.000Z");
        s.record_result(&update(&flow, rid, &at, &[("q", rid)], &[], false), 3600)
            .await
            .unwrap();
    }
    s.record_result(
        &update(&id(), "elsewhere", "2024-05-01T10:00:09Z", &[], &[], false),
        3600,
    )
    .await
    .unwrap();
    let want = ["r5b", "r5a", "r4", "r3", "r2", "r1", "r0"];
    for limit in [1, 3, 7, 50] {
        let (mut seen, mut cursor) = (Vec::new(), None::<String>);
        loop {
            let page = s
                .list_results(&flow, cursor.as_deref(), limit)
                .await
                .unwrap();
            assert!(page.results.len() <= limit);
            seen.extend(page.results.iter().map(|r| r.id.clone()));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen, want, "limit {limit}");
    }
    assert!(
        s.list_results(&id(), None, 10)
            .await
            .unwrap()
            .results
            .is_empty()
    );
}

pub async fn results_are_dropped_after_their_retention(b: &Backend) {
    let s = &*b.store;
    let flow = id();
    s.record_result(
        &update(
            &flow,
            "short",
            "2024-05-01T10:00:00Z",
            &[("q", "a")],
            &[],
            false,
        ),
        1,
    )
    .await
    .unwrap();
    s.record_result(
        &update(
            &flow,
            "long",
            "2024-05-01T09:00:00Z",
            &[("q", "a")],
            &[],
            false,
        ),
        3600,
    )
    .await
    .unwrap();
    assert_eq!(
        s.list_results(&flow, None, 10).await.unwrap().results.len(),
        2
    );
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let left: Vec<String> = s
        .list_results(&flow, None, 10)
        .await
        .unwrap()
        .results
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(left, ["long"]);
    assert_eq!(s.get_result(&flow, "short").await.unwrap(), None);
}

/// A transcript append of `entries` with this status (bound 4).
pub fn transcript(entries: &[&str], status: &str) -> TranscriptAppend {
    TranscriptAppend {
        entries: entries.iter().map(|e| e.to_string()).collect(),
        meta: TranscriptMeta {
            status: status.into(),
            updated_at: "2024-05-01T10:00:00Z".into(),
        },
        max_entries: 4,
        retention_secs: 3600,
    }
}

pub async fn a_turn_saves_its_transcript_with_it_only_when_the_save_applies(b: &Backend) {
    let s = &*b.store;
    let (sid, flow, rid) = (id(), id(), id());
    let entries = |s: Option<Transcript>| s.map(|t| (t.entries, t.status));
    let u = update(&flow, &rid, "2024-05-01T10:00:00Z", &[], &[], false);
    let t1 = transcript(&["hello"], "waiting_input");
    let writes = TurnWrites {
        result: Some((&u, 3600)),
        transcript: Some(&t1),
        answer: None,
        execution: None,
    };
    s.create_with_result(&sid, b"v1".to_vec(), 60, writes)
        .await
        .unwrap();
    assert_eq!(
        entries(s.transcript_get(&sid).await.unwrap()),
        Some((vec!["hello".to_string()], "waiting_input".to_string()))
    );
    // With a result update, and without one.
    let l = active(s, &sid).await;
    let u2 = update(
        &flow,
        &rid,
        "2024-05-01T10:01:00Z",
        &[("q", "a")],
        &[],
        false,
    );
    let t2 = transcript(&["a", "q2"], "waiting_input");
    let writes = TurnWrites {
        result: Some((&u2, 3600)),
        transcript: Some(&t2),
        answer: None,
        execution: None,
    };
    s.save_turn(&sid, Some(b"v2".to_vec()), &l, 60, writes)
        .await
        .unwrap();
    let l = active(s, &sid).await;
    let t3 = transcript(&["b", "q3"], "waiting_input");
    let writes = TurnWrites {
        result: None,
        transcript: Some(&t3),
        answer: None,
        execution: None,
    };
    s.save_turn(&sid, Some(b"v3".to_vec()), &l, 60, writes)
        .await
        .unwrap();
    // A stale save appends nothing.
    let t4 = transcript(&["late"], "failed");
    for result in [Some((&u2, 3600)), None] {
        let writes = TurnWrites {
            result,
            transcript: Some(&t4),
            answer: None,
            execution: None,
        };
        assert_eq!(
            s.save_turn(&sid, Some(b"late".to_vec()), &l, 60, writes)
                .await,
            Err(StoreError::Busy)
        );
    }
    // Bounded: the oldest entries go.
    assert_eq!(
        entries(s.transcript_get(&sid).await.unwrap()),
        Some((
            vec!["a", "q2", "b", "q3"]
                .into_iter()
                .map(String::from)
                .collect(),
            "waiting_input".to_string()
        ))
    );
    let l = active(s, &sid).await;
    let t5 = transcript(&["c", "bye"], "completed");
    let writes = TurnWrites {
        result: Some((&u2, 3600)),
        transcript: Some(&t5),
        answer: None,
        execution: None,
    };
    s.save_turn(&sid, None, &l, 60, writes).await.unwrap();
    assert_eq!(
        entries(s.transcript_get(&sid).await.unwrap()),
        Some((
            vec!["b", "q3", "c", "bye"]
                .into_iter()
                .map(String::from)
                .collect(),
            "completed".to_string()
        ))
    );
}
