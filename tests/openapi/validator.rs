//! A JSON-schema validator for the subset of OpenAPI 3.0 schema keywords the document uses, and
//! its own test.

use serde_json::{Value, json};

use crate::document::deref;

/// Keywords the validator implements.
pub const ASSERTIONS: &[&str] = &[
    "$ref",
    "type",
    "nullable",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "oneOf",
    "anyOf",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "maxProperties",
    "maxItems",
];

/// Keywords that only annotate.
pub const ANNOTATIONS: &[&str] = &["description", "example", "default", "format", "title"];

/// Checks `v` against `schema`; each problem is pushed as "<json path>: <what>".
pub fn validate(spec: &Value, schema: &Value, v: &Value, at: &str, errs: &mut Vec<String>) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return validate(spec, deref(spec, r), v, at, errs);
    }
    if v.is_null() {
        // OpenAPI 3.0: null is valid only where `nullable: true`.
        if schema.get("nullable") != Some(&Value::Bool(true)) {
            errs.push(format!("{at}: null is not allowed"));
        }
        return;
    }
    if let Some(t) = schema.get("type").and_then(Value::as_str) {
        let ok = match t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "boolean" => v.is_boolean(),
            "number" => v.is_number(),
            "integer" => v.is_i64() || v.is_u64(),
            other => panic!("unknown type {other}"),
        };
        if !ok {
            errs.push(format!("{at}: expected {t}, got {v}"));
            return;
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(v)
    {
        errs.push(format!("{at}: {v} is not one of {allowed:?}"));
    }
    if let Some(n) = v.as_f64() {
        if let Some(min) = schema.get("minimum").and_then(Value::as_f64)
            && n < min
        {
            errs.push(format!("{at}: {n} < minimum {min}"));
        }
        if let Some(max) = schema.get("maximum").and_then(Value::as_f64)
            && n > max
        {
            errs.push(format!("{at}: {n} > maximum {max}"));
        }
    }
    if let Some(s) = v.as_str() {
        let len = s.chars().count() as u64;
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
            && len < min
        {
            errs.push(format!("{at}: shorter than {min}"));
        }
        if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
            && len > max
        {
            errs.push(format!("{at}: longer than {max}"));
        }
        // The document's patterns are anchored and use no syntax the regex crate lacks.
        if let Some(p) = schema.get("pattern").and_then(Value::as_str) {
            let re = regex::Regex::new(p).unwrap_or_else(|e| panic!("pattern {p}: {e}"));
            if !re.is_match(s) {
                errs.push(format!("{at}: does not match {p}"));
            }
        }
    }
    if let Some(obj) = v.as_object() {
        if let Some(max) = schema.get("maxProperties").and_then(Value::as_u64)
            && obj.len() as u64 > max
        {
            errs.push(format!("{at}: more than {max} properties"));
        }
        let props = schema.get("properties").and_then(Value::as_object);
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !obj.contains_key(name) {
                errs.push(format!("{at}: missing required property {name}"));
            }
        }
        for (k, x) in obj {
            let here = format!("{at}.{k}");
            match (
                props.and_then(|p| p.get(k)),
                schema.get("additionalProperties"),
            ) {
                (Some(sub), _) => validate(spec, sub, x, &here, errs),
                (None, Some(Value::Bool(false))) => {
                    errs.push(format!("{at}: property {k} is not declared"));
                }
                (None, Some(extra)) if extra.is_object() => validate(spec, extra, x, &here, errs),
                (None, _) => {}
            }
        }
    }
    if let (Some(max), Some(arr)) = (schema.get("maxItems").and_then(Value::as_u64), v.as_array())
        && arr.len() as u64 > max
    {
        errs.push(format!("{at}: more than {max} items"));
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
        for (i, x) in arr.iter().enumerate() {
            validate(spec, items, x, &format!("{at}[{i}]"), errs);
        }
    }
    let matching = |alternatives: &Vec<Value>| -> (usize, Vec<String>) {
        let mut n = 0;
        let mut why = Vec::new();
        for (i, alt) in alternatives.iter().enumerate() {
            let mut e = Vec::new();
            validate(spec, alt, v, at, &mut e);
            if e.is_empty() {
                n += 1;
            } else {
                why.push(format!("  alternative {i}: {}", e.join("; ")));
            }
        }
        (n, why)
    };
    if let Some(alts) = schema.get("oneOf").and_then(Value::as_array) {
        let (n, why) = matching(alts);
        if n != 1 {
            errs.push(format!(
                "{at}: matches {n} of the oneOf alternatives (exactly 1 required)\n{}",
                why.join("\n")
            ));
        }
    }
    if let Some(alts) = schema.get("anyOf").and_then(Value::as_array) {
        let (n, why) = matching(alts);
        if n == 0 {
            errs.push(format!(
                "{at}: matches none of the anyOf alternatives\n{}",
                why.join("\n")
            ));
        }
    }
}

