//! The trigger integration (seed 002): triggers managed with the API token
//! (`/api/v1/integration/triggers`), events posted with a trigger's own secret
//! (`/api/v1/integration/trigger/{id}/event`, answered 202 at once), and the trigger's event
//! log and session transcripts (API token).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::body::read_body;
use super::error::{ApiError, ErrorCode};
use super::{AppState, auth};
use crate::conversation::triggers::{EventInput, EventQuery, WithSecret};
use crate::ids::is_plausible_id;

/// Longest accepted event text, in characters.
pub const MAX_TEXT: usize = 10_000;
/// Longest trigger name and contact name.
const MAX_NAME: usize = 200;
/// Longest `Idempotency-Key`.
const MAX_KEY: usize = 255;
/// Longest session TTL a trigger may set (a year).
const MAX_TTL: u64 = 365 * 86_400;

/// A 400 naming the field.
fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidRequest, message).with_details(json!({ "field": field }))
}

fn object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(_) => Err(invalid("body", "The body must be a JSON object.")),
        Err(e) => Err(invalid("body", format!("Malformed JSON body: {e}"))),
    }
}

/// An optional string field of at most `max` characters.
fn opt_string(o: &Map<String, Value>, field: &str, max: usize) -> Result<Option<String>, ApiError> {
    match o.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= max => Ok(Some(s.clone())),
        Some(Value::String(_)) => Err(invalid(
            field,
            format!("{field} must be at most {max} characters."),
        )),
        Some(_) => Err(invalid(field, format!("{field} must be a string."))),
    }
}

