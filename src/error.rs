//! `ApiError`: the only HTTP-aware error. Every failure leaves the server as one JSON shape,
//! `{"code", "message", "status", "defined": false, "details"?}`, with a stable snake_case
//! `code` and the right status. (`defined` and the messages keep Typebot's error shape so
//! existing players show the same texts.) Domain errors are converted here, exhaustively.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Value, json};

use crate::engine::EngineError;
use crate::session::StoreError;

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: None,
        }
    }
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "invalid_request", message)
    }
    pub fn flow_not_found() -> Self {
        Self::new(404, "flow_not_found", "Typebot not found")
    }
    pub fn session_not_found() -> Self {
        Self::new(404, "session_not_found", "Session not found.")
    }
    pub fn session_finished() -> Self {
        Self::new(
            404,
            "session_finished",
            "This conversation has ended. Start a new session to chat again.",
        )
    }
    pub fn session_expired() -> Self {
        Self::new(
            404,
            "session_expired",
            "Session expired. You need to start a new session.",
        )
    }
    pub fn origin_not_allowed() -> Self {
        Self::new(403, "origin_not_allowed", "Origin not allowed")
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(401, "unauthorized", message)
    }
    pub fn idempotency_conflict() -> Self {
        Self::new(
            409,
            "idempotency_conflict",
            "This Idempotency-Key was already used with a different request body.",
        )
    }
    pub fn request_in_progress() -> Self {
        Self::new(
            409,
            "request_in_progress",
            "A request with this Idempotency-Key is still being processed. Retry shortly to get its response.",
        )
    }
    pub fn route_not_found() -> Self {
        Self::new(404, "route_not_found", "Not found")
    }
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            413,
            "payload_too_large",
            format!("The request body is larger than {limit} bytes."),
        )
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "internal_error", message)
    }

    pub fn body(&self) -> Value {
        let mut v = json!({"code": self.code, "message": self.message, "status": self.status, "defined": false});
        if let (Some(d), Some(obj)) = (&self.details, v.as_object_mut()) {
            obj.insert("details".into(), d.clone());
        }
        v
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).json(self.body())
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        let msg = e.to_string();
        match e {
            EngineError::FlowGone => ApiError::new(
                404,
                "flow_unavailable",
                "The bot this session runs on is no longer available.",
            ),
            EngineError::StartGroupMissing => ApiError::new(400, "start_group_not_found", msg),
            EngineError::StartEventMissing => ApiError::new(400, "start_event_not_found", msg),
            EngineError::CommandNotFound => ApiError::new(400, "command_not_found", msg),
            EngineError::InvalidClientResponse => {
                ApiError::new(400, "invalid_client_response", msg)
            }
            EngineError::MissingCredentials => ApiError::new(400, "missing_credentials", msg),
            EngineError::CredentialsNotFound => ApiError::new(404, "credentials_not_found", msg),
            EngineError::Finished => ApiError::session_finished(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Busy => ApiError::new(
                409,
                "session_busy",
                "Another request is being processed for this session. Retry when it has completed.",
            ),
            StoreError::Unavailable(detail) => {
                tracing::warn!(%detail, "session store unavailable");
                ApiError::new(
                    503,
                    "store_unavailable",
                    "The session store is unavailable. Retry shortly.",
                )
            }
            StoreError::Other(detail) => {
                tracing::error!(%detail, "session store error");
                ApiError::internal("Unexpected session store error.")
            }
        }
    }
}
