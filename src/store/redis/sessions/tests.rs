//! Unit tests of the Redis session store's refresh rules and answer ordering.

use super::*;

#[test]
fn record_ttls_are_refreshed_only_when_they_would_end_within_the_retention() {
    // Fresh from `create`: the start turn's update refreshed the record at creation.
    let mut h = Header {
        created_s: 1000,
        ..Header::default()
    };
    assert!(!RedisStore::record_refresh(&mut h, 1_050_000, 3600));
    assert!(RedisStore::record_refresh(
        &mut h,
        1_000_000 + 113_000,
        3600
    ));
    let mut h = Header::default();
    let now = 1_000_000;
    assert!(RedisStore::record_refresh(&mut h, now, 3600));
    // The TTL set now: retention + slack (1/32, at most an hour).
    assert_eq!(h.record_until_ms, now + 3_600_000 + 112_500);
    // Within the slack: no refresh; past it: refresh.
    assert!(!RedisStore::record_refresh(&mut h, now + 100_000, 3600));
    assert!(RedisStore::record_refresh(&mut h, now + 113_000, 3600));
}

#[test]
fn answer_sequences_order_turns_after_start_writes_and_later_sessions_last() {
    let start_write = Seq::new(100, 999_999).nth(3);
    let turn2 = Seq::session(100, 2).nth(0);
    let turn3 = Seq::session(100, 3).nth(0);
    let later_session = Seq::now().nth(0);
    assert!(start_write < turn2 && turn2 < turn3 && turn3 < later_session);
    assert!(Seq::session(100, 2).nth(0) < Seq::session(100, 2).nth(1));
}

#[test]
fn transcript_ttls_are_refreshed_once_per_slack_and_after_a_turn_without_one() {
    let t = crate::store::TranscriptAppend {
        entries: vec!["e".into()],
        meta: crate::store::TranscriptMeta {
            status: "waiting_input".into(),
            updated_at: "2024-05-01T10:00:00Z".into(),
        },
        max_entries: 500,
        retention_secs: 3600,
    };
    // A new state knows no deadline: the first turn refreshes.
    let mut h = Header::default();
    let now = 1_000_000;
    assert!(RedisStore::log_refresh(&mut h, now, Some(&t)));
    // Retention + slack, as the result record's TTL.
    assert_eq!(h.log_until_ms, now + 3_600_000 + 112_500);
    assert!(!RedisStore::log_refresh(&mut h, now + 100_000, Some(&t)));
    assert!(RedisStore::log_refresh(&mut h, now + 113_000, Some(&t)));
    // A turn without a transcript forgets the deadline; the next one refreshes.
    assert!(!RedisStore::log_refresh(&mut h, now + 114_000, None));
    assert_eq!(h.log_until_ms, 0);
    assert!(RedisStore::log_refresh(&mut h, now + 115_000, Some(&t)));
}
