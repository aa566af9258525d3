//! The optional identity check of user ids sent by browsers. A page can claim any user id, so
//! when the server has an `identity_secret`, a startChat that prefills `user_id` or `userId`
//! must carry `X-Tessera-User-Hash`: the hex HMAC-SHA256 of that user id under the secret,
//! computed by the host site's backend (which knows who is logged in). A missing or wrong hash
//! answers 403 `identity_mismatch`; without a secret nothing is checked. The player's start of
//! a workflow run (`POST /api/workflows/{name}/start`) checks its `userId` the same way.

use actix_web::HttpRequest;
use ring::hmac;
use serde_json::{Map, Value};

use super::error::{ApiError, ErrorCode};
use crate::conversation::workflows::USER_VARIABLES;

/// The header carrying the user id's HMAC.
pub const HEADER: &str = "x-tessera-user-hash";

/// The hex HMAC-SHA256 of `user_id` under `secret` (what the host site's backend computes).
pub fn user_hash(secret: &str, user_id: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    hmac::sign(&key, user_id.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

/// The configured secret, if any (an empty one is none).
fn secret_of(secret: Option<&str>) -> Option<&str> {
    secret.filter(|s| !s.is_empty())
}

/// Whether `given` (the header, hex-decoded) is the HMAC of `user_id` under `secret`.
fn verified(req: &HttpRequest, secret: &str, user_id: &str) -> bool {
    let given = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| decode_hex(v.trim()));
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    // Constant time: ring's verify compares the tags without early exit.
    given
        .as_deref()
        .is_some_and(|tag| hmac::verify(&key, user_id.as_bytes(), tag).is_ok())
}

fn mismatch(what: &str) -> ApiError {
    ApiError::new(
        ErrorCode::IdentityMismatch,
        format!(
            "The user id in {what} is not verified: send {HEADER} with the HMAC-SHA256 of the user id under the server's identity secret."
        ),
    )
}

/// Ok unless a secret is configured and a prefilled user id lacks its valid hash.
pub fn check(
    req: &HttpRequest,
    secret: Option<&str>,
    prefilled: &Map<String, Value>,
) -> Result<(), ApiError> {
    let Some(secret) = secret_of(secret) else {
        return Ok(());
    };
    for name in USER_VARIABLES {
        let Some(value) = prefilled.get(*name) else {
            continue;
        };
        let id = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if !verified(req, secret, &id) {
            return Err(mismatch(name));
        }
    }
    Ok(())
}

/// Ok unless a secret is configured and `user_id` (a request's own user field, `what`) lacks
/// its valid hash.
pub fn check_user(
    req: &HttpRequest,
    secret: Option<&str>,
    user_id: &str,
    what: &str,
) -> Result<(), ApiError> {
    match secret_of(secret) {
        Some(secret) if !verified(req, secret, user_id) => Err(mismatch(what)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;
    use serde_json::json;

    fn prefilled(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn a_user_id_needs_its_hmac_when_a_secret_is_set() {
        let good = user_hash("s3cret", "user_123");
        assert_eq!(good.len(), 64);
        let vars = prefilled(json!({"user_id": "user_123", "order_id": "1"}));
        let req = TestRequest::default()
            .insert_header((HEADER, good.as_str()))
            .to_http_request();
        assert!(check(&req, Some("s3cret"), &vars).is_ok());
        let bare = TestRequest::default().to_http_request();
        assert!(check(&bare, None, &vars).is_ok(), "no secret, no check");
        assert!(check(&bare, Some("s3cret"), &prefilled(json!({"order_id": "1"}))).is_ok());
        let err = check(&bare, Some("s3cret"), &vars).err();
        assert_eq!(err.map(|e| e.code), Some(ErrorCode::IdentityMismatch));
        let other = prefilled(json!({"userId": "user_124"}));
        assert!(
            check(&req, Some("s3cret"), &other).is_err(),
            "another user's hash"
        );
        let bad = TestRequest::default()
            .insert_header((HEADER, "zz"))
            .to_http_request();
        assert!(check(&bad, Some("s3cret"), &vars).is_err());
        assert!(check_user(&req, Some("s3cret"), "user_123", "userId").is_ok());
        assert!(check_user(&req, Some("s3cret"), "user_124", "userId").is_err());
        assert!(check_user(&bare, Some("s3cret"), "user_123", "userId").is_err());
        assert!(check_user(&bare, None, "user_123", "userId").is_ok());
    }
}
