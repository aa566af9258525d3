//! Inputs: number bounds and normalisation, dates, times and ranges, ratings.

use serde_json::json;

use crate::chat::{Chat, answer, assert_accepted, assert_retry};
use crate::common::engine::GENERIC_RETRY;
use crate::flows::{input, linear, text, with_values};

#[tokio::test]
async fn number_input_enforces_min_and_max() {
    let block = || input("in", "number input", "N", json!({"min": 1, "max": 10}));
    for good in ["1", "10", "5.5"] {
        let c = answer(block(), &["N"], good).await;
        assert_accepted(&c);
    }
    for bad in ["0", "11", "-3", "abc", ""] {
        let c = answer(block(), &["N"], bad).await;
        assert_retry(&c, "in", GENERIC_RETRY);
    }
}

/// A 0 bound is enforced by Tessera (Typebot ignores falsy bounds; documented deviation in
/// the number parser).
#[tokio::test]
async fn number_input_treats_a_zero_bound_as_a_real_bound() {
    let c = answer(
        input("in", "number input", "N", json!({"min": 0, "max": 5})),
        &["N"],
        "0",
    )
    .await;
    assert_accepted(&c);
    let c = answer(
        input("in", "number input", "N", json!({"min": 0})),
        &["N"],
        "-1",
    )
    .await;
    assert_retry(&c, "in", GENERIC_RETRY);
    let c = answer(
        input("in", "number input", "N", json!({"max": 0})),
        &["N"],
        "1",
    )
    .await;
    assert_retry(&c, "in", GENERIC_RETRY);
}

#[tokio::test]
async fn number_input_normalises_like_javascript_and_keeps_leading_zeros() {
    for (reply, stored) in [
        ("42.50", "42.5"),
        ("0,5", "0.5"),
        ("007", "007"),
        ("1e3", "1000"),
        (" 12 ", "12"),
    ] {
        let c = answer(input("in", "number input", "N", json!({})), &["N"], reply).await;
        assert_accepted(&c);
        assert_eq!(c.var_str("N").as_deref(), Some(stored), "{reply:?}");
    }
}

#[tokio::test]
async fn number_input_bounds_may_come_from_variables() {
    let def = with_values(
        linear(
            json!([
                input("in", "number input", "N", json!({"max": "{{Max}}"})),
                text("t", "done")
            ]),
            &["N", "Max"],
        ),
        &[("Max", json!("3"))],
    );
    let mut c = Chat::start(def).await;
    c.say("4").await;
    assert_retry(&c, "in", GENERIC_RETRY);
    c.say("3").await;
    assert_accepted(&c);
}

#[tokio::test]
async fn date_input_formats_dates_times_and_ranges() {
    let cases = [
        (json!({}), "2026-01-15", "15/01/2026"),
        (
            json!({"hasTime": true}),
            "2026-01-15T10:30",
            "15/01/2026 10:30",
        ),
        (json!({"format": "yyyy-MM-dd"}), "15/01/2026", "2026-01-15"),
        (
            json!({"isRange": true}),
            "2026-07-01 to 2026-07-15",
            "01/07/2026 to 15/07/2026",
        ),
        (
            json!({"isRange": true, "labels": {"separator": "→"}}),
            "2026-07-01 to 2026-07-15",
            "01/07/2026 → 15/07/2026",
        ),
    ];
    for (options, reply, stored) in cases {
        let c = answer(
            input("in", "date input", "D", options.clone()),
            &["D"],
            reply,
        )
        .await;
        assert_accepted(&c);
        assert_eq!(
            c.var_str("D").as_deref(),
            Some(stored),
            "{options} {reply:?}"
        );
    }
}

#[tokio::test]
async fn date_input_rejects_nonsense_missing_range_ends_and_dates_out_of_bounds() {
    let cases = [
        (json!({}), "not a date"),
        (json!({"isRange": true}), "2026-07-01"),
        (json!({"isRange": true}), "2026-07-15 to 2026-07-01"),
        (json!({"min": "2026-01-01"}), "2025-12-31"),
        (json!({"max": "2026-12-31"}), "2027-01-01"),
    ];
    for (options, reply) in cases {
        let c = answer(
            input("in", "date input", "D", options.clone()),
            &["D"],
            reply,
        )
        .await;
        assert_retry(&c, "in", GENERIC_RETRY);
    }
}

#[tokio::test]
async fn time_input_reads_common_notations() {
    for (reply, stored) in [("10:30", "10:30"), ("10:30 pm", "22:30"), ("9am", "09:00")] {
        let c = answer(input("in", "time input", "T", json!({})), &["T"], reply).await;
        assert_accepted(&c);
        assert_eq!(c.var_str("T").as_deref(), Some(stored), "{reply:?}");
    }
    let c = answer(
        input("in", "time input", "T", json!({"format": "h:mm a"})),
        &["T"],
        "22:05",
    )
    .await;
    assert_eq!(c.var_str("T").as_deref(), Some("10:05 PM"));
    let c = answer(input("in", "time input", "T", json!({})), &["T"], "banana").await;
    assert_retry(&c, "in", GENERIC_RETRY);
}

#[tokio::test]
async fn rating_input_accepts_numbers_up_to_its_length() {
    let block = || {
        input(
            "in",
            "rating input",
            "R",
            json!({"length": 5, "buttonType": "Numbers"}),
        )
    };
    for good in ["0", "3", "5"] {
        let c = answer(block(), &["R"], good).await;
        assert_accepted(&c);
        assert_eq!(c.var_str("R").as_deref(), Some(good));
    }
    for bad in ["6", "99", "abc", ""] {
        let c = answer(block(), &["R"], bad).await;
        assert_retry(&c, "in", GENERIC_RETRY);
    }
    // Without a length, ratings go up to 10.
    let c = answer(input("in", "rating input", "R", json!({})), &["R"], "10").await;
    assert_accepted(&c);
    let c = answer(input("in", "rating input", "R", json!({})), &["R"], "11").await;
    assert_retry(&c, "in", GENERIC_RETRY);
}

/// Deliberate difference (docs/COMPATIBILITY.md): Typebot only checks the upper bound.
#[tokio::test]
async fn rating_input_rejects_replies_below_its_scale_start() {
    let c = answer(
        input("in", "rating input", "R", json!({"length": 5})),
        &["R"],
        "-1",
    )
    .await;
    assert_retry(&c, "in", "Invalid message. Please, try again.");
    let c = answer(
        input(
            "in",
            "rating input",
            "R",
            json!({"length": 5, "startsAt": 1}),
        ),
        &["R"],
        "0",
    )
    .await;
    assert_retry(&c, "in", "Invalid message. Please, try again.");
}
