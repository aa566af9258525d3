//! The engine API's request bodies, read from JSON with errors that name the field and rule
//! (422 `invalid_input`), and the `variables` constraints of the seed: at most 50 keys, at
//! most 4,096 bytes JSON-encoded, keys matching `^[a-z][a-z0-9_]{0,63}$`, values scalars,
//! null, or arrays nested at most 4 levels deep (no objects).

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::api::error::{ApiError, ErrorCode};
use crate::conversation::executions::run::Trigger;
use crate::engine::Message;

pub const MAX_VARIABLES: usize = 50;
pub const MAX_VARIABLES_BYTES: usize = 4096;
pub const MAX_ARRAY_DEPTH: usize = 4;

/// A 422 `invalid_input` naming the field (or variable key) and the rule it breaks.
pub fn invalid(field: &str, rule: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidInput, message)
        .with_details(json!({"field": field, "rule": rule}))
}

fn invalid_key(key: &str, rule: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidInput, message)
        .with_details(json!({"field": "variables", "key": key, "rule": rule}))
}

/// The body as a JSON object.
pub fn object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(_) => Err(invalid("body", "object", "The body must be a JSON object.")),
        Err(e) => Err(invalid("body", "json", format!("Malformed JSON body: {e}"))),
    }
}

/// Whether `s` is a UUID (any version, hyphenated or not, as `uuid` parses them).
pub fn is_uuid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok()
}

/// A required UUID field.
pub fn uuid_field(o: &Map<String, Value>, field: &str) -> Result<String, ApiError> {
    match o.get(field) {
        Some(Value::String(s)) if is_uuid(s) => Ok(s.clone()),
        None | Some(Value::Null) => {
            Err(invalid(field, "required", format!("{field} is required.")))
        }
        Some(_) => Err(invalid(field, "uuid", format!("{field} must be a UUID."))),
    }
}

/// A required non-empty string field of at most `max` characters.
pub fn string_field(o: &Map<String, Value>, field: &str, max: usize) -> Result<String, ApiError> {
    match o.get(field) {
        Some(Value::String(s)) if !s.is_empty() && s.chars().count() <= max => Ok(s.clone()),
        Some(Value::String(s)) if !s.is_empty() => Err(invalid(
            field,
            "max_length",
            format!("{field} must be at most {max} characters."),
        )),
        None | Some(Value::Null) => {
            Err(invalid(field, "required", format!("{field} is required.")))
        }
        Some(_) => Err(invalid(
            field,
            "string",
            format!("{field} must be a non-empty string."),
        )),
    }
}

/// An optional object field (absent or null: empty).
pub fn object_field(o: &Map<String, Value>, field: &str) -> Result<Map<String, Value>, ApiError> {
    match o.get(field) {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m.clone()),
        Some(_) => Err(invalid(
            field,
            "object",
            format!("{field} must be an object."),
        )),
    }
}

fn valid_key(k: &str) -> bool {
    let b = k.as_bytes();
    (1..=64).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
}

/// Array nesting depth of a value (0 for a scalar); None when it holds an object.
fn depth(v: &Value) -> Option<usize> {
    match v {
        Value::Object(_) => None,
        Value::Array(items) => {
            let mut d = 0;
            for i in items {
                d = d.max(depth(i)?);
            }
            Some(d + 1)
        }
        _ => Some(0),
    }
}

/// Checks `variables` against the seed's constraints.
pub fn variables(o: &Map<String, Value>) -> Result<Map<String, Value>, ApiError> {
    let vars = object_field(o, "variables")?;
    if vars.len() > MAX_VARIABLES {
        return Err(invalid(
            "variables",
            "max_keys",
            format!(
                "variables has {} keys: at most {MAX_VARIABLES}.",
                vars.len()
            ),
        ));
    }
    for (k, v) in &vars {
        if !valid_key(k) {
            return Err(invalid_key(
                k,
                "key_pattern",
                format!("variables key {k:?} must match ^[a-z][a-z0-9_]{{0,63}}$."),
            ));
        }
        match depth(v) {
            None => {
                return Err(invalid_key(
                    k,
                    "value_type",
                    format!("variables.{k}: objects are not accepted as values."),
                ));
            }
            Some(d) if d > MAX_ARRAY_DEPTH => {
                return Err(invalid_key(
                    k,
                    "max_depth",
                    format!("variables.{k}: arrays nest at most {MAX_ARRAY_DEPTH} levels."),
                ));
            }
            Some(_) => {}
        }
    }
    let size = serde_json::to_string(&vars)
        .map(|s| s.len())
        .unwrap_or(usize::MAX);
    if size > MAX_VARIABLES_BYTES {
        return Err(invalid(
            "variables",
            "max_bytes",
            format!("variables is {size} bytes JSON-encoded: at most {MAX_VARIABLES_BYTES}."),
        ));
    }
    Ok(vars)
}

/// A trigger body.
pub fn trigger(body: &[u8]) -> Result<Trigger, ApiError> {
    let o = object(body)?;
    let tenant_id = uuid_field(&o, "tenant_id")?;
    let intent_name = string_field(&o, "intent_name", 256)?;
    let conversation_id = match o.get("conversation_id") {
        None | Some(Value::Null) => None,
        Some(_) => Some(uuid_field(&o, "conversation_id")?),
    };
    Ok(Trigger {
        tenant_id,
        intent_name,
        conversation_id,
        context: object_field(&o, "context")?,
        variables: variables(&o)?,
    })
}

