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
