//! Branching: condition operators and combinations, jumps (to a group, a block, by variable) and
//! returns, A/B tests.

use serde_json::{Value, json};
use tessera::engine::TurnStatus;

use crate::chat::Chat;
use crate::flows::{block, edge, flow_def, group, text, vid, with_values};

/// A Condition on variable X: true goes to "Yes", else (block edge) to "No".
fn condition_flow(op: &str, right: Option<&str>, x: Option<Value>) -> Value {
    let mut cmp = json!({"id": "c1", "variableId": vid("X"), "comparisonOperator": op});
    if let Some(r) = right {
        cmp["value"] = json!(r);
    }
    let cond = json!({"id": "cond", "type": "Condition", "outgoingEdgeId": "e-no",
        "items": [{"id": "it1", "outgoingEdgeId": "e-yes", "content": {"comparisons": [cmp]}}]});
    let def = flow_def(
        json!([
            group("g-main", "Main", json!([cond])),
            group("g-yes", "Yes", json!([text("t-yes", "yes")])),
            group("g-no", "No", json!([text("t-no", "no")])),
        ]),
        json!([edge("e-yes", "g-yes"), edge("e-no", "g-no")]),
        &["X", "Y"],
    );
    match x {
        Some(v) => with_values(def, &[("X", v), ("Y", json!(["b", "a"]))]),
        None => with_values(def, &[("Y", json!(["b", "a"]))]),
    }
}

#[tokio::test]
async fn condition_operators_compare_like_typebot() {
    let s = |v: &str| Some(json!(v));
    let list = || Some(json!(["a", "b", "c"]));
    let cases: Vec<(Option<Value>, &str, Option<&str>, bool)> = vec![
        (s("Ada"), "Equal to", Some("Ada"), true),
        (s("Ada"), "Equal to", Some("ada"), false),
        (s("Ada"), "Not equal", Some("Bob"), true),
        (s("Ada"), "Not equal", Some("Ada"), false),
        (s("Hello World"), "Contains", Some("world"), true),
        (s("Hello"), "Contains", Some("xyz"), false),
        (s("Hello"), "Does not contain", Some("xyz"), true),
        (s("Hello"), "Does not contain", Some("ELL"), false),
        (s("10"), "Greater than", Some("9"), true),
        (s("10"), "Less than", Some("9"), false),
        (s("5"), "Greater or equal to", Some("5"), true),
        (s("5"), "Less or equal to", Some("4"), false),
        (s("2026-01-15"), "Greater than", Some("2025-12-31"), true),
        (s("abcd"), "Greater than", Some("abc"), true),
        (None, "Is set", None, false),
        (s("x"), "Is set", None, true),
        (None, "Is empty", None, true),
        (s("x"), "Is empty", None, false),
        (s("Hello"), "Starts with", Some("he"), true),
        (s("Hello"), "Starts with", Some("lo"), false),
        (s("Hello"), "Ends with", Some("LO"), true),
        (s("abc123"), "Matches regex", Some("^[a-z]+\\d+$"), true),
        (s("ABC"), "Matches regex", Some("/^abc$/i"), true),
        (s("ABC"), "Matches regex", Some("^abc$"), false),
        (s("abc"), "Does not match regex", Some("^\\d+$"), true),
        (s("abc"), "Matches regex", Some("(unclosed"), false),
        (list(), "Contains", Some("b"), true),
        (list(), "Contains", Some("z"), false),
        (list(), "Does not contain", Some("z"), true),
        (list(), "Greater than", Some("2"), true),
        (list(), "Less than", Some("2"), false),
        (s("b"), "Equal to", Some("{{Y}}"), false),
        (s("a"), "Contains", Some("{{Y}}"), true),
        (s("x"), "Unknown operator", Some("x"), false),
    ];
    for (x, op, right, expected) in cases {
        let c = Chat::start(condition_flow(op, right, x.clone())).await;
        let want = if expected { "yes" } else { "no" };
        assert_eq!(c.first_text(), want, "{x:?} {op} {right:?}");
    }
}

fn two_comparisons(op: &str, a: &str, b: &str) -> Value {
    let cond = json!({"id": "cond", "type": "Condition", "outgoingEdgeId": "e-no",
        "items": [{"id": "it1", "outgoingEdgeId": "e-yes", "content": {"logicalOperator": op, "comparisons": [
            {"id": "c1", "variableId": vid("A"), "comparisonOperator": "Equal to", "value": "1"},
            {"id": "c2", "variableId": vid("B"), "comparisonOperator": "Equal to", "value": "1"}]}}]});
    with_values(
        flow_def(
            json!([
                group("g-main", "Main", json!([cond])),
                group("g-yes", "Yes", json!([text("t-yes", "yes")])),
                group("g-no", "No", json!([text("t-no", "no")])),
            ]),
            json!([edge("e-yes", "g-yes"), edge("e-no", "g-no")]),
            &["A", "B"],
        ),
        &[("A", json!(a)), ("B", json!(b))],
    )
}

#[tokio::test]
async fn condition_and_needs_every_comparison_and_or_needs_one() {
    for (op, a, b, want) in [
        ("AND", "1", "1", "yes"),
        ("AND", "1", "0", "no"),
        ("OR", "1", "0", "yes"),
        ("OR", "0", "0", "no"),
    ] {
        let c = Chat::start(two_comparisons(op, a, b)).await;
        assert_eq!(c.first_text(), want, "{op} {a} {b}");
    }
}

