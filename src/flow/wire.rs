//! What clients see of an input block: Typebot validates its responses against Zod schemas that
//! strip unknown keys, so players receive only the known fields of each input type. This module
//! holds those key lists and builds the filtered "wire" JSON once, at compile time.

use serde_json::{Map, Value};

use super::block::InputKind;

fn option_keys(kind: InputKind) -> &'static [&'static str] {
    match kind {
        InputKind::Text => &[
            "labels",
            "variableId",
            "isLong",
            "inputMode",
            "audioClip",
            "attachments",
        ],
        InputKind::Number => &[
            "labels",
            "variableId",
            "min",
            "max",
            "step",
            "locale",
            "style",
            "currency",
            "unit",
        ],
        InputKind::Email | InputKind::Url => &["labels", "variableId", "retryMessageContent"],
        InputKind::Phone => &[
            "labels",
            "variableId",
            "retryMessageContent",
            "defaultCountryCode",
        ],
        InputKind::Date => &[
            "labels",
            "variableId",
            "hasTime",
            "isRange",
            "format",
            "min",
            "max",
        ],
        InputKind::Time => &["labels", "variableId", "format"],
        InputKind::Choice => &[
            "variableId",
            "isMultipleChoice",
            "buttonLabel",
            "dynamicVariableId",
            "isSearchable",
            "searchInputPlaceholder",
            "areInitialSearchButtonsVisible",
        ],
        InputKind::PictureChoice => &[
            "variableId",
            "isMultipleChoice",
            "isSearchable",
            "buttonLabel",
            "searchInputPlaceholder",
            "dynamicItems",
        ],
        InputKind::Rating => &[
            "variableId",
            "buttonType",
            "length",
            "startsAt",
            "labels",
            "customIcon",
            "isOneClickSubmitEnabled",
        ],
        InputKind::File => &[
            "variableId",
            "isRequired",
            "isMultipleAllowed",
            "labels",
            "allowedFileTypes",
            "capture",
            "visibility",
        ],
        InputKind::Payment => &[
            "variableId",
            "provider",
            "labels",
            "additionalInformation",
            "credentialsId",
            "currency",
            "amount",
            "retryMessageContent",
        ],
        InputKind::Cards => &["saveResponseMapping"],
    }
}

/// Known keys of the items of choice-like inputs.
pub fn item_keys(kind: InputKind) -> &'static [&'static str] {
    match kind {
        InputKind::Choice => &[
            "id",
            "outgoingEdgeId",
            "content",
            "value",
            "displayCondition",
        ],
        InputKind::PictureChoice => &[
            "id",
            "outgoingEdgeId",
            "pictureSrc",
            "title",
            "description",
            "value",
            "displayCondition",
        ],
        InputKind::Cards => &[
            "id",
            "outgoingEdgeId",
            "imageUrl",
            "title",
            "description",
            "paths",
            "options",
        ],
        _ => &[],
    }
}

/// Keeps only `keys` of an object (in the object's own order); non-objects become `{}`.
pub fn pick(value: &Value, keys: &[&str]) -> Map<String, Value> {
    match value {
        Value::Object(m) => m
            .iter()
            .filter(|(k, _)| keys.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        _ => Map::new(),
    }
}

/// Builds the client-facing JSON of an input block.
pub fn input_wire(
    id: &str,
    block_type: &str,
    outgoing_edge_id: Option<&str>,
    options: Option<&Value>,
    items: &[Value],
    kind: InputKind,
) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), Value::String(id.to_string()));
    if let Some(e) = outgoing_edge_id {
        out.insert("outgoingEdgeId".into(), Value::String(e.to_string()));
    }
    out.insert("type".into(), Value::String(block_type.to_string()));
    if matches!(
        kind,
        InputKind::Choice | InputKind::PictureChoice | InputKind::Cards
    ) {
        out.insert("items".into(), Value::Array(items.to_vec()));
    }
    if let Some(o) = options {
        out.insert("options".into(), Value::Object(pick(o, option_keys(kind))));
    }
    Value::Object(out)
}

/// True if any string inside `v` contains a `{{` template.
pub fn has_template(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains("{{"),
        Value::Array(a) => a.iter().any(has_template),
        Value::Object(m) => m.values().any(has_template),
        _ => false,
    }
}
