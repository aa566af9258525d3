//! openapi.yaml against the real server: every route is called over HTTP, every documented
//! error status is provoked, and every response is checked against the document (status
//! declared for that route and method, content type, body against the declared schema, error
//! code among the response's `x-error-codes`). A coverage check then fails when a path or a
//! documented status was never exercised, so the document cannot silently drift from the code.
//!
//! The YAML is parsed with `yaml-rust2` (dev-dependency): maintained, pure Rust, YAML 1.2, only
//! two small dependencies with default features off; it gives a plain tree that converts to
//! `serde_json::Value` in a few lines, so no serde YAML layer is needed. Schemas are checked by
//! the small validator below, which implements exactly the keywords the document uses (and a
//! test fails if the document uses any other).

mod common;

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

use common::app::{TOKEN, TestApp};
use common::bots::{add_event, bot, input, slow_questions, text};
use common::http_stub::slow_server;
use common::replies::session_id;
use serde_json::{Value, json};
use yaml_rust2::{Yaml, YamlLoader};

const SPEC_TEXT: &str = include_str!("../openapi.yaml");

// ------------------------------------------------------------------------------------------
// The document
// ------------------------------------------------------------------------------------------

fn yaml_to_json(y: &Yaml) -> Value {
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

fn spec() -> Value {
    let docs = YamlLoader::load_from_str(SPEC_TEXT).expect("openapi.yaml is valid YAML");
    assert_eq!(docs.len(), 1, "openapi.yaml holds one document");
    yaml_to_json(&docs[0])
}

/// Follows a local reference (`#/components/...`).
fn deref<'a>(spec: &'a Value, r: &str) -> &'a Value {
    let pointer = r
        .strip_prefix('#')
        .unwrap_or_else(|| panic!("only local $ref are supported: {r}"));
    spec.pointer(pointer)
        .unwrap_or_else(|| panic!("$ref {r} points nowhere"))
}

/// A node, or what its `$ref` points to.
fn resolved<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => resolved(spec, deref(spec, r)),
        None => v,
    }
}

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch", "options", "head"];

// ------------------------------------------------------------------------------------------
// A JSON-schema validator for the subset of OpenAPI 3.0 schema keywords the document uses
// ------------------------------------------------------------------------------------------

/// Keywords the validator implements.
const ASSERTIONS: &[&str] = &[
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
];
/// Keywords that only annotate.
const ANNOTATIONS: &[&str] = &["description", "example", "default", "format", "title"];

/// Checks `v` against `schema`; each problem is pushed as "<json path>: <what>".
fn validate(spec: &Value, schema: &Value, v: &Value, at: &str, errs: &mut Vec<String>) {
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
    }
    if let Some(obj) = v.as_object() {
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

fn check(spec: &Value, schema: &Value, v: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    validate(spec, schema, v, "$", &mut errs);
    errs
}

/// Every schema object in the document: components, parameters, bodies, and their sub-schemas.
fn collect_schemas<'a>(v: &'a Value, out: &mut Vec<(String, &'a Value)>, at: String) {
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

fn all_refs(v: &Value, out: &mut Vec<String>) {
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

/// The error codes the server can send, read from its sources: `ApiError::new(status, "code"`
/// (and the `Self::new` constructors), plus the readiness probe's `store_unavailable`.
fn codes_in_sources() -> BTreeSet<(u16, String)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).expect("src").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let re =
        regex::Regex::new(r#"(?:ApiError|Self)::new\(\s*(\d{3}),\s*"([a-z_]+)""#).expect("regex");
    let mut found = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read source");
        for c in re.captures_iter(&text) {
            found.insert((c[1].parse().expect("status"), c[2].to_string()));
        }
    }
    found.insert((503, "store_unavailable".into()));
    found
}

#[test]
fn every_error_code_of_the_server_is_documented_under_its_status() {
    let spec = spec();
    let enumerated: BTreeSet<String> = spec["components"]["schemas"]["Error"]["properties"]["code"]
        ["enum"]
        .as_array()
        .expect("enum")
        .iter()
        .filter_map(|c| c.as_str().map(str::to_string))
        .collect();
    let in_code = codes_in_sources();
    assert!(in_code.len() >= 20, "found only {in_code:?}");
    // (status, code) pairs the document declares somewhere.
    let mut declared = BTreeSet::new();
    for item in spec["paths"].as_object().expect("paths").values() {
        for op in item.as_object().expect("item").values() {
            for (status, resp) in op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                for c in resolved(&spec, resp)
                    .get("x-error-codes")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let c = c.as_str().expect("code").to_string();
                    declared.insert((status.parse::<u16>().expect("status"), c));
                }
            }
        }
    }
    // Unknown routes: documented once, in components/responses/RouteNotFound.
    declared.insert((404, "route_not_found".into()));
    for (status, code) in &in_code {
        assert!(
            enumerated.contains(code),
            "code {code} is not in the Error enum"
        );
        assert!(
            declared.contains(&(*status, code.clone())),
            "no route documents {status} {code}"
        );
    }
    let used: BTreeSet<&String> = in_code.iter().map(|(_, c)| c).collect();
    for c in &enumerated {
        assert!(
            used.contains(c),
            "the Error enum lists {c}, which the server never sends"
        );
    }
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
        "L": {"type": "array", "items": {"$ref": "#/components/schemas/E"}}
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
    // oneOf needs exactly one match.
    let both = json!({"oneOf": [{"type": "number"}, {"type": "integer"}]});
    assert_eq!(check(&spec, &both, &json!(1)).len(), 1);
    assert!(check(&spec, &both, &json!(1.5)).is_empty());
}

