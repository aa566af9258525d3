//! The memory store's own bounds: the incremental sweep and the cap on results.

use std::time::Duration;

use super::*;
use crate::store::{ResultRecord, ResultStore, ResultUpdate};

fn update(flow: &str, id: &str) -> ResultUpdate {
    ResultUpdate {
        flow_id: flow.into(),
        result_id: id.into(),
        at: "2024-05-01T10:00:00Z".into(),
        answers: vec![],
        variables: serde_json::Map::new(),
        logs: vec![],
        completed: false,
        token_usage: None,
    }
}

fn response() -> StoredResponse {
    StoredResponse {
        fingerprint: String::new(),
        status: 200,
        body: String::new(),
    }
}

#[test]
fn the_sweep_removes_every_expired_entry_in_bounded_steps_and_keeps_live_ones() {
    // Far enough from the store's epoch that the past is not clamped to it.
    let now = Tick::now() + Duration::from_secs(3600);
    let past = now - Duration::from_secs(1);
    let later = now + Duration::from_secs(60);
    let grace = Duration::ZERO;
    let mut g = Inner::default();
    for i in 0..1000 {
        let forget = if i % 3 == 0 { later } else { past };
        g.sessions
            .insert(format!("s{i}").into(), Entry::Finished { forget, mark: 0 });
        let exp = if i % 4 == 0 { later } else { past };
        g.idempotency
            .insert(format!("k{i}").into(), (response(), exp));
        let exp = if i % 5 == 0 { later } else { past };
        write(
            &mut g,
            &update(&format!("f{}", i % 7), &format!("r{i}")),
            exp,
        );
    }
    // Each step looks at a bounded number of entries; enough steps go round every map.
    for _ in 0..200 {
        sweep(&mut g, now, grace, 32);
    }
    assert_eq!(g.sessions.len(), 334);
    assert!(
        g.sessions
            .keys()
            .all(|k| k[1..].parse::<u32>().unwrap() % 3 == 0)
    );
    assert_eq!(g.idempotency.len(), 250);
    assert_eq!(g.results.len(), 200);
    for _ in 0..200 {
        sweep(&mut g, later + Duration::from_secs(1), grace, 32);
    }
    assert!(g.sessions.is_empty() && g.idempotency.is_empty() && g.results.is_empty());
}

#[test]
fn an_active_session_is_forgotten_once_its_grace_after_expiry_is_over() {
    let now = Tick::now() + Duration::from_secs(3600);
    let mut g = Inner::default();
    let active = |expires| Entry::Active {
        data: Box::new([]),
        version: 1,
        lease: None,
        expires,
        mark: 0,
    };
    g.sessions
        .insert("gone".into(), active(now - Duration::from_secs(20)));
    g.sessions
        .insert("marker".into(), active(now - Duration::from_secs(5)));
    sweep(&mut g, now, Duration::from_secs(10), 32);
    assert_eq!(
        g.sessions.keys().map(|k| &**k).collect::<Vec<_>>(),
        ["marker"]
    );
}

fn write(g: &mut Inner, u: &ResultUpdate, expires: Tick) {
    super::results::write(g, u, expires);
}

#[tokio::test]
async fn the_result_cap_holds_and_keeps_the_most_recently_written() {
    let store = MemoryStore::new().with_max_results(50);
    for i in 0..500 {
        store
            .record_result(&update(&format!("f{}", i % 3), &format!("r{i:03}")), 3600)
            .await
            .unwrap();
        // The first result is written again and again: it is never the oldest.
        store
            .record_result(&update("f0", "r000"), 3600)
            .await
            .unwrap();
        assert!(store.result_count() <= 50);
    }
    assert_eq!(store.result_count(), 50);
    assert!(store.get_result("f0", "r000").await.unwrap().is_some());
    for i in 451..500 {
        let (flow, id) = (format!("f{}", i % 3), format!("r{i:03}"));
        assert!(
            store.get_result(&flow, &id).await.unwrap().is_some(),
            "{id}"
        );
    }
    assert!(store.get_result("f1", "r001").await.unwrap().is_none());
    assert!(store.get_result("f2", "r449").await.unwrap().is_none());
}

#[tokio::test]
async fn a_compact_result_reads_back_as_written() {
    let store = MemoryStore::new();
    let mut u = update("f", "r1");
    u.answers.push(AnswerRecord {
        block_id: "b".into(),
        key: "Name".into(),
        content: "Ada".into(),
        attached_file_urls: vec![],
    });
    u.variables.insert("Name".into(), "Ada".into());
    store.record_result(&update("f", "r1"), 60).await.unwrap();
    store.record_result(&u, 60).await.unwrap();
    let mut expected = ResultRecord::new(&update("f", "r1"));
    expected.apply(&u);
    assert_eq!(store.get_result("f", "r1").await.unwrap(), Some(expected));
    assert_eq!(store.get_result("g", "r1").await.unwrap(), None);
}

#[tokio::test]
async fn finished_markers_are_capped_with_the_results_and_the_newest_kept() {
    use crate::store::{Loaded, SessionStore};
    let store = MemoryStore::new().with_max_results(50);
    let live = "live-session";
    store.create(live, b"x".to_vec(), 3600).await.unwrap();
    for i in 0..300 {
        let id = format!("s{i:03}");
        store.create(&id, b"x".to_vec(), 3600).await.unwrap();
        let Loaded::Active(l) = store.begin_turn(&id, 1000).await.unwrap() else {
            panic!("active");
        };
        store.finish_turn(&id, &l).await.unwrap();
        // A marker written straight away counts too.
        store.create_finished(&format!("m{i:03}")).await.unwrap();
        assert!(
            store.lock().sessions.len() <= 51,
            "50 markers and the live session"
        );
    }
    assert!(store.lock().finished.len() <= 50);
    assert!(matches!(
        store.begin_turn("m299", 1000).await.unwrap(),
        Loaded::Finished
    ));
    assert!(matches!(
        store.begin_turn("s299", 1000).await.unwrap(),
        Loaded::Finished
    ));
    // The oldest markers went: their sessions read as unknown.
    assert!(matches!(
        store.begin_turn("s000", 1000).await.unwrap(),
        Loaded::Missing
    ));
    // A live session is never dropped by the cap.
    assert!(matches!(
        store.begin_turn(live, 1000).await.unwrap(),
        Loaded::Active(_)
    ));
}
