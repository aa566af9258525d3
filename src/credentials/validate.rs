//! What each credential type's `data` may hold: OpenAI-compatible types and `anthropic` an
//! `apiKey` and an optional `baseUrl` (http or https; default the provider's), `smtp` a
//! host, an optional port, user name, password, TLS mode and a sender.

use serde_json::{Map, Value};

use crate::engine::ai_services::is_credential_type;

/// Checks a credential's type and data; the problem in words otherwise (never quoting a value).
pub fn check(kind: &str, data: &Map<String, Value>) -> Result<(), String> {
    if !is_credential_type(kind) {
        return Err(format!(
            "unknown credential type \"{kind}\" (openai, anthropic, mistral, groq, together, openrouter, deepseek, perplexity or smtp)"
        ));
    }
    let (allowed, required): (&[&str], &[&str]) = if kind == "smtp" {
        (
            &[
                "host",
                "port",
                "username",
                "password",
                "tls",
                "isTlsEnabled",
                "from",
            ],
            &["host", "from"],
        )
    } else {
        (&["apiKey", "baseUrl"], &["apiKey"])
    };
    if let Some(k) = data.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(format!(
            "data.{k} is not a field of {kind} credentials (fields: {})",
            allowed.join(", ")
        ));
    }
    for r in required {
        let present = match data.get(*r) {
            Some(Value::String(s)) => !s.trim().is_empty(),
            Some(Value::Object(o)) => !o.is_empty(),
            _ => false,
        };
        if !present {
            return Err(format!("data.{r} is required for {kind} credentials"));
        }
    }
    for (k, v) in data {
        let ok = match k.as_str() {
            "port" => v.as_u64().is_some_and(|p| (1..=65535).contains(&p)),
            "isTlsEnabled" => v.is_boolean(),
            "from" => v.is_string() || v.get("email").is_some_and(Value::is_string),
            "tls" => v.as_str().is_some_and(|t| {
                [
                    "starttls", "tls", "implicit", "ssl", "smtps", "none", "plain",
                ]
                .contains(&t.to_ascii_lowercase().as_str())
            }),
            _ => v.is_string(),
        };
        if !ok {
            return Err(format!("data.{k} has the wrong type or value"));
        }
    }
    if let Some(url) = data.get("baseUrl").and_then(Value::as_str) {
        let lower = url.trim().to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://")) {
            return Err("data.baseUrl must be an http or https URL".into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn data(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn data_is_checked_per_type() {
        assert!(check("openai", &data(json!({"apiKey": "sk"}))).is_ok());
        assert!(
            check(
                "groq",
                &data(json!({"apiKey": "k", "baseUrl": "https://x/v1"}))
            )
            .is_ok()
        );
        assert!(check("openai", &data(json!({}))).is_err());
        assert!(
            check(
                "openai",
                &data(json!({"apiKey": "k", "baseUrl": "file:///etc"}))
            )
            .is_err()
        );
        assert!(check("openai", &data(json!({"apiKey": "k", "other": 1}))).is_err());
        assert!(check("nope", &data(json!({"apiKey": "k"}))).is_err());
        let smtp =
            json!({"host": "smtp.x", "port": 587, "from": {"email": "a@x"}, "tls": "starttls"});
        assert!(check("smtp", &data(smtp)).is_ok());
        assert!(
            check(
                "smtp",
                &data(json!({"host": "h", "from": "a@x", "tls": "maybe"}))
            )
            .is_err()
        );
        let err = check("openai", &data(json!({"apiKey": 5})))
            .err()
            .unwrap_or_default();
        assert!(!err.contains('5'));
    }
}
