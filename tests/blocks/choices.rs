//! Choice inputs: single and multiple choice matching, hidden and dynamic items, search options,
//! picture choices.

use serde_json::{Value, json};
use tessera::engine::Message;

use crate::chat::{Chat, assert_accepted, assert_retry};
use crate::common::engine::GENERIC_RETRY;
use crate::flows::{edge, flow_def, group, input, linear, text, vid, with_values};

fn choice(id: &str, var: &str, options: Value, items: Value) -> Value {
    let mut b = input(id, "choice input", var, options);
    b["items"] = items;
    b
}

/// A single choice whose "Red" item has its own edge to group "Red".
fn colours() -> Value {
    let mut b = choice(
        "in",
        "Colour",
        json!({}),
        json!([
            {"id": "i-red", "content": "Red", "outgoingEdgeId": "e-red"},
            {"id": "i-blue", "content": "Blue", "value": "#0000ff"},
            {"id": "i-green", "content": "  Green  "},
        ]),
    );
    b["outgoingEdgeId"] = json!("e-next");
    flow_def(
        json!([
            group("g-main", "Main", json!([b])),
            group(
                "g-red",
                "Red",
                json!([text("t-red", "Red path: {{Colour}}")])
            ),
            group(
                "g-next",
                "Next",
                json!([text("t-next", "Next: {{Colour}}")])
            ),
        ]),
        json!([edge("e-red", "g-red"), edge("e-next", "g-next")]),
        &["Colour"],
    )
}

#[tokio::test]
async fn single_choice_matches_by_content_and_follows_the_item_edge() {
    let mut c = Chat::start(colours()).await;
    c.say("Red").await;
    assert_eq!(c.texts(), vec!["Red path: Red".to_string()]);
}

#[tokio::test]
async fn single_choice_matches_by_value_and_stores_the_value() {
    let mut c = Chat::start(colours()).await;
    c.say("#0000ff").await;
    assert_eq!(
        c.texts(),
        vec!["Next: #0000ff".to_string()],
        "no item edge: the block's edge"
    );
    let mut c = Chat::start(colours()).await;
    c.say("Blue").await;
    assert_eq!(
        c.var_str("Colour").as_deref(),
        Some("#0000ff"),
        "the value is stored"
    );
    assert_eq!(c.out.last_message_new_format.as_deref(), Some("#0000ff"));
}

#[tokio::test]
async fn single_choice_matches_by_item_id_and_by_reply_id_and_trims() {
    let mut c = Chat::start(colours()).await;
    c.say("i-red").await;
    assert_eq!(c.texts(), vec!["Red path: Red".to_string()]);
    let mut c = Chat::start(colours()).await;
    c.send(Some(Message::Text {
        text: "whatever".into(),
        reply_id: Some("i-red".into()),
        attached_file_urls: vec![],
    }))
    .await
    .expect("reply");
    assert_eq!(c.texts(), vec!["Red path: Red".to_string()]);
    let mut c = Chat::start(colours()).await;
    c.say(" Green ").await;
    assert_eq!(c.var_str("Colour").as_deref(), Some("  Green  "));
}

#[tokio::test]
async fn single_choice_is_case_sensitive_and_retries_unknown_replies() {
    for bad in ["red", "Purple", "1"] {
        let mut c = Chat::start(colours()).await;
        c.say(bad).await;
        assert_retry(&c, "in", GENERIC_RETRY);
    }
}

fn toppings(extra: Value) -> Value {
    let b = choice(
        "in",
        "Toppings",
        json!({"isMultipleChoice": true}),
        json!([
            {"id": "t1", "content": "Cheese"},
            {"id": "t2", "content": "Ham", "value": "HAM"},
            {"id": "t3", "content": "Extra cheese"},
            {"id": "t4", "content": "Olives"},
        ]),
    );
    let mut def = linear(json!([b, text("t", "{{Toppings}}")]), &["Toppings"]);
    if let Some(e) = extra.as_object() {
        for (k, v) in e {
            def["groups"][0]["blocks"][0]["options"][k] = v.clone();
        }
    }
    def
}

#[tokio::test]
async fn multiple_choice_matches_whole_phrases_in_item_order() {
    for (reply, stored) in [
        ("Olives, Cheese", "Cheese, Olives"),
        ("extra cheese and olives", "Extra cheese, Olives"),
        ("Cheese, Extra cheese", "Cheese, Extra cheese"),
        ("ham", "HAM"),
    ] {
        let mut c = Chat::start(toppings(json!({}))).await;
        c.say(reply).await;
        assert_eq!(c.texts(), vec![stored.to_string()], "{reply:?}");
    }
}

#[tokio::test]
async fn multiple_choice_accepts_one_based_indexes() {
    let mut c = Chat::start(toppings(json!({}))).await;
    c.say("1, 4").await;
    assert_eq!(c.texts(), vec!["Cheese, Olives".to_string()]);
}

#[tokio::test]
async fn multiple_choice_rejects_replies_matching_nothing() {
    for bad in ["pineapple", "9", "cheesecake"] {
        let mut c = Chat::start(toppings(json!({}))).await;
        c.say(bad).await;
        assert_retry(&c, "in", GENERIC_RETRY);
    }
}