/// A resume body: the tenant, the wait token and the reply (`input.text`, optional).
pub struct Resume {
    pub tenant_id: String,
    pub wait_token: String,
    pub message: Option<Message>,
}

/// A resume body read straight into its fields (no JSON value built): only a body that
/// [`resume`] reads the same way (an object, each field of the right type and valid).
#[derive(Deserialize)]
struct PlainResume<'a> {
    #[serde(borrow)]
    tenant_id: Cow<'a, str>,
    #[serde(borrow)]
    wait_token: Cow<'a, str>,
    #[serde(default)]
    input: Option<Map<String, Value>>,
}

fn plain_resume(body: &[u8]) -> Option<Resume> {
    // A struct reads from a JSON array too: only an object is read here.
    if body.trim_ascii_start().first() != Some(&b'{') {
        return None;
    }
    let r: PlainResume = serde_json::from_slice(body).ok()?;
    let token_ok = !r.wait_token.is_empty() && r.wait_token.chars().count() <= 256;
    if !is_uuid(&r.tenant_id) || !token_ok {
        return None;
    }
    let message = match r.input.as_ref().and_then(|i| i.get("text")) {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(Message::Text {
            text: text.clone(),
            reply_id: None,
            attached_file_urls: Vec::new(),
        }),
        Some(_) => return None,
    };
    Some(Resume {
        tenant_id: r.tenant_id.into_owned(),
        wait_token: r.wait_token.into_owned(),
        message,
    })
}

/// Reads a resume body; any body [`plain_resume`] does not take is read (and refused, with
/// the field and rule) as a JSON value.
pub fn resume(body: &[u8]) -> Result<Resume, ApiError> {
    match plain_resume(body) {
        Some(r) => Ok(r),
        None => resume_value(body),
    }
}

fn resume_value(body: &[u8]) -> Result<Resume, ApiError> {
    let o = object(body)?;
    let tenant_id = uuid_field(&o, "tenant_id")?;
    let wait_token = string_field(&o, "wait_token", 256)?;
    let input = object_field(&o, "input")?;
    let message = match input.get("text") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(Message::Text {
            text: text.clone(),
            reply_id: None,
            attached_file_urls: Vec::new(),
        }),
        Some(_) => {
            return Err(invalid(
                "input.text",
                "string",
                "input.text must be a string.",
            ));
        }
    };
    Ok(Resume {
        tenant_id,
        wait_token,
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resume_read_plainly_is_read_as_from_its_value() {
        let t = "00000000-0000-0000-0000-000000000000";
        let shown = |r: &Resume| format!("{} {} {:?}", r.tenant_id, r.wait_token, r.message);
        let plain = [
            format!(
                r#"{{"tenant_id":"{t}","wait_token":"w","input":{{"text":"hi \"x\"","n":1}}}}"#
            ),
            format!(r#" {{"wait_token":"w\u00e9","tenant_id":"{t}","input":null,"x":[1]}}"#),
            format!(r#"{{"tenant_id":"{t}","wait_token":"w","input":{{"text":null}}}}"#),
            format!(r#"{{"tenant_id":"{t}","wait_token":"w"}}"#),
        ];
        for b in &plain {
            let fast = plain_resume(b.as_bytes()).expect(b);
            let slow = resume_value(b.as_bytes()).unwrap_or_else(|_| panic!("{b}"));
            assert_eq!(shown(&fast), shown(&slow), "{b}");
        }
        // Each left to the value reading (accepted or refused there as before).
        let other = [
            format!(r#"["{t}","w"]"#),
            format!(r#"{{"tenant_id":"{t}","wait_token":"a","wait_token":"w"}}"#),
            r#"{"tenant_id":"nope","wait_token":"w"}"#.to_string(),
            format!(r#"{{"tenant_id":"{t}","wait_token":""}}"#),
            format!(
                r#"{{"tenant_id":"{t}","wait_token":"{}"}}"#,
                "w".repeat(257)
            ),
            format!(r#"{{"tenant_id":"{t}","wait_token":"w","input":["x"]}}"#),
            format!(r#"{{"tenant_id":"{t}","wait_token":"w","input":{{"text":1}}}}"#),
            format!(r#"{{"tenant_id":"{t}","wait_token":7}}"#),
        ];
        for b in &other {
            assert!(plain_resume(b.as_bytes()).is_none(), "{b}");
        }
        let dup = resume(other[1].as_bytes()).unwrap_or_else(|_| panic!("the last key wins"));
        assert_eq!(dup.wait_token, "w");
        assert!(resume(other[0].as_bytes()).is_err());
    }

    #[test]
    fn variables_follow_the_seed_rules() {
        let check = |v: Value| {
            variables(
                &json!({"variables": v})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            )
        };
        assert!(
            check(json!({"cart_total": 129, "tags": ["a", ["b", [["c"]]]], "x": null})).is_ok()
        );
        let rule = |v: Value| {
            check(v)
                .err()
                .and_then(|e| e.details)
                .map(|d| d["rule"].clone())
        };
        assert_eq!(rule(json!({"Bad": 1})), Some(json!("key_pattern")));
        assert_eq!(rule(json!({"o": {"a": 1}})), Some(json!("value_type")));
        assert_eq!(
            rule(json!({"d": [[[[["deep"]]]]]})),
            Some(json!("max_depth"))
        );
        let many: Map<String, Value> = (0..51).map(|i| (format!("k{i}"), json!(i))).collect();
        assert_eq!(rule(Value::Object(many)), Some(json!("max_keys")));
        assert_eq!(
            rule(json!({"big": "x".repeat(5000)})),
            Some(json!("max_bytes"))
        );
    }
}