/// Whether `s` looks like an email address (one `@`, something before it, a dotted domain).
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && s.len() <= 254
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn is_phone(s: &str) -> bool {
    (3..=32).contains(&s.len())
        && s.chars().any(|c| c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
}

/// The event body: `text`, `session`, `contact` (`name`, `email`, `phone`).
fn event_input(o: &Map<String, Value>) -> Result<EventInput, ApiError> {
    let text = opt_string(o, "text", MAX_TEXT)?;
    let session = opt_string(o, "session", 128)?;
    if let Some(s) = &session
        && !is_plausible_id(s)
    {
        return Err(invalid(
            "session",
            "session must be 1 to 128 letters, digits, '-' or '_'.",
        ));
    }
    let contact = match o.get("contact") {
        None | Some(Value::Null) => None,
        Some(Value::Object(c)) => {
            let mut out = Map::new();
            if let Some(name) = opt_string(c, "name", MAX_NAME).map_err(|_| {
                invalid(
                    "contact.name",
                    "contact.name must be a string of at most 200 characters.",
                )
            })? {
                out.insert("name".into(), Value::String(name));
            }
            match opt_string(c, "email", 254) {
                Ok(Some(e)) if is_email(&e) => {
                    out.insert("email".into(), Value::String(e));
                }
                Ok(None) => {}
                _ => {
                    return Err(invalid(
                        "contact.email",
                        "contact.email must be an email address.",
                    ));
                }
            }
            match opt_string(c, "phone", 32) {
                Ok(Some(p)) if is_phone(&p) => {
                    out.insert("phone".into(), Value::String(p));
                }
                Ok(None) => {}
                _ => {
                    return Err(invalid(
                        "contact.phone",
                        "contact.phone must be a phone number (digits, spaces, + - ( ) .).",
                    ));
                }
            }
            Some(out)
        }
        Some(_) => return Err(invalid("contact", "contact must be an object.")),
    };
    Ok(EventInput {
        text,
        session,
        contact,
        ..EventInput::default()
    })
}

fn sha256_hex(b: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, b);
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// `POST /api/v1/integration/trigger/{id}/event`. The secret is checked in the accepting
/// store step (one round trip on Redis); a body that is refused checks it first, so an unknown
/// trigger (404) or a bad secret (401) still answers before the body's 400.
pub async fn event(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    id: &str,
) -> Result<HttpResponse, ApiError> {
    let triggers = &state.triggers;
    let secret = auth::bearer(req);
    let input = match event_request(req, payload, state).await {
        Ok(input) => input,
        Err(e) => {
            triggers.authenticate(id, secret).await?;
            return Err(e);
        }
    };
    let accepted = triggers.accept(id, secret, input).await?;
    Ok(HttpResponse::Accepted().json(accepted))
}

/// The event's body and `Idempotency-Key`, validated.
async fn event_request(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<EventInput, ApiError> {
    let body = read_body(payload, req, state.max_body_bytes).await?;
    let mut input = event_input(&object(&body)?)?;
    if let Some(k) = req.headers().get("idempotency-key") {
        let k = k
            .to_str()
            .ok()
            .filter(|k| !k.is_empty() && k.len() <= MAX_KEY)
            .ok_or_else(|| {
                invalid(
                    "Idempotency-Key",
                    "Idempotency-Key must be 1 to 255 visible characters.",
                )
            })?;
        input.idempotency_key = Some(k.to_string());
        input.fingerprint = sha256_hex(&body);
    }
    Ok(input)
}

fn with_secret(w: WithSecret) -> Value {
    let mut v = serde_json::to_value(&w.trigger).unwrap_or_else(|_| json!({}));
    if let Some(o) = v.as_object_mut() {
        o.insert("secret".into(), Value::String(w.secret));
    }
    v
}

/// `POST /api/v1/integration/triggers`.
pub async fn create(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<HttpResponse, ApiError> {
    auth::require_token(req, state.api_token.as_deref())?;
    let body = read_body(payload, req, state.max_body_bytes).await?;
    let o = object(&body)?;
    let flow = opt_string(&o, "flow", 256)?
        .filter(|f| !f.is_empty())
        .ok_or_else(|| invalid("flow", "flow is required (the bot's publicId or id)."))?;
    let name = opt_string(&o, "name", MAX_NAME)?;
    let default_text = opt_string(&o, "default_text", MAX_TEXT)?;
    let ttl = match o.get("session_ttl_secs") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .filter(|n| (1..=MAX_TTL).contains(n))
                .ok_or_else(|| {
                    invalid(
                        "session_ttl_secs",
                        format!("session_ttl_secs must be an integer from 1 to {MAX_TTL}."),
                    )
                })?,
        ),
    };
    let created = state.triggers.create(flow, name, default_text, ttl).await?;
    Ok(HttpResponse::Created().json(with_secret(created)))
}

pub async fn list(req: &HttpRequest, state: &AppState) -> Result<HttpResponse, ApiError> {
    auth::require_token(req, state.api_token.as_deref())?;
    let triggers = state.triggers.list().await?;
    Ok(HttpResponse::Ok().json(json!({ "triggers": triggers })))
}

pub async fn get_one(
    req: &HttpRequest,
    state: &AppState,
    id: &str,
) -> Result<HttpResponse, ApiError> {
    auth::require_token(req, state.api_token.as_deref())?;
    Ok(HttpResponse::Ok().json(state.triggers.get(id).await?))
}

pub async fn delete(
    req: &HttpRequest,
    state: &AppState,
    id: &str,
) -> Result<HttpResponse, ApiError> {
    auth::require_token(req, state.api_token.as_deref())?;
    state.triggers.delete(id).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn rotate(
    req: &HttpRequest,
    state: &AppState,
    id: &str,
) -> Result<HttpResponse, ApiError> {
    auth::require_token(req, state.api_token.as_deref())?;
    Ok(HttpResponse::Ok().json(with_secret(state.triggers.rotate(id).await?)))
}

#[derive(Debug, Deserialize)]
struct EventsQuery {
    session: Option<String>,
    status: Option<String>,
    limit: Option<usize>,
    cursor: Option<String>,
}

/// `GET /api/v1/integration/trigger/{id}/events`.
pub async fn events(
    req: &HttpRequest,
    state: &AppState,
    id: &str,
) -> Result<HttpResponse, ApiError> {
    auth::require_token(req, state.api_token.as_deref())?;
    let q = web::Query::<EventsQuery>::from_query(req.query_string())
        .map_err(|e| invalid("query", format!("Invalid query string: {e}")))?;
    if let Some(s) = &q.status
        && !matches!(s.as_str(), "queued" | "processing" | "done" | "failed")
    {
        return Err(invalid(
            "status",
            "status must be queued, processing, done or failed.",
        ));
    }
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(invalid("limit", "limit must be from 1 to 1000."));
    }
    let cursor = match &q.cursor {
        None => 0,
        Some(c) => c.parse().map_err(|_| {
            invalid(
                "cursor",
                "cursor must be a next_cursor this route answered.",
            )
        })?,
    };
    let query = EventQuery {
        session: q.session.clone(),
        status: q.status.clone(),
        limit,
        cursor,
    };
    Ok(HttpResponse::Ok().json(state.triggers.events(id, &query).await?))
}

/// `GET /api/v1/integration/trigger/{id}/sessions/{session}`.
pub async fn session(
    req: &HttpRequest,
    state: &AppState,
    id: &str,
    session: &str,
) -> Result<HttpResponse, ApiError> {
    auth::require_token(req, state.api_token.as_deref())?;
    Ok(HttpResponse::Ok().json(state.triggers.transcript(id, session).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_phones_are_checked() {
        assert!(is_email("a@b.co"));
        for bad in ["a", "a@b", "@b.co", "a@@b.co", "a b@c.de", "a@b.co."] {
            assert!(!is_email(bad), "{bad}");
        }
        assert!(is_phone("+33 6 12 34 56 78"));
        assert!(!is_phone("call me"));
    }
}
