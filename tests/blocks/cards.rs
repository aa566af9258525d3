//! Cards: the clicked path's edge and field mapping, title matching, list variables expanded into
//! cards.

use serde_json::{Value, json};
use tessera::engine::Message;

use crate::chat::{Chat, assert_accepted, assert_retry};
use crate::common::engine::GENERIC_RETRY;
use crate::flows::{edge, flow_def, group, linear, text, vid, with_values};

fn cities() -> Value {
    let cards = json!({
        "id": "cards", "type": "cards", "outgoingEdgeId": "e-next",
        "options": {"saveResponseMapping": [
            {"field": "Title", "variableId": vid("City")},
            {"field": "Button", "variableId": vid("Button")},
            {"field": "Internal Value", "variableId": vid("Code")},
            {"field": "Description", "variableId": vid("Desc")},
        ]},
        "items": [
            {"id": "c1", "title": "Paris", "description": "City of light", "imageUrl": "https://cdn.example/paris.jpg",
             "options": {"internalValue": "PAR"},
             "paths": [{"id": "p-go", "text": "Go"}, {"id": "p-info", "text": "More info", "outgoingEdgeId": "e-info"}]},
            {"id": "c2", "title": "Rome", "imageUrl": "https://cdn.example/rome.jpg",
             "paths": [{"id": "p-rome", "text": "Go", "outgoingEdgeId": "e-info"}]},
        ]
    });
    flow_def(
        json!([
            group("g-main", "Main", json!([cards])),
            group(
                "g-info",
                "Info",
                json!([text("t-info", "Info about {{City}} ({{Button}})")])
            ),
            group(
                "g-next",
                "Next",
                json!([text("t-next", "Going to {{City}} {{Code}}: {{Desc}}")])
            ),
        ]),
        json!([edge("e-info", "g-info"), edge("e-next", "g-next")]),
        &["City", "Button", "Code", "Desc"],
    )
}

#[tokio::test]
async fn cards_follow_the_edge_of_the_clicked_path_and_map_its_fields() {
    let mut c = Chat::start(cities()).await;
    assert_eq!(c.input_type().as_deref(), Some("cards"));
    c.send(Some(Message::Text {
        text: "p-info".into(),
        reply_id: Some("p-info".into()),
        attached_file_urls: vec![],
    }))
    .await
    .expect("reply");
    assert_eq!(c.texts(), vec!["Info about Paris (More info)".to_string()]);
    let mut c = Chat::start(cities()).await;
    c.say("p-go").await;
    assert_eq!(
        c.texts(),
        vec!["Going to Paris PAR: City of light".to_string()],
        "a path without edge: the block's edge"
    );
}

#[tokio::test]
async fn cards_match_a_title_case_insensitively_using_the_first_path() {
    let mut c = Chat::start(cities()).await;
    c.say("  rome ").await;
    assert_eq!(c.texts(), vec!["Info about Rome (Go)".to_string()]);
    let mut c = Chat::start(cities()).await;
    c.say("Berlin").await;
    assert_retry(&c, "cards", GENERIC_RETRY);
}

#[tokio::test]
async fn cards_expand_list_variables_into_one_card_per_item() {
    let cards = json!({"id": "cards", "type": "cards", "items": [
        {"id": "c1", "title": "{{Titles}}", "imageUrl": "{{Images}}", "paths": [{"id": "p1", "text": "Pick"}]}]});
    let def = with_values(
        linear(json!([cards, text("t", "done")]), &["Titles", "Images"]),
        &[
            ("Titles", json!(["One", "Two"])),
            (
                "Images",
                json!(["https://cdn.example/1.png", "https://cdn.example/2.png"]),
            ),
        ],
    );
    let mut c = Chat::start(def).await;
    let items = c
        .out
        .input
        .as_ref()
        .map(|i| i["items"].clone())
        .unwrap_or_default();
    assert_eq!(items.as_array().map(Vec::len), Some(2), "{items}");
    assert_eq!(items[1]["title"], "Two");
    assert_eq!(items[1]["imageUrl"], "https://cdn.example/2.png");
    c.say("two").await;
    assert_accepted(&c);
}
