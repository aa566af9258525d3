//! Builders of the small V6 flows these tests run: blocks, groups, edges, variables (with
//! default values), compiled with the engine's loader.

use std::sync::Arc;

use serde_json::{Value, json};
use tessera::flow::{self, CompiledFlow};

// Flow builders

/// The id used for a variable name in these flows (a valid JS identifier).
pub fn vid(name: &str) -> String {
    format!(
        "v{}",
        name.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
    )
}

pub fn text(id: &str, s: &str) -> Value {
    json!({"id": id, "type": "text",
           "content": {"richText": [{"type": "p", "children": [{"text": s}]}]}})
}

pub fn block(id: &str, kind: &str, options: Value) -> Value {
    json!({"id": id, "type": kind, "options": options})
}

pub fn input(id: &str, kind: &str, var: &str, mut options: Value) -> Value {
    if let Some(o) = options.as_object_mut() {
        o.insert("variableId".into(), json!(vid(var)));
    }
    block(id, kind, options)
}

pub fn set_var(id: &str, var: &str, kind: &str, extra: Value) -> Value {
    let mut o = json!({"variableId": vid(var), "type": kind});
    if let (Some(o), Some(e)) = (o.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    block(id, "Set variable", o)
}

pub fn custom(id: &str, var: &str, expression: &str) -> Value {
    set_var(
        id,
        var,
        "Custom",
        json!({"expressionToEvaluate": expression}),
    )
}

pub fn group(id: &str, title: &str, blocks: Value) -> Value {
    json!({"id": id, "title": title, "blocks": blocks})
}

pub fn edge(id: &str, to_group: &str) -> Value {
    json!({"id": id, "from": {"blockId": ""}, "to": {"groupId": to_group}})
}

/// A V6 flow whose start event leads to the first group. `vars` are names; a name may carry a
/// default value as `("Name", value)` through [`with_values`].
pub fn flow_def(groups: Value, edges: Value, vars: &[&str]) -> Value {
    let first = groups[0]["id"].as_str().unwrap_or_default().to_string();
    let mut all_edges = vec![json!({"id": "e-start", "from": {"eventId": "start"},
                                    "to": {"groupId": first}})];
    all_edges.extend(edges.as_array().cloned().unwrap_or_default());
    json!({
        "version": "6.1",
        "id": "test-flow",
        "events": [{"id": "start", "type": "start", "outgoingEdgeId": "e-start"}],
        "groups": groups,
        "edges": all_edges,
        "variables": vars.iter().map(|n| json!({"id": vid(n), "name": n})).collect::<Vec<_>>(),
        "settings": {},
        "theme": {},
    })
}

/// One group "Main" holding `blocks`.
pub fn linear(blocks: Value, vars: &[&str]) -> Value {
    flow_def(json!([group("g-main", "Main", blocks)]), json!([]), vars)
}

/// Gives variables default values.
pub fn with_values(mut def: Value, values: &[(&str, Value)]) -> Value {
    if let Some(vars) = def["variables"].as_array_mut() {
        for (name, value) in values {
            match vars.iter_mut().find(|v| v["name"] == *name) {
                Some(v) => v["value"] = value.clone(),
                None => vars.push(json!({"id": vid(name), "name": name, "value": value})),
            }
        }
    }
    def
}

pub fn compile(def: &Value) -> Arc<CompiledFlow> {
    flow::load_str(&def.to_string()).unwrap_or_else(|e| panic!("test flow: {e:?}"))
}
