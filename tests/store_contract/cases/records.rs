//! Cases of the engine-API capabilities: documents and newest-first lists, single-use wait
//! tokens (racing takes: one winner), bounded transcripts, and timers claimed atomically
//! (racing claims: each due timer to exactly one claimer, again once its lease ends).

use std::collections::BTreeSet;

use std::sync::Arc;
use tessera::ids::new_id as id;

use tessera::store::{
    Doc, ExecutionDoc, Index, StoredDoc, TranscriptAppend, TranscriptMeta, TurnWrites,
};

use crate::backends::Backend;
use crate::support::{active, join_all, update};

/// An execution's document given as its JSON.
fn doc(json: &str) -> Arc<dyn ExecutionDoc> {
    Arc::new(json.to_string())
}

pub async fn records_round_trip_and_lists_are_newest_first(b: &Backend) {
    let r = &*b.records;
    let doc = id();
    assert_eq!(r.doc_get(Doc::Execution, &doc).await.unwrap(), None);
    r.doc_put(Doc::Execution, &doc, "{\"a\":1}".into(), 600)
        .await
        .unwrap();
    r.doc_put(Doc::Conversation, &doc, "{\"c\":1}".into(), 600)
        .await
        .unwrap();
    assert_eq!(
        r.doc_get(Doc::Execution, &doc).await.unwrap().as_deref(),
        Some("{\"a\":1}")
    );
    assert_eq!(
        r.doc_get(Doc::Conversation, &doc).await.unwrap().as_deref(),
        Some("{\"c\":1}")
    );
    r.doc_put(Doc::Execution, &doc, "{\"a\":2}".into(), 600)
        .await
        .unwrap();
    assert_eq!(
        r.doc_get(Doc::Execution, &doc).await.unwrap().as_deref(),
        Some("{\"a\":2}")
    );
    let list = id();
    assert!(
        r.index_list(Index::UserRuns, &list)
            .await
            .unwrap()
            .is_empty()
    );
    for m in ["a", "b", "c", "d"] {
        r.index_push(Index::UserRuns, &list, m, 3, 600)
            .await
            .unwrap();
    }
    assert_eq!(
        r.index_list(Index::UserRuns, &list).await.unwrap(),
        vec!["d", "c", "b"]
    );
    assert!(
        r.index_list(Index::ConversationExecutions, &list)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn a_wait_token_is_taken_exactly_once(b: &Backend) {
    let r = &*b.records;
    let exec = id();
    assert!(!r.token_take(&exec, "t1").await.unwrap(), "no token yet");
    r.token_set(&exec, "t1", 600).await.unwrap();
    assert!(
        !r.token_take(&exec, "other").await.unwrap(),
        "a foreign token"
    );
    let takes = join_all((0..8).map(|_| r.token_take(&exec, "t1")).collect()).await;
    let won = takes.into_iter().filter(|t| *t.as_ref().unwrap()).count();
    assert_eq!(won, 1, "one of the racing takes wins");
    r.token_set(&exec, "t2", 600).await.unwrap();
    assert!(!r.token_take(&exec, "t1").await.unwrap(), "a stale token");
    assert!(r.token_take(&exec, "t2").await.unwrap());
}

pub async fn an_execution_is_written_with_its_wait_token(b: &Backend) {
    let r = &*b.records;
    let exec = id();
    r.execution_put(&exec, doc("{\"n\":1}"), Some("t1"), 600)
        .await
        .unwrap();
    assert_eq!(
        r.doc_get(Doc::Execution, &exec).await.unwrap().as_deref(),
        Some("{\"n\":1}")
    );
    // Without a token the document is replaced and the token left as it was.
    r.execution_put(&exec, doc("{\"n\":2}"), None, 600)
        .await
        .unwrap();
    assert_eq!(
        r.doc_get(Doc::Execution, &exec).await.unwrap().as_deref(),
        Some("{\"n\":2}")
    );
    assert!(r.token_take(&exec, "t1").await.unwrap());
}

pub async fn a_wait_token_is_taken_with_its_execution_in_one_call(b: &Backend) {
    let r = &*b.records;
    let exec = id();
    assert_eq!(r.token_take_get(&exec, "t1").await.unwrap(), (false, None));
    r.execution_put(&exec, doc("{\"n\":1}"), Some("t1"), 600)
        .await
        .unwrap();
    // As written, whether the store gives it back as JSON or typed (equal when their JSON is).
    let written = Some(StoredDoc::Json("{\"n\":1}".to_string()));
    assert_eq!(
        r.token_take_get(&exec, "other").await.unwrap(),
        (false, written.clone())
    );
    let takes = join_all((0..8).map(|_| r.token_take_get(&exec, "t1")).collect()).await;
    let won = takes.iter().filter(|t| t.as_ref().unwrap().0).count();
    assert_eq!(won, 1, "one of the racing takes wins");
    assert!(takes.iter().all(|t| t.as_ref().unwrap().1 == written));
    assert!(!r.token_take(&exec, "t1").await.unwrap(), "used up");
}

pub async fn conversation_variables_merge_per_name(b: &Backend) {
    let r = &*b.records;
    let conv = id();
    assert!(r.vars_get(&conv).await.unwrap().is_empty());
    let merges = (0..8)
        .map(|i| r.vars_merge(&conv, vec![(format!("k{i}"), i.to_string())], 600))
        .collect();
    for m in join_all(merges).await {
        m.unwrap();
    }
    r.vars_merge(&conv, vec![("k0".into(), "\"new\"".into())], 600)
        .await
        .unwrap();
    let mut vars = r.vars_get(&conv).await.unwrap();
    vars.sort();
    let mut expected: Vec<(String, String)> =
        (1..8).map(|i| (format!("k{i}"), i.to_string())).collect();
    expected.insert(0, ("k0".into(), "\"new\"".into()));
    assert_eq!(vars, expected);
    r.vars_merge(&conv, Vec::new(), 600).await.unwrap();
    assert_eq!(r.vars_get(&conv).await.unwrap().len(), 8);
}

pub async fn transcripts_append_in_order_and_keep_the_last_entries(b: &Backend) {
    let r = &*b.records;
    let sid = id();
    assert_eq!(r.transcript_get(&sid).await.unwrap(), None);
    let meta = |s: &str| TranscriptMeta {
        status: s.into(),
        updated_at: format!("2026-01-01T00:00:0{}Z", s.len()),
    };
    let append = |entries: &[&str], status: &str| TranscriptAppend {
        entries: entries.iter().map(|e| e.to_string()).collect(),
        meta: meta(status),
        max_entries: 3,
        retention_secs: 600,
    };
    r.transcript_append(&sid, &append(&["1", "2"], "waiting_input"))
        .await
        .unwrap();
    r.transcript_append(&sid, &append(&["3", "4"], "completed"))
        .await
        .unwrap();
    r.transcript_append(&sid, &append(&[], "failed"))
        .await
        .unwrap();
    let t = r.transcript_get(&sid).await.unwrap().expect("transcript");
    assert_eq!(t.entries, vec!["2", "3", "4"]);
    assert_eq!(
        (t.status.as_str(), t.updated_at),
        ("failed", meta("failed").updated_at)
    );
}

pub async fn due_timers_are_claimed_once_and_again_after_their_lease(b: &Backend) {
    let r = &*b.records;
    // Far in the future of any other test's timers sharing the store: claims below see only
    // this test's (the set is one per store; ids are unique).
    let base: u64 = 4_000_000_000_000 + u64::from(id().as_bytes()[1]) * 1_000_000;
    let ids: Vec<String> = (0..20).map(|i| format!("{}-{i}", id())).collect();
    for (i, t) in ids.iter().enumerate() {
        r.timer_schedule(t, base + i as u64).await.unwrap();
    }
    let late = id();
    r.timer_schedule(&late, base + 10_000).await.unwrap();
    r.timer_cancel(&ids[0]).await.unwrap();
    let claims = join_all(
        (0..4)
            .map(|_| r.timer_claim(base + 100, 60_000, 7))
            .collect(),
    )
    .await;
    let mut seen = BTreeSet::new();
    let mut total = 0;
    for c in claims {
        for t in c.unwrap() {
            if ids.contains(&t) || t == late {
                total += 1;
                seen.insert(t);
            }
        }
    }
    assert_eq!(
        total, 19,
        "every due timer claimed once, none twice: {seen:?}"
    );
    assert!(!seen.contains(&ids[0]) && !seen.contains(&late));
    assert!(
        r.timer_claim(base + 100, 60_000, 100)
            .await
            .unwrap()
            .iter()
            .all(|t| !ids.contains(t)),
        "leased"
    );
    // After the lease, unfinished timers come back; cancelled ones do not.
    r.timer_cancel(&ids[1]).await.unwrap();
    let again: BTreeSet<String> = r
        .timer_claim(base + 60_200, 60_000, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|t| ids.contains(t) || *t == late)
        .collect();
    assert_eq!(
        again.len(),
        19,
        "18 after their lease, and the late one now due"
    );
    assert!(!again.contains(&ids[1]));
    for t in ids.iter().chain([&late]) {
        r.timer_cancel(t).await.unwrap();
    }
}

pub async fn timer_stats_count_the_scheduled_timers_and_give_the_earliest(b: &Backend) {
    let r = &*b.records;
    // Each backend of the suite is fresh (its own store, or its own key prefix).
    let empty = r.timer_stats().await.unwrap();
    assert_eq!((empty.pending, empty.earliest_due_ms), (0, None));
    let base: u64 = 4_100_000_000_000;
    let ids: Vec<String> = (0..3).map(|_| id()).collect();
    for (t, due) in ids.iter().zip([base + 5, base + 1, base + 9]) {
        r.timer_schedule(t, due).await.unwrap();
    }
    let s = r.timer_stats().await.unwrap();
    assert_eq!((s.pending, s.earliest_due_ms), (3, Some(base + 1)));
    r.timer_cancel(&ids[1]).await.unwrap();
    let s = r.timer_stats().await.unwrap();
    assert_eq!((s.pending, s.earliest_due_ms), (2, Some(base + 5)));
    for t in &ids {
        r.timer_cancel(t).await.unwrap();
    }
}

/// A long conversation's transcript, saved with its turns, holds exactly its last entries
/// after every turn, however the backend trims (Redis trims its list in batches).
pub async fn a_long_transcript_keeps_exactly_its_last_entries_turn_by_turn(b: &Backend) {
    let s = &*b.store;
    let (sid, flow, rid) = (id(), id(), id());
    let append = |n: usize| TranscriptAppend {
        entries: vec![format!("e{n}")],
        meta: TranscriptMeta {
            status: "waiting_input".into(),
            updated_at: format!("2024-05-01T10:00:{:02}Z", n % 60),
        },
        max_entries: 32,
        retention_secs: 3600,
    };
    let first = append(0);
    let u = update(&flow, &rid, "2024-05-01T10:00:00Z", &[], &[], false);
    let writes = TurnWrites {
        result: Some((&u, 3600)),
        transcript: Some(&first),
        answer: None,
        execution: None,
    };
    s.create_with_result(&sid, b"v".to_vec(), 60, writes)
        .await
        .unwrap();
    for n in 1..=80 {
        let l = active(s, &sid).await;
        let t = append(n);
        let key = format!("q{}", n % 3);
        let u = update(
            &flow,
            &rid,
            "2024-05-01T10:00:00Z",
            &[(&key, "a")],
            &[],
            false,
        );
        let writes = TurnWrites {
            result: Some((&u, 3600)),
            transcript: Some(&t),
            answer: None,
            execution: None,
        };
        s.save_turn(&sid, Some(b"v".to_vec()), &l, 60, writes)
            .await
            .unwrap();
        let got = s.transcript_get(&sid).await.unwrap().expect("transcript");
        let want: Vec<String> = (n.saturating_sub(31)..=n)
            .map(|i| format!("e{i}"))
            .collect();
        assert_eq!(got.entries, want, "after turn {n}");
        assert_eq!(got.updated_at, t.meta.updated_at);
    }
}
