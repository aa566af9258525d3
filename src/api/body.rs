//! Request bodies: read with a size limit, parsed into typed requests with errors that name the
//! failing field in the caller's terms, then validated. Shared by every JSON surface.

use actix_web::{HttpRequest, web};
use futures_util::StreamExt;
use serde::Deserialize;
use validator::Validate;

use std::time::Duration;

use super::error::{ApiError, ErrorCode};

/// Reads a request body with a size limit (413 as JSON when exceeded).
pub async fn read_body(
    mut payload: web::Payload,
    req: &HttpRequest,
    limit: usize,
) -> Result<web::Bytes, ApiError> {
    let declared = req
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::payload_too_large(limit));
    }
    // A client sending its body slowly holds a worker's connection: it gets the configured
    // time for the whole body (`limits.body_timeout_ms`), then 408.
    let timeout = req
        .app_data::<web::Data<super::AppState>>()
        .map_or(Duration::from_secs(30), |s| s.limits.body_timeout);
    let read = async {
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| {
                ApiError::bad_request(format!("could not read the request body: {e}"))
            })?;
            if body.len() + chunk.len() > limit {
                return Err(ApiError::payload_too_large(limit));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    };
    tokio::time::timeout(timeout, read)
        .await
        .unwrap_or_else(|_| {
            Err(ApiError::new(
                ErrorCode::RequestTimeout,
                format!(
                    "The request body did not arrive within {} ms.",
                    timeout.as_millis()
                ),
            ))
        })
}

/// `result_id` -> `resultId`: validation errors name the JSON field, not the Rust one.
fn camel_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut upper = false;
    for c in s.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Parses a JSON body into `T`, naming the failing field, then runs its validation rules.
pub fn parse_body<T: for<'de> Deserialize<'de> + Validate>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: T = if bytes.iter().all(u8::is_ascii_whitespace) {
        serde_json::from_str("{}").map_err(|e| ApiError::bad_request(e.to_string()))?
    } else if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        // serde reads a struct from an array too (its fields in order): `[]` would pass as
        // `{}` for a body whose fields all have defaults. Every body here is an object.
        return Err(ApiError::bad_request(
            "The body must be a JSON object, not an array.",
        ));
    } else {
        let de = &mut serde_json::Deserializer::from_slice(bytes);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                ApiError::bad_request(format!("Malformed JSON body: {inner}"))
            } else {
                ApiError::bad_request(format!("Invalid field {path}: {inner}"))
                    .with_details(serde_json::json!({"field": path}))
            }
        })?
    };
    value.validate().map_err(|e| {
        let mut fields = Vec::new();
        let mut problems = Vec::new();
        for (field, errors) in e.field_errors() {
            let name = camel_case(&field);
            for err in errors {
                let rule = match err.code.as_ref() {
                    "length" => "has a length outside the accepted range".to_string(),
                    other => other.replace('_', " "),
                };
                problems.push(format!("{name} {rule}"));
            }
            fields.push(name);
        }
        ApiError::bad_request(format!("Invalid field {}", problems.join("; ")))
            .with_details(serde_json::json!({"fields": fields}))
    })?;
    Ok(value)
}