fn vip_menu() -> Value {
    let b = choice(
        "in",
        "Pick",
        json!({}),
        json!([
            {"id": "a", "content": "Standard"},
            {"id": "b", "content": "Lounge", "displayCondition": {"isEnabled": true, "condition": {
                "logicalOperator": "AND",
                "comparisons": [{"id": "c1", "variableId": vid("Vip"), "comparisonOperator": "Equal to", "value": "yes"}]}}},
        ]),
    );
    linear(json!([b, text("t", "done")]), &["Pick", "Vip"])
}

#[tokio::test]
async fn items_hidden_by_their_display_condition_are_not_shown_and_not_accepted() {
    let mut c = Chat::start(vip_menu()).await;
    let items = c
        .out
        .input
        .as_ref()
        .map(|i| i["items"].clone())
        .unwrap_or_default();
    assert_eq!(items.as_array().map(Vec::len), Some(1), "{items}");
    c.say("Lounge").await;
    assert_retry(&c, "in", GENERIC_RETRY);
    let mut c = Chat::start(with_values(vip_menu(), &[("Vip", json!("yes"))])).await;
    assert_eq!(
        c.out
            .input
            .as_ref()
            .and_then(|i| i["items"].as_array().map(Vec::len)),
        Some(2)
    );
    c.say("Lounge").await;
    assert_accepted(&c);
}

#[tokio::test]
async fn dynamic_items_come_from_a_list_variable_without_duplicates() {
    let b = choice(
        "in",
        "Pick",
        json!({"dynamicVariableId": vid("Options")}),
        json!([{"id": "x", "content": "placeholder"}]),
    );
    let def = with_values(
        linear(
            json!([b, text("t", "You picked {{Pick}}")]),
            &["Pick", "Options"],
        ),
        &[("Options", json!(["Paris", "Rome", "Paris", "", "Oslo"]))],
    );
    let mut c = Chat::start(def).await;
    assert_eq!(
        c.out.input.as_ref().map(|i| i["items"].clone()),
        Some(json!([
            {"id": "choice0", "content": "Paris"},
            {"id": "choice1", "content": "Rome"},
            {"id": "choice2", "content": "Oslo"},
        ]))
    );
    c.say("Rome").await;
    assert_eq!(c.texts(), vec!["You picked Rome".to_string()]);
}

#[tokio::test]
async fn searchable_choices_are_sent_with_their_search_options() {
    let b = choice(
        "in",
        "Pick",
        json!({"isSearchable": true, "searchInputPlaceholder": "Find…"}),
        json!([{"id": "a", "content": "Alpha"}, {"id": "b", "content": "Beta"}]),
    );
    let mut c = Chat::start(linear(json!([b, text("t", "done")]), &["Pick"])).await;
    let opts = c
        .out
        .input
        .as_ref()
        .map(|i| i["options"].clone())
        .unwrap_or_default();
    assert_eq!(opts["isSearchable"], true);
    assert_eq!(opts["searchInputPlaceholder"], "Find…");
    c.say("Beta").await;
    assert_accepted(&c);
}

#[tokio::test]
async fn picture_choice_matches_titles_values_and_ids() {
    let pics = || {
        let mut b = input("in", "picture choice input", "Pet", json!({}));
        b["items"] = json!([
            {"id": "p1", "title": "Cat", "pictureSrc": "https://cdn.example/cat.png"},
            {"id": "p2", "title": "Dog", "value": "dog-42", "pictureSrc": "https://cdn.example/dog.png"},
            {"id": "p3", "pictureSrc": "https://cdn.example/fish.png"},
        ]);
        linear(json!([b, text("t", "{{Pet}}")]), &["Pet"])
    };
    for (reply, stored) in [
        ("Cat", "Cat"),
        ("Dog", "dog-42"),
        ("p3", "https://cdn.example/fish.png"),
    ] {
        let mut c = Chat::start(pics()).await;
        c.say(reply).await;
        assert_eq!(c.texts(), vec![stored.to_string()], "{reply:?}");
    }
    let mut c = Chat::start(pics()).await;
    c.say("Hamster").await;
    assert_retry(&c, "in", GENERIC_RETRY);
}

#[tokio::test]
async fn picture_choice_items_can_come_from_list_variables() {
    let mut b = input(
        "in",
        "picture choice input",
        "Pet",
        json!({"dynamicItems": {
        "isEnabled": true, "pictureSrcsVariableId": vid("Srcs"), "titlesVariableId": vid("Titles")}}),
    );
    b["items"] = json!([{"id": "x", "pictureSrc": "https://cdn.example/placeholder.png"}]);
    let def = with_values(
        linear(json!([b, text("t", "{{Pet}}")]), &["Pet", "Srcs", "Titles"]),
        &[
            (
                "Srcs",
                json!(["https://cdn.example/a.png", "https://cdn.example/b.png"]),
            ),
            ("Titles", json!(["Ant", "Bee"])),
        ],
    );
    let mut c = Chat::start(def).await;
    let items = c
        .out
        .input
        .as_ref()
        .map(|i| i["items"].clone())
        .unwrap_or_default();
    assert_eq!(
        items[1],
        json!({"id": "1", "pictureSrc": "https://cdn.example/b.png", "title": "Bee"})
    );
    c.say("Bee").await;
    assert_eq!(c.texts(), vec!["Bee".to_string()]);
}