#[tokio::test]
async fn condition_takes_the_first_true_item_and_else_goes_on_in_the_group() {
    let item = |id: &str, value: &str, edge: Option<&str>| {
        let mut it = json!({"id": id, "content": {"comparisons": [
            {"id": format!("c-{id}"), "variableId": vid("X"), "comparisonOperator": "Equal to", "value": value}]}});
        if let Some(e) = edge {
            it["outgoingEdgeId"] = json!(e);
        }
        it
    };
    let def = |x: &str| {
        let cond = json!({"id": "cond", "type": "Condition",
            "items": [item("i1", "1", Some("e-one")), item("i2", "2", None), item("i3", "1", Some("e-other"))]});
        with_values(
            flow_def(
                json!([
                    group("g-main", "Main", json!([cond, text("t-after", "after")])),
                    group("g-one", "One", json!([text("t-one", "one")])),
                    group("g-other", "Other", json!([text("t-other", "other")])),
                ]),
                json!([edge("e-one", "g-one"), edge("e-other", "g-other")]),
                &["X"],
            ),
            &[("X", json!(x))],
        )
    };
    let c = Chat::start(def("1")).await;
    assert_eq!(c.texts(), vec!["one".to_string()], "first true item wins");
    let c = Chat::start(def("2")).await;
    assert!(
        c.texts().is_empty(),
        "a true item without edge ends the walk"
    );
    assert_eq!(c.out.status, TurnStatus::Completed);
    let c = Chat::start(def("3")).await;
    assert_eq!(
        c.texts(),
        vec!["after".to_string()],
        "no true item, no else edge: next block"
    );
}

// -- jumps

#[tokio::test]
async fn jump_goes_to_a_group_and_return_comes_back_after_the_jump() {
    let def = flow_def(
        json!([
            group(
                "g-main",
                "Main",
                json!([
                    text("t1", "before"),
                    block("j", "Jump", json!({"groupId": "g-helper"})),
                    text("t2", "back"),
                ])
            ),
            group(
                "g-helper",
                "Helper",
                json!([
                    text("t3", "in helper"),
                    block("r", "Return", json!({})),
                    text("t4", "never")
                ])
            ),
        ]),
        json!([]),
        &[],
    );
    let c = Chat::start(def).await;
    assert_eq!(c.texts(), vec!["before", "in helper", "back"]);
    assert_eq!(c.out.status, TurnStatus::Completed);
}

#[tokio::test]
async fn jump_to_a_block_starts_there_and_return_without_a_mark_goes_on() {
    let def = flow_def(
        json!([
            group(
                "g-main",
                "Main",
                json!([block(
                    "j",
                    "Jump",
                    json!({"groupId": "g-b", "blockId": "t-b2"})
                )])
            ),
            group(
                "g-b",
                "B",
                json!([
                    text("t-b1", "skipped"),
                    text("t-b2", "landed"),
                    block("r", "Return", json!({}))
                ]),
            ),
        ]),
        json!([]),
        &[],
    );
    let c = Chat::start(def).await;
    assert_eq!(
        c.texts(),
        vec!["landed"],
        "the jump was the last block: no mark, return goes on"
    );
}

#[tokio::test]
async fn jump_by_variable_uses_the_group_title_and_logs_unknown_titles() {
    let def = |target: &str| {
        with_values(
            flow_def(
                json!([
                    group(
                        "g-main",
                        "Main",
                        json!([
                            block("j", "Jump", json!({"groupId": "{{Target}}"})),
                            text("t", "after jump")
                        ])
                    ),
                    group("g-faq", "FAQ", json!([text("t-faq", "the FAQ")])),
                ]),
                json!([]),
                &["Target"],
            ),
            &[("Target", json!(target))],
        )
    };
    let c = Chat::start(def("FAQ")).await;
    assert_eq!(c.texts(), vec!["the FAQ"]);
    let c = Chat::start(def("Nowhere")).await;
    assert!(c.texts().is_empty());
    assert!(
        c.logs().iter().any(|l| l.contains("Jump target not found")),
        "{:?}",
        c.logs()
    );
}

// -- A/B test

fn ab(percent: f64) -> Value {
    let b = json!({"id": "ab", "type": "AB test", "options": {"aPercent": percent},
        "items": [{"id": "a", "path": "a", "outgoingEdgeId": "e-a"}, {"id": "b", "path": "b", "outgoingEdgeId": "e-b"}]});
    flow_def(
        json!([
            group("g-main", "Main", json!([b])),
            group("g-a", "A", json!([text("ta", "A")])),
            group("g-b", "B", json!([text("tb", "B")])),
        ]),
        json!([edge("e-a", "g-a"), edge("e-b", "g-b")]),
        &[],
    )
}

#[tokio::test]
async fn ab_test_at_0_percent_always_takes_b_and_at_100_always_a() {
    for _ in 0..20 {
        assert_eq!(Chat::start(ab(0.0)).await.texts(), vec!["B"]);
        assert_eq!(Chat::start(ab(100.0)).await.texts(), vec!["A"]);
    }
}

#[tokio::test]
async fn ab_test_at_50_percent_takes_both_paths_over_many_sessions() {
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..60 {
        seen.insert(Chat::start(ab(50.0)).await.first_text());
    }
    assert_eq!(seen.len(), 2, "{seen:?}");
}
