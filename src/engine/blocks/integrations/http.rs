//! The HTTP request block ("Webhook", "Zapier", "Make.com", "Pabbly"), §2.4.1. Every call goes
//! through [`crate::net::SafeClient`]; security refusals become a synthetic 400 response and a
//! visible log, like Typebot. 4xx/5xx responses are not flow errors: mapping still runs.

use std::time::Duration;

use serde_json::{Map, Value, json};

use super::{apply_mapping, mapping_json};
use crate::engine::blocks::Next;
use crate::engine::context::Turn;
use crate::engine::turn::{Log, TurnStatus};
use crate::eval::templating::{self, Mode, Opts};
use crate::flow::options::HttpRequestOptions;
use crate::net::{OutboundError, OutboundRequest};

const SUCCESS_LOG: &str = "Webhook successfuly executed.";
const ERROR_LOG: &str = "Webhook returned an error.";

pub async fn execute(
    turn: &mut Turn<'_>,
    long_timeout: bool,
    o: &HttpRequestOptions,
    webhook_id: Option<&str>,
) -> Next {
    let Some(def) = o.webhook.clone() else {
        if let Some(id) = webhook_id {
            turn.out.logs.push(
                Log::error(format!(
                    "Webhook {id} not found: re-export the bot from a recent builder"
                ))
                .result_only(),
            );
        }
        return Next::Continue;
    };
    let mut scope = turn.scope();
    let plain = Opts::default();
    let mut url = templating::parse(def.url.as_deref().unwrap_or_default(), &mut scope, plain);
    let query: Vec<(String, String)> = def
        .query_params
        .iter()
        .filter_map(|kv| {
            let k = templating::parse(kv.key.as_deref()?, &mut scope, plain);
            let v = templating::parse(kv.value.as_deref()?, &mut scope, plain);
            (!k.is_empty() && !v.is_empty()).then_some((k, v))
        })
        .collect();
    if !query.is_empty() {
        let qs: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect();
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&qs.join("&"));
    }
    let mut headers: Vec<(String, String)> = def
        .headers
        .iter()
        .filter_map(|kv| {
            let k = templating::parse(kv.key.as_deref()?, &mut scope, plain);
            let v = templating::parse(kv.value.as_deref()?, &mut scope, plain);
            (!k.is_empty() && !v.is_empty()).then_some((k, basic_auth(v)))
        })
        .collect();
    let method = def
        .method
        .clone()
        .unwrap_or_else(|| "POST".into())
        .to_uppercase();
    let raw_body = def.body.clone().unwrap_or_default();
    let body: Option<Value> = if method == "GET" {
        None
    } else if o.is_custom_body != Some(true)
        || raw_body.trim().is_empty()
        || raw_body.trim() == "{{state}}"
    {
        Some(default_body(turn))
    } else {
        let single = raw_body.trim().starts_with("{{")
            && raw_body.trim().ends_with("}}")
            && raw_body.matches("{{").count() == 1;
        let mode = if single { Mode::Plain } else { Mode::Json };
        let text = templating::parse(
            &raw_body,
            &mut scope,
            Opts {
                mode,
                take_latest: false,
            },
        );
        Some(serde_json::from_str(&text).unwrap_or(Value::String(text)))
    };
    if o.is_executed_on_client == Some(true) {
        let payload = json!({"url": url, "method": method, "headers": headers.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect::<Map<_, _>>(), "body": body});
        turn.out
            .push_action("httpRequestToExecute", Some(payload), true);
        return Next::Stop(TurnStatus::WaitingAction);
    }
    let form = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("content-type") && v.contains("x-www-form-urlencoded")
    });
    let bytes = body.as_ref().map(|b| match b {
        Value::String(s) => s.clone().into_bytes(),
        Value::Object(m) if form => m
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    enc(k),
                    enc(&v
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string()))
                )
            })
            .collect::<Vec<_>>()
            .join("&")
            .into_bytes(),
        other => other.to_string().into_bytes(),
    });
    if matches!(body, Some(Value::Object(_) | Value::Array(_)))
        && !form
        && !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("Content-Type".into(), "application/json".into()));
    }
    let timeout = o
        .timeout
        .filter(|t| *t > 0.0)
        .map(|t| Duration::from_secs_f64(t.min(120.0)))
        .or(long_timeout.then(|| Duration::from_secs(120)));
    let request = OutboundRequest {
        method: method.clone(),
        url: url.clone(),
        headers,
        body: bytes,
        timeout,
    };
    let response = match turn.engine.http.as_ref() {
        Some(client) => client.send(request).await,
        None => Err(OutboundError::Blocked(
            "outbound HTTP is disabled on this server".into(),
        )),
    };
    let synthetic = match response {
        Ok(r) => {
            let text = String::from_utf8_lossy(&r.body).to_string();
            let data = serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text));
            let out = json!({"statusCode": r.status, "data": data});
            let details = json!({"statusCode": r.status, "request": {"url": url, "method": method}, "response": out["data"]});
            let log = if r.status >= 400 {
                Log::error(ERROR_LOG)
            } else {
                Log::success(SUCCESS_LOG)
            };
            turn.out.logs.push(log.with_details(details).result_only());
            out
        }
        Err(OutboundError::Blocked(reason)) => {
            let message = format!("Security validation failed: {reason}");
            turn.out.logs.push(Log::error(message.clone()));
            json!({"statusCode": 400, "data": {"message": message}})
        }
        Err(OutboundError::Timeout(s)) => {
            let message = format!("Request timed out. ({s}s)");
            turn.out.logs.push(
                Log::error(ERROR_LOG)
                    .with_details(json!({"message": message}))
                    .result_only(),
            );
            json!({"statusCode": 408, "data": {"message": message}})
        }
        Err(e) => {
            turn.out.logs.push(
                Log::error(ERROR_LOG)
                    .with_details(json!({"message": e.to_string()}))
                    .result_only(),
            );
            json!({"statusCode": 500, "data": e.to_string()})
        }
    };
    let mapping = mapping_json(&o.response_variable_mapping);
    apply_mapping(turn, Some(&mapping), &synthetic);
    Next::Continue
}

/// `{submittedAt, <answer key>: answer…, <variable name>: value…}` (Typebot's default body).
fn default_body(turn: &mut Turn<'_>) -> Value {
    let mut m = Map::new();
    m.insert(
        "submittedAt".into(),
        Value::String(
            turn.now
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        ),
    );
    for a in &turn.state.top().answers {
        m.insert(a.k.clone(), Value::String(a.v.clone()));
    }
    let flow = turn.flow();
    for d in &flow.variables {
        if let Some(v) = turn.state.top().vars.get(&d.id) {
            m.insert(d.name.clone(), v.to_json());
        }
    }
    Value::Object(m)
}

/// `Basic user:pass` is base64-encoded when it carries a raw colon.
fn basic_auth(v: String) -> String {
    match v.strip_prefix("Basic ") {
        Some(cred) if cred.contains(':') => format!("Basic {}", base64(cred.as_bytes())),
        _ => v,
    }
}

fn base64(input: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Percent-encodes a query component.
fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_basic_auth_and_queries() {
        assert_eq!(basic_auth("Basic user:pass".into()), "Basic dXNlcjpwYXNz");
        assert_eq!(basic_auth("Bearer x".into()), "Bearer x");
        assert_eq!(enc("a b&c"), "a%20b%26c");
        assert_eq!(base64(b"ab"), "YWI=");
    }
}
