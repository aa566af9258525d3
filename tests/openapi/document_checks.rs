//! Checks of the document itself: OpenAPI 3.0.3 using only keywords the validator implements,
//! and exactly the routes the server registers.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::document::{METHODS, deref, resolved, spec};
use crate::validator::{ANNOTATIONS, ASSERTIONS};

/// Every schema object in the document: components, parameters, bodies, and their sub-schemas.
pub fn collect_schemas<'a>(v: &'a Value, out: &mut Vec<(String, &'a Value)>, at: String) {
    fn sub<'a>(s: &'a Value, out: &mut Vec<(String, &'a Value)>, at: String) {
        out.push((at.clone(), s));
        if let Some(p) = s.get("properties").and_then(Value::as_object) {
            for (k, x) in p {
                sub(x, out, format!("{at}.properties.{k}"));
            }
        }
        for key in ["items", "additionalProperties"] {
            if let Some(x) = s.get(key).filter(|x| x.is_object()) {
                sub(x, out, format!("{at}.{key}"));
            }
        }
        for key in ["oneOf", "anyOf"] {
            for (i, x) in s
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                sub(x, out, format!("{at}.{key}[{i}]"));
            }
        }
    }
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let here = format!("{at}/{k}");
                if k == "schema" {
                    sub(x, out, here);
                } else if at == "/components" && k == "schemas" {
                    for (name, s) in x.as_object().into_iter().flatten() {
                        sub(s, out, format!("{here}/{name}"));
                    }
                } else {
                    collect_schemas(x, out, here);
                }
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                collect_schemas(x, out, format!("{at}[{i}]"));
            }
        }
        _ => {}
    }
}

pub fn all_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                out.push(r.to_string());
            }
            m.values().for_each(|x| all_refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| all_refs(x, out)),
        _ => {}
    }
}

#[test]
fn the_document_is_openapi_3_0_3_and_uses_only_keywords_the_validator_implements() {
    let spec = spec();
    assert_eq!(spec["openapi"], "3.0.3");
    assert!(spec["info"]["title"].is_string() && spec["info"]["version"].is_string());
    let bearer = &spec["components"]["securitySchemes"]["bearerAuth"];
    assert_eq!(
        (&bearer["type"], &bearer["scheme"]),
        (&json!("http"), &json!("bearer"))
    );
    let mut refs = Vec::new();
    all_refs(&spec, &mut refs);
    for r in &refs {
        deref(&spec, r);
    }
    let mut schemas = Vec::new();
    collect_schemas(&spec, &mut schemas, String::new());
    assert!(schemas.len() > 100, "found {} schemas", schemas.len());
    for (at, s) in &schemas {
        let obj = s
            .as_object()
            .unwrap_or_else(|| panic!("{at}: a schema is an object"));
        for k in obj.keys() {
            assert!(
                ASSERTIONS.contains(&k.as_str()) || ANNOTATIONS.contains(&k.as_str()),
                "{at}: keyword {k} is not implemented by the test validator"
            );
        }
        if let Some(t) = s.get("type") {
            let t = t.as_str().unwrap_or_default();
            assert!(
                ["object", "array", "string", "boolean", "number", "integer"].contains(&t),
                "{at}: type {t}"
            );
        }
        if let Some(required) = s.get("required").and_then(Value::as_array) {
            let props = s.get("properties").and_then(Value::as_object);
            for r in required {
                let r = r.as_str().unwrap_or_default();
                assert!(
                    props.is_some_and(|p| p.contains_key(r)),
                    "{at}: required {r} is not among the properties"
                );
            }
        }
    }
    // Every operation declares responses with explicit statuses, and every error response
    // lists its codes among the Error enum.
    let codes = spec["components"]["schemas"]["Error"]["properties"]["code"]["enum"].clone();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            assert!(
                op["operationId"].is_string(),
                "{method} {path}: operationId"
            );
            for (status, resp) in op["responses"].as_object().expect("responses") {
                assert!(
                    status.len() == 3 && status.parse::<u16>().is_ok(),
                    "{path} {status}"
                );
                let resp = resolved(&spec, resp);
                assert!(
                    resp["description"].is_string(),
                    "{path} {status}: description"
                );
                let listed = resp.get("x-error-codes").and_then(Value::as_array);
                if status.starts_with(['4', '5']) && path != "/readyz" {
                    let listed = listed.unwrap_or_else(|| panic!("{path} {status}: x-error-codes"));
                    for c in listed {
                        assert!(codes.as_array().is_some_and(|a| a.contains(c)), "{c}");
                    }
                }
            }
        }
    }
}

#[test]
fn every_route_the_server_registers_is_documented_and_nothing_else() {
    // The server's route table (src/api/router.rs); parameter names are not compared.
    let normalise = |p: &str| {
        regex::Regex::new(r"\{[^}]*\}")
            .expect("regex")
            .replace_all(p, "{}")
            .to_string()
    };
    let registered: BTreeSet<(String, String)> = tessera::api::router::ROUTES
        .iter()
        .map(|(m, p, _)| (normalise(p), m.to_lowercase()))
        .collect();
    let spec = spec();
    let mut documented = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("item").keys() {
            if METHODS.contains(&method.as_str()) {
                documented.insert((normalise(path), method.clone()));
            }
        }
    }
    assert!(registered.len() >= 16, "{registered:?}");
    assert_eq!(registered, documented);
}
