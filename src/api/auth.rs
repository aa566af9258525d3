//! Bearer-token check for the authenticated routes, compared in constant time.

use actix_web::HttpRequest;
use subtle::ConstantTimeEq;

use super::error::ApiError;

/// Ok when the request carries `Authorization: Bearer <token>` matching the configured token.
pub fn require_token(req: &HttpRequest, configured: Option<&str>) -> Result<(), ApiError> {
    require_bearer(
        req,
        configured,
        "This route needs an API token, and none is configured: set TESSERA_API_TOKEN (or api_token in the config file) and send it as \"Authorization: Bearer <token>\".",
    )
}

/// Ok when the request carries the engine API token (`TESSERA_ENGINE_API_TOKEN`).
pub fn require_engine_token(req: &HttpRequest, configured: Option<&str>) -> Result<(), ApiError> {
    require_bearer(
        req,
        configured,
        "The engine API needs its own token, and none is configured: set TESSERA_ENGINE_API_TOKEN (or engine_api_token in the config file) and send it as \"Authorization: Bearer <token>\".",
    )
}

/// Ok when the request carries `configured` as its bearer token; `unset` is the message
/// while no token is configured.
pub fn require_bearer(
    req: &HttpRequest,
    configured: Option<&str>,
    unset: &str,
) -> Result<(), ApiError> {
    let Some(expected) = configured.filter(|t| !t.is_empty()) else {
        return Err(ApiError::unauthorized(unset));
    };
    let given = bearer(req).unwrap_or_default();
    // Constant-time comparison: only the length can leak, never the content.
    if !given.is_empty() && bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(ApiError::unauthorized("Invalid or missing bearer token."))
    }
}

/// The token of the request's `Authorization: Bearer …` header, if any.
pub(crate) fn bearer(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn tokens_must_match_exactly() {
        let ok = TestRequest::default()
            .insert_header(("authorization", "Bearer s3cret"))
            .to_http_request();
        assert!(require_token(&ok, Some("s3cret")).is_ok());
        let bad = TestRequest::default()
            .insert_header(("authorization", "Bearer s3cre"))
            .to_http_request();
        assert!(require_token(&bad, Some("s3cret")).is_err());
        let none = TestRequest::default().to_http_request();
        assert_eq!(
            require_token(&none, Some("s3cret")).map_err(|e| e.status()),
            Err(401)
        );
        assert_eq!(
            require_token(&ok, None).map_err(|e| e.code.as_str()),
            Err("unauthorized")
        );
    }
}
