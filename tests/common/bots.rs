//! Builders of small bots in Typebot's v6 export format, for tests that publish their own.

use serde_json::{Value, json};

/// A text bubble with one paragraph.
pub fn text(id: &str, s: &str) -> Value {
    json!({"id": id, "type": "text", "content": {"richText": [{"type": "p", "children": [{"text": s}]}]}})
}

/// An input block of type `kind` saving its answer in variable `var`.
pub fn input(id: &str, kind: &str, var: &str) -> Value {
    json!({"id": id, "type": kind, "options": {"variableId": var}})
}

/// A variable declaration.
pub fn var(id: &str, name: &str) -> Value {
    json!({"id": id, "name": name})
}

/// A v6 bot: the start event leads to one group ("Main", id `g-main`) holding `blocks`.
pub fn bot(id: &str, blocks: Value, variables: Value) -> Value {
    json!({
        "version": "6.1", "id": id, "name": format!("Bot {id}"),
        "events": [{"id": "ev-start", "type": "start", "outgoingEdgeId": "e-start",
                    "graphCoordinates": {"x": 0, "y": 0}}],
        "groups": [{"id": "g-main", "title": "Main", "graphCoordinates": {"x": 0, "y": 0},
                    "blocks": blocks}],
        "edges": [{"id": "e-start", "from": {"eventId": "ev-start"}, "to": {"groupId": "g-main"}}],
        "variables": variables, "theme": {}, "settings": {}
    })
}

/// Adds an event to a bot, leading to a new group `group_id` with `blocks`.
pub fn add_event(b: &mut Value, event: Value, group_id: &str, blocks: Value) {
    let edge = format!("e-{group_id}");
    let mut event = event;
    event["outgoingEdgeId"] = json!(edge);
    event["graphCoordinates"] = json!({"x": 0, "y": 0});
    let ev_id = event["id"].clone();
    b["events"].as_array_mut().expect("events").push(event);
    b["groups"].as_array_mut().expect("groups").push(json!({
        "id": group_id, "title": group_id, "graphCoordinates": {"x": 0, "y": 0}, "blocks": blocks
    }));
    b["edges"]
        .as_array_mut()
        .expect("edges")
        .push(json!({"id": edge, "from": {"eventId": ev_id}, "to": {"groupId": group_id}}));
}

/// A server-side HTTP request block calling `url` (GET).
pub fn webhook(id: &str, url: &str) -> Value {
    json!({"id": id, "type": "Webhook", "options": {"webhook": {"url": url, "method": "GET"}}})
}

/// Three questions in a row (q1-q3 saving A, B, C), then "Done".
pub fn three_questions(id: &str) -> Value {
    bot(
        id,
        json!([
            input("q1", "text input", "v-a"),
            input("q2", "text input", "v-b"),
            input("q3", "text input", "v-c"),
            text("done", "Done")
        ]),
        json!([var("v-a", "A"), var("v-b", "B"), var("v-c", "C")]),
    )
}

/// [`three_questions`] with a server-side HTTP request to `slow_url` after q1: the turn
/// answering q1 stays busy as long as that server takes to answer.
pub fn slow_questions(id: &str, slow_url: &str) -> Value {
    bot(
        id,
        json!([
            input("q1", "text input", "v-a"),
            webhook("http", slow_url),
            input("q2", "text input", "v-b"),
            input("q3", "text input", "v-c"),
            text("done", "Done")
        ]),
        json!([var("v-a", "A"), var("v-b", "B"), var("v-c", "C")]),
    )
}