pub fn check(spec: &Value, schema: &Value, v: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    validate(spec, schema, v, "$", &mut errs);
    errs
}

#[test]
fn the_validator_accepts_and_rejects_what_it_should() {
    let spec = json!({"components": {"schemas": {
        "Obj": {"type": "object", "additionalProperties": false, "required": ["a"],
                "properties": {"a": {"type": "integer", "minimum": 1},
                               "b": {"type": "string", "nullable": true}}},
        "U": {"oneOf": [{"type": "string"}, {"$ref": "#/components/schemas/Obj"}]},
        "Any": {"anyOf": [{"type": "number"}, {"type": "boolean"}]},
        "E": {"type": "string", "enum": ["x"], "maxLength": 1},
        "L": {"type": "array", "items": {"$ref": "#/components/schemas/E"}},
        "P": {"type": "string", "pattern": "^[a-z]{1,3}$"},
        "M": {"type": "object", "maxProperties": 1},
        "A": {"type": "array", "maxItems": 1}
    }}});
    let s = |n: &str| json!({"$ref": format!("#/components/schemas/{n}")});
    assert!(check(&spec, &s("Obj"), &json!({"a": 2, "b": null})).is_empty());
    assert_eq!(check(&spec, &s("Obj"), &json!({"a": 0})).len(), 1);
    assert_eq!(check(&spec, &s("Obj"), &json!({"a": 1.5})).len(), 1);
    assert_eq!(check(&spec, &s("Obj"), &json!({"b": "x"})).len(), 1);
    assert_eq!(check(&spec, &s("Obj"), &json!({"a": 1, "c": 1})).len(), 1);
    assert_eq!(check(&spec, &s("Obj"), &json!(null)).len(), 1);
    assert!(check(&spec, &s("U"), &json!("hi")).is_empty());
    assert!(check(&spec, &s("U"), &json!({"a": 3})).is_empty());
    assert_eq!(check(&spec, &s("U"), &json!(3)).len(), 1);
    assert!(check(&spec, &s("Any"), &json!(true)).is_empty());
    assert_eq!(check(&spec, &s("Any"), &json!("no")).len(), 1);
    assert!(check(&spec, &s("L"), &json!(["x", "x"])).is_empty());
    assert_eq!(check(&spec, &s("L"), &json!(["x", "y", 1])).len(), 2);
    assert!(check(&spec, &s("P"), &json!("abc")).is_empty());
    assert_eq!(check(&spec, &s("P"), &json!("abcd")).len(), 1);
    assert_eq!(check(&spec, &s("P"), &json!("a\"b")).len(), 1);
    assert!(check(&spec, &s("M"), &json!({"a": 1})).is_empty());
    assert_eq!(check(&spec, &s("M"), &json!({"a": 1, "b": 2})).len(), 1);
    assert!(check(&spec, &s("A"), &json!([1])).is_empty());
    assert_eq!(check(&spec, &s("A"), &json!([1, 2])).len(), 1);
    // oneOf needs exactly one match.
    let both = json!({"oneOf": [{"type": "number"}, {"type": "integer"}]});
    assert_eq!(check(&spec, &both, &json!(1)).len(), 1);
    assert!(check(&spec, &both, &json!(1.5)).is_empty());
}