// ------------------------------------------------------------------------------------------
// Calling the server and checking each response against the document
// ------------------------------------------------------------------------------------------

enum Body {
    None,
    Json(Value),
    Raw(Vec<u8>),
}

struct Call {
    method: &'static str,
    template: &'static str,
    args: Vec<String>,
    query: String,
    body: Body,
    headers: Vec<(&'static str, String)>,
    token: Option<String>,
}

fn call(method: &'static str, template: &'static str, args: &[&str]) -> Call {
    Call {
        method,
        template,
        args: args.iter().map(|s| s.to_string()).collect(),
        query: String::new(),
        body: Body::None,
        headers: Vec::new(),
        token: None,
    }
}

impl Call {
    fn json(mut self, v: Value) -> Self {
        self.body = Body::Json(v);
        self
    }
    fn raw(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.body = Body::Raw(bytes.into());
        self
    }
    fn header(mut self, k: &'static str, v: impl Into<String>) -> Self {
        self.headers.push((k, v.into()));
        self
    }
    fn bearer(self) -> Self {
        self.token_of(TOKEN)
    }
    fn token_of(mut self, t: &str) -> Self {
        self.token = Some(t.to_string());
        self
    }
    fn query(mut self, q: &str) -> Self {
        self.query = format!("?{q}");
        self
    }
    /// The concrete path: `{param}` segments replaced by the arguments, in order.
    fn path(&self) -> String {
        let mut args = self.args.iter();
        self.template
            .split('/')
            .map(|seg| {
                if seg.starts_with('{') {
                    args.next().expect("an argument per path parameter").clone()
                } else {
                    seg.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    }
}

struct Resp {
    status: u16,
    json: Value,
    text: String,
    headers: reqwest::header::HeaderMap,
}

struct Checker {
    spec: Value,
    hits: Mutex<BTreeSet<(String, String, String)>>,
}

impl Checker {
    fn new() -> Self {
        Self {
            spec: spec(),
            hits: Mutex::new(BTreeSet::new()),
        }
    }

    async fn send(&self, app: &TestApp, c: &Call) -> reqwest::Response {
        let url = format!("{}{}{}", app.base, c.path(), c.query);
        let method = reqwest::Method::from_bytes(c.method.as_bytes()).expect("method");
        let mut rb = app.client.request(method, url);
        for (k, v) in &c.headers {
            rb = rb.header(*k, v);
        }
        if let Some(t) = &c.token {
            rb = rb.bearer_auth(t);
        }
        rb = match &c.body {
            Body::None => rb,
            Body::Json(v) => rb.json(v),
            Body::Raw(b) => rb
                .header("content-type", "application/json")
                .body(b.clone()),
        };
        rb.send().await.expect("request")
    }

    /// Sends the call and checks the response against the document.
    async fn call(&self, app: &TestApp, c: Call) -> Resp {
        let r = self.send(app, &c).await;
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.expect("body");
        let what = format!("{} {} -> {status}: {text}", c.method, c.path());
        let op = &self.spec["paths"][c.template][c.method.to_ascii_lowercase()];
        assert!(
            op.is_object(),
            "{} {} is not documented",
            c.method,
            c.template
        );
        let declared = op["responses"]
            .get(status.to_string())
            .unwrap_or_else(|| panic!("undocumented status: {what}"));
        let declared = resolved(&self.spec, declared);
        let json = self.check_response(declared, status, &headers, &text, &what);
        // What was sent for a successful call must match the documented request body too.
        if (200..300).contains(&status)
            && let Body::Json(sent) = &c.body
        {
            let schema = &op["requestBody"]["content"]["application/json"]["schema"];
            assert!(schema.is_object(), "{what}: a body is documented");
            let errs = check(&self.spec, schema, sent);
            assert!(
                errs.is_empty(),
                "request body of {what}:\n{}",
                errs.join("\n")
            );
        }
        self.hits.lock().expect("hits").insert((
            c.template.to_string(),
            c.method.to_ascii_lowercase(),
            status.to_string(),
        ));
        Resp {
            status,
            json,
            text,
            headers,
        }
    }

    fn check_response(
        &self,
        declared: &Value,
        status: u16,
        headers: &reqwest::header::HeaderMap,
        text: &str,
        what: &str,
    ) -> Value {
        let Some(content) = declared.get("content").and_then(Value::as_object) else {
            assert!(text.is_empty(), "{what}: no body is documented");
            return Value::Null;
        };
        let ctype = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let media = ctype.split(';').next().unwrap_or_default().trim();
        let schema = &content
            .get(media)
            .unwrap_or_else(|| panic!("{what}: content type {ctype} is not documented"))["schema"];
        let body = if media == "application/json" {
            serde_json::from_str(text).unwrap_or_else(|e| panic!("{what}: not JSON: {e}"))
        } else {
            Value::String(text.to_string())
        };
        let errs = check(&self.spec, schema, &body);
        assert!(
            errs.is_empty(),
            "{what}\ndoes not match the document:\n{}",
            errs.join("\n")
        );
        if let Some(codes) = declared.get("x-error-codes").and_then(Value::as_array) {
            assert!(
                codes.contains(&body["code"]),
                "{what}: code not in {codes:?}"
            );
            assert_eq!(body["status"], json!(status), "{what}");
        }
        body
    }

    /// Every path was called, and every documented status was seen, except the listed ones.
    fn assert_coverage(&self, untestable: &[(&str, &str, &str, &str)]) {
        let hits = self.hits.lock().expect("hits");
        let mut missing = Vec::new();
        for (path, item) in self.spec["paths"].as_object().expect("paths") {
            assert!(
                hits.iter().any(|(p, _, _)| p == path),
                "path {path} was never called"
            );
            for (method, op) in item.as_object().expect("item") {
                if !METHODS.contains(&method.as_str()) {
                    continue;
                }
                for status in op["responses"].as_object().expect("responses").keys() {
                    let key = (path.clone(), method.clone(), status.clone());
                    let excused = untestable.iter().any(|(m, p, s, _)| {
                        (*m == "*" || m == method) && (*p == "*" || p == path) && s == status
                    });
                    if !hits.contains(&key) && !excused {
                        missing.push(format!("{} {path} {status}", method.to_uppercase()));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "documented but never exercised:\n{}",
            missing.join("\n")
        );
    }
}

// ------------------------------------------------------------------------------------------
// Bots
// ------------------------------------------------------------------------------------------

/// Asks a name and an email; allowed origins, progress bar, dynamic avatar, remember user, and
/// a `help` command.
fn chat_bot() -> Value {
    let mut b = bot(
        "oa-chat",
        json!([
            text("t-hello", "Hello {{Name}}"),
            input("i-name", "text input", "v-name"),
            input("i-email", "email input", "v-email"),
            text("t-bye", "Bye {{Email}}")
        ]),
        json!([{"id": "v-name", "name": "Name"}, {"id": "v-email", "name": "Email"},
               {"id": "v-avatar", "name": "Avatar", "value": "https://example.com/a.png"}]),
    );
    b["publicId"] = json!("oa-chat-public");
    b["theme"] = json!({"general": {"progressBar": {"isEnabled": true}},
                        "chat": {"hostAvatar": {"isEnabled": true, "url": "{{Avatar}}"}}});
    b["settings"] = json!({
        "general": {"rememberUser": {"isEnabled": true}},
        "security": {"allowedOrigins": ["https://allowed.example"]}
    });
    add_event(
        &mut b,
        json!({"id": "ev-help", "type": "command", "options": {"command": "help"}}),
        "g-help",
        json!([text("t-help", "Type your name."), {"id": "r-help", "type": "Return"}]),
    );
    b
}

/// Every bubble kind and every client-side action Tessera emits.
fn sink_bot() -> Value {
    bot(
        "oa-sink",
        json!([
            {"id": "b-img", "type": "image", "content": {"url": "https://example.com/a.png"}},
            {"id": "b-vid", "type": "video", "content": {"url": "https://example.com/a.mp4"}},
            {"id": "b-aud", "type": "audio", "content": {"url": "https://example.com/a.mp3"}},
            {"id": "b-emb", "type": "embed", "content": {"url": "https://example.com", "height": 400}},
            {"id": "b-red", "type": "Redirect", "options": {"url": "https://example.com/x", "isNewTab": true}},
            {"id": "b-code", "type": "Code", "options": {"content": "console.log({{Name}})"}},
            {"id": "b-wait", "type": "Wait", "options": {"secondsToWaitFor": "1"}},
            {"id": "b-cw", "type": "Chatwoot", "options": {"websiteToken": "tok"}},
            {"id": "b-ga", "type": "Google Analytics", "options": {"trackingId": "G-1", "action": "x"}},
            {"id": "b-px", "type": "Pixel", "options": {"pixelId": "123", "eventType": "Lead"}},
            {"id": "b-sv", "type": "Set variable", "options": {"variableId": "v-name", "type": "Custom",
                "expressionToEvaluate": "return 'A'", "isExecutedOnClient": true}},
            {"id": "b-http", "type": "Webhook", "options": {"isExecutedOnClient": true,
                "webhook": {"url": "https://example.com/h", "method": "POST"}}},
            {"id": "b-listen", "type": "webhook", "options": {}},
            {"id": "b-ai", "type": "openai", "options": {"action": "Create chat completion",
                "responseMapping": [{"item": "Message content", "variableId": "v-reply"}]}},
            text("b-reply", "{{Reply}}"),
            {"id": "b-pause", "type": "Wait", "options": {"secondsToWaitFor": "0", "shouldPause": true}},
            input("b-email", "email input", "v-email"),
            text("b-end", "Bye {{Email}}")
        ]),
        json!([{"id": "v-name", "name": "Name"}, {"id": "v-email", "name": "Email"},
               {"id": "v-reply", "name": "Reply"}]),
    )
}

/// A bot with an error (a jump to a missing group) and a warning (a missing start edge).
fn broken_bot() -> Value {
    let mut b = bot(
        "oa-broken",
        json!([{"id": "j", "type": "Jump", "options": {"groupId": "nowhere"}}]),
        json!([]),
    );
    b["events"][0]["outgoingEdgeId"] = json!("missing-edge");
    b
}

// ------------------------------------------------------------------------------------------
// The walk through every route
// ------------------------------------------------------------------------------------------

const START: &str = "/api/v1/typebots/{publicId}/startChat";
const MOZ: &str = "/api/v1/mozbots/{publicId}/startChat";
const PREVIEW: &str = "/api/v1/typebots/{id}/preview/startChat";
const CONTINUE: &str = "/api/v1/sessions/{sessionId}/continueChat";
const LOGS_V1: &str = "/api/v1/sessions/{sessionId}/clientLogs";
const LOGS_V2: &str = "/api/v2/sessions/{sessionId}/clientLogs";
const FLOWS: &str = "/api/v1/flows";
const FLOW: &str = "/api/v1/flows/{id}";
const RESULTS: &str = "/api/v1/flows/{id}/results";
const CSV: &str = "/api/v1/flows/{id}/results.csv";

fn sid(r: &Resp) -> String {
    session_id(&r.json)
}

/// The servers the walk talks to.
struct World {
    api: Checker,
    /// Allows outbound HTTP to 127.0.0.1 (the slow server).
    app: TestApp,
    /// `max_body_bytes` = 1024.
    small: TestApp,
    /// No API token configured.
    tokenless: TestApp,
    /// Answers after 1.5 s: a turn calling it stays busy.
    slow_url: String,
}

/// Health and the document itself.
async fn health(w: &World) {
    let (api, app) = (&w.api, &w.app);
    for path in ["/healthz", "/api/healthz"] {
        let r = api.call(app, call("GET", path, &[])).await;
        assert_eq!(r.json, json!({"status": "ok"}));
    }
    let r = api.call(app, call("GET", "/readyz", &[])).await;
    assert_eq!(r.json["store"], "memory");
    let r = api.call(app, call("GET", "/openapi.yaml", &[])).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text, SPEC_TEXT, "the served document is openapi.yaml");
}

/// Publishing, with each way it fails.
async fn publishing(w: &World) {
    let (api, app, small) = (&w.api, &w.app, &w.small);
    let r = api
        .call(
            app,
            call("PUT", FLOW, &["oa-chat"]).bearer().json(chat_bot()),
        )
        .await;
    assert_eq!(
        (r.status, r.json["publicId"].clone()),
        (200, json!("oa-chat-public"))
    );
    for b in [sink_bot(), slow_questions("oa-slow", &w.slow_url)] {
        let id = b["id"].as_str().expect("id").to_string();
        let r = api
            .call(app, call("PUT", FLOW, &[&id]).bearer().json(b))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let mut ttl = bot(
        "oa-ttl",
        json!([input("i", "text input", "v")]),
        json!([{"id": "v", "name": "V"}]),
    );
    ttl["settings"] = json!({"tessera": {"sessionTtlSeconds": 1}});
    let pay = bot(
        "oa-pay",
        json!([{"id": "p", "type": "payment input", "options": {}}]),
        json!([]),
    );
    let mut pay2 = pay.clone();
    pay2["id"] = json!("oa-pay2");
    pay2["groups"][0]["blocks"][0]["options"] = json!({"credentialsId": "nope"});
    for b in [ttl, pay, pay2] {
        let id = b["id"].as_str().expect("id").to_string();
        let r = api
            .call(app, call("PUT", FLOW, &[&id]).bearer().json(b))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let broken = broken_bot();
    let r = api
        .call(
            app,
            call("PUT", FLOW, &["oa-broken"])
                .bearer()
                .json(broken.clone()),
        )
        .await;
    assert_eq!(
        (r.status, r.json["code"].clone()),
        (422, json!("flow_invalid"))
    );
    let r = api
        .call(
            app,
            call("PUT", FLOW, &["oa-bad"])
                .bearer()
                .json(json!({"groups": 5})),
        )
        .await;
    assert_eq!(r.json["code"], "flow_malformed");
    let r = api
        .call(app, call("PUT", FLOW, &["oa-bad"]).bearer().raw("{nope"))
        .await;
    assert_eq!(r.json["code"], "invalid_request");
    let r = api
        .call(app, call("PUT", FLOW, &["oa-x"]).json(chat_bot()))
        .await;
    assert_eq!(r.status, 401);
    let mut thief = bot("oa-thief", json!([text("t", "hi")]), json!([]));
    thief["publicId"] = json!("oa-chat-public");
    let r = api
        .call(app, call("PUT", FLOW, &["oa-thief"]).bearer().json(thief))
        .await;
    assert_eq!(r.json["code"], "public_id_taken");
    let mut fat = bot("oa-fat", json!([text("t", "hi")]), json!([]));
    fat["name"] = json!("x".repeat(20_000));
    let r = api
        .call(small, call("PUT", FLOW, &["oa-fat"]).bearer().json(fat))
        .await;
    assert_eq!(r.status, 413);
}

/// Listing, reading, unpublishing.
async fn flows(w: &World) {
    let (api, app) = (&w.api, &w.app);
    let r = api.call(app, call("GET", FLOWS, &[]).bearer()).await;
    assert!(r.json["flows"].as_array().is_some_and(|f| f.len() >= 6));
    api.call(app, call("GET", FLOWS, &[])).await;
    let r = api
        .call(app, call("GET", FLOW, &["oa-chat"]).bearer())
        .await;
    assert_eq!(r.json["publicId"], "oa-chat-public");
    api.call(app, call("GET", FLOW, &["oa-none"]).bearer())
        .await;
    api.call(app, call("GET", FLOW, &["oa-chat"]).token_of("wrong"))
        .await;
    let gone = bot("oa-gone", json!([text("t", "hi")]), json!([]));
    api.call(app, call("PUT", FLOW, &["oa-gone"]).bearer().json(gone))
        .await;
    let r = api
        .call(app, call("DELETE", FLOW, &["oa-gone"]).bearer())
        .await;
    assert_eq!(r.json["unpublished"]["flowId"], "oa-gone");
    let r = api
        .call(app, call("DELETE", FLOW, &["oa-gone"]).bearer())
        .await;
    assert_eq!(r.status, 404);
    api.call(app, call("DELETE", FLOW, &["oa-gone"])).await;
}

/// startChat on the typebot and mozbot routes.
async fn start_routes(w: &World) {
    let (api, app, small) = (&w.api, &w.app, &w.small);
    for route in [START, MOZ] {
        let key = if route == MOZ { "mozbot" } else { "typebot" };
        let r = api
            .call(
                app,
                call("POST", route, &["oa-chat-public"])
                    .header("origin", "https://allowed.example")
                    .json(
                        json!({"prefilledVariables": {"Name": "Ann"}, "isStreamEnabled": true,
                                 "textBubbleContentFormat": "markdown"}),
                    ),
            )
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json[key]["id"], "oa-chat");
        assert!(r.json["progress"].is_number() && r.json["dynamicTheme"].is_object());
        let r = api
            .call(
                app,
                call("POST", route, &["oa-chat"])
                    .json(json!({"message": {"type": "text", "text": "Bob"}})),
            )
            .await;
        assert_eq!(r.status, 200, "the id works too");
        let r = api
            .call(
                app,
                call("POST", route, &["oa-chat"]).json(json!({"isOnlyRegistering": "yes"})),
            )
            .await;
        assert_eq!(r.json["details"]["field"], "isOnlyRegistering");
        let r = api
            .call(app, call("POST", route, &["oa-pay"]).json(json!({})))
            .await;
        assert_eq!(r.json["code"], "missing_credentials");
        let r = api
            .call(app, call("POST", route, &["oa-pay2"]).json(json!({})))
            .await;
        assert_eq!(r.json["code"], "credentials_not_found");
        let r = api
            .call(
                app,
                call("POST", route, &["oa-chat"])
                    .header("origin", "https://evil.example")
                    .json(json!({})),
            )
            .await;
        assert_eq!(r.status, 403);
        let r = api
            .call(app, call("POST", route, &["oa-none"]).json(json!({})))
            .await;
        assert_eq!(r.json["code"], "flow_not_found");
        let key_header = format!("oa-{key}-conflict");
        let first = call("POST", route, &["oa-chat"]).header("idempotency-key", key_header.clone());
        let r = api.call(app, first.json(json!({}))).await;
        assert_eq!(r.status, 200);
        let again = call("POST", route, &["oa-chat"]).header("idempotency-key", key_header);
        let r = api
            .call(app, again.json(json!({"isStreamEnabled": true})))
            .await;
        assert_eq!(r.json["code"], "idempotency_conflict");
        let big = json!({"prefilledVariables": {"Name": "x".repeat(2000)}});
        let r = api
            .call(small, call("POST", route, &["oa-chat"]).json(big))
            .await;
        assert_eq!(r.status, 413);
    }
}

/// Preview startChat (published, inline, startFrom) and its errors.
async fn preview_route(w: &World) -> String {
    let (api, app, small, tokenless) = (&w.api, &w.app, &w.small, &w.tokenless);
    let r = api
        .call(
            app,
            call("POST", PREVIEW, &["oa-chat"]).bearer().json(json!({})),
        )
        .await;
    assert!(r.json.get("resultId").is_none() && r.json["typebot"].get("publishedAt").is_none());
    let preview_sid = sid(&r);
    let inline = json!({"typebot": bot("ignored", json!([text("t", "Inline")]), json!([])),
                        "startFrom": {"type": "group", "groupId": "g-main"}});
    let r = api
        .call(
            app,
            call("POST", PREVIEW, &["oa-inline"]).bearer().json(inline),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = api
        .call(
            app,
            call("POST", PREVIEW, &["oa-chat"])
                .bearer()
                .json(json!({"startFrom": {"type": "event", "eventId": "ev-help"}})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = api
        .call(
            app,
            call("POST", PREVIEW, &["oa-chat"])
                .bearer()
                .json(json!({"startFrom": {"type": "group", "groupId": "nope"}})),
        )
        .await;
    assert_eq!(r.json["code"], "start_group_not_found");
    api.call(app, call("POST", PREVIEW, &["oa-chat"]).json(json!({})))
        .await;
    let r = api
        .call(
            tokenless,
            call("POST", PREVIEW, &["oa-chat"]).bearer().json(json!({})),
        )
        .await;
    assert!(
        r.json["message"]
            .as_str()
            .is_some_and(|m| m.contains("TESSERA_API_TOKEN"))
    );
    api.call(
        app,
        call("POST", PREVIEW, &["oa-none"]).bearer().json(json!({})),
    )
    .await;
    let r = api
        .call(
            app,
            call("POST", PREVIEW, &["oa-x"])
                .bearer()
                .json(json!({"typebot": broken_bot()})),
        )
        .await;
    assert_eq!(r.json["code"], "flow_invalid");
    let a = call("POST", PREVIEW, &["oa-chat"])
        .bearer()
        .header("idempotency-key", "oa-p");
    api.call(app, a.json(json!({}))).await;
    let b = call("POST", PREVIEW, &["oa-chat"])
        .bearer()
        .header("idempotency-key", "oa-p");
    let r = api
        .call(app, b.json(json!({"isStreamEnabled": true})))
        .await;
    assert_eq!(r.json["code"], "idempotency_conflict");
    let big = json!({"prefilledVariables": {"Name": "x".repeat(2000)}});
    api.call(
        small,
        call("POST", PREVIEW, &["oa-chat"]).bearer().json(big),
    )
    .await;
    preview_sid
}

/// continueChat through every message and action shape, and its errors.
async fn continue_route(w: &World) -> String {
    let (api, app, small) = (&w.api, &w.app, &w.small);
    let r = api
        .call(
            app,
            call("POST", START, &["oa-sink"]).json(json!({"isStreamEnabled": true})),
        )
        .await;
    let types: Vec<&str> = r.json["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["type"].as_str())
        .collect();
    assert_eq!(types, ["image", "video", "audio", "embed"]);
    let s = sid(&r);
    for (message, expect) in [
        (json!("A"), "httpRequestToExecute"),
        (
            json!("{\"statusCode\":200,\"data\":{}}"),
            "listenForWebhook",
        ),
        (json!("{}"), "stream"),
        (json!("Streamed text"), "wait"),
        (Value::Null, "input"),
    ] {
        // The pause is resumed by a call without a message.
        let body = if message.is_null() {
            json!({})
        } else {
            json!({"message": message})
        };
        let r = api
            .call(app, call("POST", CONTINUE, &[&s]).json(body))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let got = r.json["clientSideActions"]
            .as_array()
            .and_then(|a| a.last())
            .map(|a| a["type"].clone());
        if expect == "input" {
            assert!(r.json["input"].is_object(), "{}", r.text);
        } else {
            assert_eq!(got, Some(json!(expect)), "{}", r.text);
        }
    }
    let r = api
        .call(
            app,
            call("POST", CONTINUE, &[&s])
                .json(json!({"message": "ANN@EXAMPLE.COM", "textBubbleContentFormat": "markdown"})),
        )
        .await;
    assert_eq!(r.json["lastMessageNewFormat"], "ann@example.com");
    assert!(r.json.get("input").is_none(), "completed: no input");
    let r = api
        .call(
            app,
            call("POST", CONTINUE, &[&s]).json(json!({"message": "again"})),
        )
        .await;
    assert_eq!(r.json["code"], "session_finished");

    // Client-side HTTP request answered with something that is not JSON.
    let r = api
        .call(app, call("POST", START, &["oa-sink"]).json(json!({})))
        .await;
    let s = sid(&r);
    api.call(
        app,
        call("POST", CONTINUE, &[&s]).json(json!({"message": "A"})),
    )
    .await;
    let r = api
        .call(
            app,
            call("POST", CONTINUE, &[&s]).json(json!({"message": "not json"})),
        )
        .await;
    assert_eq!(r.json["code"], "invalid_client_response");

    // The chat bot: command, origin, idempotency, wrong types, too large, unknown session.
    let r = api
        .call(
            app,
            call("POST", START, &["oa-chat-public"]).json(json!({})),
        )
        .await;
    let chat = sid(&r);
    let r = api
        .call(
            app,
            call("POST", CONTINUE, &[&chat])
                .json(json!({"message": {"type": "command", "command": "help"}})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = api
        .call(
            app,
            call("POST", CONTINUE, &[&chat])
                .json(json!({"message": {"type": "command", "command": "nope"}})),
        )
        .await;
    assert_eq!(r.json["code"], "command_not_found");
    let r = api
        .call(
            app,
            call("POST", CONTINUE, &[&chat])
                .header("origin", "https://evil.example")
                .json(json!({"message": "x"})),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = api
        .call(
            app,
            call("POST", CONTINUE, &[&chat]).json(json!({"message": 5})),
        )
        .await;
    assert_eq!(r.json["details"]["field"], "message");
    let k = call("POST", CONTINUE, &[&chat]).header("idempotency-key", "oa-c");
    let files = json!(["https://files.example/1.pdf"]);
    let message = json!({"type": "text", "text": "Bob", "attachedFileUrls": files});
    let r = api.call(app, k.json(json!({ "message": message }))).await;
    assert_eq!(r.status, 200);
    let k = call("POST", CONTINUE, &[&chat]).header("idempotency-key", "oa-c");
    let r = api.call(app, k.json(json!({"message": "Bobby"}))).await;
    assert_eq!(r.json["code"], "idempotency_conflict");
    let big = json!({"message": "x".repeat(2000)});
    api.call(small, call("POST", CONTINUE, &[&chat]).json(big))
        .await;
    let r = api
        .call(
            app,
            call("POST", CONTINUE, &["no-such-session"]).json(json!({"message": "x"})),
        )
        .await;
    assert_eq!(r.json["code"], "session_not_found");
    chat
}

/// clientLogs, v1 and v2.
async fn client_logs(w: &World, chat: &str, preview_sid: &str) {
    let (api, app, small) = (&w.api, &w.app, &w.small);
    for route in [LOGS_V1, LOGS_V2] {
        let log = json!({"status": "error", "description": "boom", "details": {"a": 1}});
        let logs = json!({ "clientLogs": [log] });
        let r = api
            .call(app, call("POST", route, &[chat]).json(logs.clone()))
            .await;
        assert_eq!(r.status, 200);
        let r = api
            .call(
                app,
                call("POST", route, &[chat]).json(json!({"clientLogs": 5})),
            )
            .await;
        assert_eq!(r.json["details"]["field"], "clientLogs");
        let r = api
            .call(
                app,
                call("POST", route, &["no-such-session"]).json(logs.clone()),
            )
            .await;
        assert_eq!(r.json["code"], "session_not_found");
        let r = api
            .call(app, call("POST", route, &[preview_sid]).json(logs.clone()))
            .await;
        assert_eq!(r.json["code"], "result_not_found");
        let big = json!({"clientLogs": [{"description": "x".repeat(2000)}]});
        api.call(small, call("POST", route, &[chat]).json(big))
            .await;
    }
}

/// A turn in progress: continueChat and clientLogs get 409 session_busy.
async fn busy_sessions(w: &World) {
    let (api, app) = (&w.api, &w.app);
    let r = api
        .call(app, call("POST", START, &["oa-slow"]).json(json!({})))
        .await;
    let slow = sid(&r);
    let (first, busy) = tokio::join!(
        api.call(
            app,
            call("POST", CONTINUE, &[&slow]).json(json!({"message": "a"}))
        ),
        async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let c = api
                .call(
                    app,
                    call("POST", CONTINUE, &[&slow]).json(json!({"message": "b"})),
                )
                .await;
            let l1 = api
                .call(
                    app,
                    call("POST", LOGS_V1, &[&slow]).json(json!({"clientLogs": []})),
                )
                .await;
            let l2 = api
                .call(
                    app,
                    call("POST", LOGS_V2, &[&slow]).json(json!({"clientLogs": []})),
                )
                .await;
            (c, l1, l2)
        }
    );
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(
        (busy.0.status, busy.0.json["code"].clone()),
        (409, json!("session_busy"))
    );
    // Client logs do not need the turn lease: they are accepted during a turn.
    for r in [busy.1, busy.2] {
        assert_eq!(r.status, 200, "{}", r.text);
    }
}

/// A session past its TTL.
async fn expiry(w: &World) {
    let (api, app) = (&w.api, &w.app);
    let r = api
        .call(app, call("POST", START, &["oa-ttl"]).json(json!({})))
        .await;
    let ttl_sid = sid(&r);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let r = api
        .call(
            app,
            call("POST", CONTINUE, &[&ttl_sid]).json(json!({"message": "x"})),
        )
        .await;
    assert_eq!(r.json["code"], "session_expired");
}

/// Results pages and the CSV export.
async fn results(w: &World) {
    let (api, app) = (&w.api, &w.app);
    let r = api
        .call(
            app,
            call("GET", RESULTS, &["oa-chat"]).bearer().query("limit=1"),
        )
        .await;
    let cursor = r.json["nextCursor"]
        .as_str()
        .expect("more than one result")
        .to_string();
    let r = api
        .call(
            app,
            call("GET", RESULTS, &["oa-chat"])
                .bearer()
                .query(&format!("limit=500&cursor={}", enc(&cursor))),
        )
        .await;
    assert!(r.json.get("nextCursor").is_none());
    api.call(app, call("GET", RESULTS, &["oa-chat"])).await;
    let r = api.call(app, call("GET", CSV, &["oa-chat"]).bearer()).await;
    assert!(r.text.starts_with("Submitted at,Result ID"));
    assert!(
        r.headers
            .get("content-disposition")
            .is_some_and(|v| v.to_str().is_ok_and(|v| v.contains("oa-chat-results.csv")))
    );
    api.call(app, call("GET", CSV, &["oa-chat"]).token_of("nope"))
        .await;
}

/// Routes that are not documented answer the documented RouteNotFound response.
async fn fallbacks(w: &World) {
    let (api, app) = (&w.api, &w.app);
    let unknown = call("GET", "/api/v1/nope", &[]);
    let resp = api.send(app, &unknown).await;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    let declared = &api.spec["components"]["responses"]["RouteNotFound"];
    let what = format!("GET /api/v1/nope -> {status}: {text}");
    let body = api.check_response(declared, status, &headers, &text, &what);
    assert_eq!(
        (status, body["code"].clone()),
        (404, json!("route_not_found"))
    );
    let preflight = api.send(app, &call("OPTIONS", START, &["oa-chat"])).await;
    assert_eq!(preflight.status().as_u16(), 204);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_and_documented_status_matches_the_document() {
    let w = World {
        api: Checker::new(),
        app: common::app::spawn_app_with(|c| c.http_allowed_hosts = vec!["127.0.0.1".into()]).await,
        small: common::app::spawn_app_with(|c| c.max_body_bytes = 1024).await,
        tokenless: common::app::spawn_app_with(|c| c.api_token = None).await,
        slow_url: slow_server(Duration::from_millis(1500)).await,
    };
    health(&w).await;
    publishing(&w).await;
    flows(&w).await;
    start_routes(&w).await;
    let preview_sid = preview_route(&w).await;
    let chat = continue_route(&w).await;
    client_logs(&w, &chat, &preview_sid).await;
    busy_sessions(&w).await;
    expiry(&w).await;
    results(&w).await;
    fallbacks(&w).await;

    w.api.assert_coverage(&[
        (
            "*",
            "*",
            "500",
            "internal_error: nothing a client sends provokes it",
        ),
        (
            "*",
            "*",
            "503",
            "store_unavailable: the in-memory store is always available",
        ),
        (
            "get",
            RESULTS,
            "400",
            "exercised by results_with_a_bad_query_answer_the_documented_json_error",
        ),
    ]);
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn results_with_a_bad_query_answer_the_documented_json_error() {
    let app = common::app::spawn_app().await;
    let api = Checker::new();
    let r = api
        .call(
            &app,
            call("GET", RESULTS, &["any"]).bearer().query("limit=abc"),
        )
        .await;
    assert_eq!(r.json["code"], "invalid_request");
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
