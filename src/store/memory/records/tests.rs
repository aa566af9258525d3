//! The memory records' own bounds (transcripts capped, the newest kept).

use super::*;
use crate::store::TranscriptMeta;

fn append(text: &str) -> TranscriptAppend {
    TranscriptAppend {
        entries: vec![format!(r#"{{"role":"bot","message":{text},"at":"t"}}"#)],
        meta: TranscriptMeta {
            status: "waiting".into(),
            updated_at: "t".into(),
        },
        max_entries: 10,
        retention_secs: 3600,
    }
}

#[tokio::test]
async fn the_transcript_cap_holds_and_keeps_the_most_recently_written() {
    let records = MemoryRecords::default();
    records.set_max_transcripts(20);
    for i in 0..200 {
        records
            .transcript_append(&format!("s{i}"), &append(&i.to_string()))
            .await
            .unwrap();
        // The first session appends every time: it is never the oldest.
        records.transcript_append("s0", &append("0")).await.unwrap();
        assert!(records.transcript_count() <= 20);
    }
    assert_eq!(records.transcript_count(), 20);
    for i in (181..200).chain([0]) {
        let t = records.transcript_get(&format!("s{i}")).await.unwrap();
        assert_eq!(
            t.map(|t| t.entries[0].clone()),
            Some(append(&i.to_string()).entries[0].clone())
        );
    }
    assert_eq!(records.transcript_get("s1").await.unwrap(), None);
    assert_eq!(records.transcript_get("s180").await.unwrap(), None);
    let s0 = records.transcript_get("s0").await.unwrap().unwrap();
    assert_eq!(s0.entries.len(), 10, "the last max_entries kept");
}

#[tokio::test]
async fn a_full_transcript_keeps_the_last_entries_in_order() {
    let records = MemoryRecords::default();
    let entry = |i: usize| format!(r#"{{"role":"user","message":"m{i}","at":"t"}}"#);
    let mut all = Vec::new();
    // Appends of 1, 2 and 3 entries (a turn writes a reply and the bot's messages), then one of
    // more than the cap: past the cap, the ring wraps at every offset.
    for (k, n) in [1, 2, 3].iter().cycle().take(40).chain([&13]).enumerate() {
        let mut a = append("x");
        a.entries = (0..*n).map(|j| entry(k * 100 + j)).collect();
        all.extend(a.entries.clone());
        records.transcript_append("s", &a).await.unwrap();
        let got = records.transcript_get("s").await.unwrap().unwrap().entries;
        let want = &all[all.len().saturating_sub(10)..];
        assert_eq!(got, want, "after append {k}");
    }
}
