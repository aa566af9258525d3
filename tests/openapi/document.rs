//! The document: openapi.yaml parsed with `yaml-rust2` into a `serde_json::Value`, and local
//! `$ref`s followed.

use serde_json::{Value, json};
use yaml_rust2::{Yaml, YamlLoader};

pub const SPEC_TEXT: &str = include_str!("../../openapi.yaml");

pub fn yaml_to_json(y: &Yaml) -> Value {
    match y {
        Yaml::Real(s) => json!(s.parse::<f64>().expect("YAML real")),
        Yaml::Integer(i) => json!(i),
        Yaml::String(s) => json!(s),
        Yaml::Boolean(b) => json!(b),
        Yaml::Null => Value::Null,
        Yaml::Array(a) => Value::Array(a.iter().map(yaml_to_json).collect()),
        Yaml::Hash(h) => Value::Object(
            h.iter()
                .map(|(k, v)| {
                    let key = match k {
                        Yaml::String(s) => s.clone(),
                        Yaml::Integer(i) => i.to_string(),
                        other => panic!("unsupported YAML key {other:?}"),
                    };
                    (key, yaml_to_json(v))
                })
                .collect(),
        ),
        Yaml::Alias(_) | Yaml::BadValue => panic!("unsupported YAML node {y:?}"),
    }
}

pub fn spec() -> Value {
    let docs = YamlLoader::load_from_str(SPEC_TEXT).expect("openapi.yaml is valid YAML");
    assert_eq!(docs.len(), 1, "openapi.yaml holds one document");
    yaml_to_json(&docs[0])
}

/// Follows a local reference (`#/components/...`).
pub fn deref<'a>(spec: &'a Value, r: &str) -> &'a Value {
    let pointer = r
        .strip_prefix('#')
        .unwrap_or_else(|| panic!("only local $ref are supported: {r}"));
    spec.pointer(pointer)
        .unwrap_or_else(|| panic!("$ref {r} points nowhere"))
}

/// A node, or what its `$ref` points to.
pub fn resolved<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => resolved(spec, deref(spec, r)),
        None => v,
    }
}

pub const METHODS: &[&str] = &["get", "put", "post", "delete", "patch", "options", "head"];
