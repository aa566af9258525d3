//! Calling the server and checking each response against the document: a [`Call`] is built,
//! [`Checker::call`] sends it, checks status, content type, body and error code, and records
//! which documented (path, method, status) was seen for the coverage check.

use std::collections::BTreeSet;
use std::sync::Mutex;

use serde_json::{Value, json};

use crate::common::app::{TOKEN, TestApp};
use crate::document::{METHODS, resolved, spec};
use crate::validator::check;

pub enum Body {
    None,
    Json(Value),
    Raw(Vec<u8>),
}

pub struct Call {
    pub method: &'static str,
    pub template: &'static str,
    pub args: Vec<String>,
    pub query: String,
    pub body: Body,
    pub headers: Vec<(&'static str, String)>,
    pub token: Option<String>,
}

pub fn call(method: &'static str, template: &'static str, args: &[&str]) -> Call {
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
    pub fn json(mut self, v: Value) -> Self {
        self.body = Body::Json(v);
        self
    }
    pub fn raw(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.body = Body::Raw(bytes.into());
        self
    }
    pub fn header(mut self, k: &'static str, v: impl Into<String>) -> Self {
        self.headers.push((k, v.into()));
        self
    }
    pub fn bearer(self) -> Self {
        self.token_of(TOKEN)
    }
    pub fn token_of(mut self, t: &str) -> Self {
        self.token = Some(t.to_string());
        self
    }
    pub fn query(mut self, q: &str) -> Self {
        self.query = format!("?{q}");
        self
    }
    /// The concrete path: `{param}` segments replaced by the arguments, in order.
    pub fn path(&self) -> String {
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

pub struct Resp {
    pub status: u16,
    pub json: Value,
    pub text: String,
    pub headers: reqwest::header::HeaderMap,
}

pub struct Checker {
    pub spec: Value,
    pub hits: Mutex<BTreeSet<(String, String, String)>>,
}

impl Checker {
    pub fn new() -> Self {
        Self {
            spec: spec(),
            hits: Mutex::new(BTreeSet::new()),
        }
    }

    pub async fn send(&self, app: &TestApp, c: &Call) -> reqwest::Response {
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
    pub async fn call(&self, app: &TestApp, c: Call) -> Resp {
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

    pub fn check_response(
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
        // Error codes are checked on JSON bodies (a route may also answer an HTML page).
        if let Some(codes) = declared
            .get("x-error-codes")
            .and_then(Value::as_array)
            .filter(|_| media == "application/json")
        {
            assert!(
                codes.contains(&body["code"]),
                "{what}: code not in {codes:?}"
            );
            assert_eq!(body["status"], json!(status), "{what}");
        }
        body
    }

    /// Every path was called, and every documented status was seen, except the listed ones.
    pub fn assert_coverage(&self, untestable: &[(&str, &str, &str, &str)]) {
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
