//! `ApiError`: the only HTTP-aware error. Every failure leaves the server as one JSON shape,
//! `{"code", "message", "status", "defined": false, "details"?}`, with a stable snake_case
//! `code` and the right status. (`defined` and the messages keep Typebot's error shape so
//! existing players show the same texts.)
//!
//! [`ErrorCode`] lists every code the server can send, once, with its status; the OpenAPI
//! drift test iterates [`ErrorCode::ALL`]. Errors of the layers below ([`ServiceError`],
//! [`StoreError`], [`EngineError`]) are converted here, exhaustively, and nowhere else.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Value, json};

use crate::conversation::ServiceError;
use crate::credentials::CredentialError;
use crate::engine::{EngineError, StreamError};
use crate::store::StoreError;

macro_rules! error_codes {
    ($($variant:ident = ($status:literal, $code:literal),)*) => {
        /// Every stable error code, with the HTTP status it is sent with.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($variant,)*
        }

        impl ErrorCode {
            /// Every code, for documentation checks.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as sent (`snake_case`).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }

            /// The HTTP status this code is always sent with.
            pub const fn status(self) -> u16 {
                match self {
                    $(ErrorCode::$variant => $status,)*
                }
            }
        }
    };
}

error_codes! {
    InvalidRequest = (400, "invalid_request"),
    FlowMalformed = (400, "flow_malformed"),
    BotClosed = (400, "bot_closed"),
    StartGroupNotFound = (400, "start_group_not_found"),
    StartEventNotFound = (400, "start_event_not_found"),
    CommandNotFound = (400, "command_not_found"),
    InvalidClientResponse = (400, "invalid_client_response"),
    UploadNotExpected = (400, "upload_not_expected"),
    FileTypeNotAllowed = (400, "file_type_not_allowed"),
    MissingCredentials = (400, "missing_credentials"),
    Unauthorized = (401, "unauthorized"),
    OriginNotAllowed = (403, "origin_not_allowed"),
    IdentityMismatch = (403, "identity_mismatch"),
    FlowNotFound = (404, "flow_not_found"),
    FlowUnavailable = (404, "flow_unavailable"),
    SessionNotFound = (404, "session_not_found"),
    SessionFinished = (404, "session_finished"),
    SessionExpired = (404, "session_expired"),
    ResultNotFound = (404, "result_not_found"),
    CredentialsNotFound = (404, "credentials_not_found"),
    WebhookBlockNotFound = (404, "webhook_block_not_found"),
    FileNotFound = (404, "file_not_found"),
    UploadUrlInvalid = (403, "upload_url_invalid"),
    UploadUrlExpired = (403, "upload_url_expired"),
    UploadAlreadyDone = (409, "upload_already_done"),
    FileTooLarge = (413, "file_too_large"),
    UploadStorageError = (502, "upload_storage_error"),
    SessionNotStreaming = (409, "session_not_streaming"),
    CredentialsReadOnly = (409, "credentials_read_only"),
    CredentialsInvalid = (422, "credentials_invalid"),
    UpstreamError = (502, "upstream_error"),
    SecretKeyMissing = (503, "secret_key_missing"),
    RouteNotFound = (404, "route_not_found"),
    IntentNotFound = (404, "intent_not_found"),
    ConversationNotFound = (404, "conversation_not_found"),
    ExecutionNotFound = (404, "execution_not_found"),
    WorkflowNotFound = (404, "workflow_not_found"),
    TriggerNotFound = (404, "trigger_not_found"),
    TriggerReadOnly = (409, "trigger_read_only"),
    QueueFull = (429, "queue_full"),
    MethodNotAllowed = (405, "method_not_allowed"),
    SessionBusy = (409, "session_busy"),
    IdempotencyConflict = (409, "idempotency_conflict"),
    RequestInProgress = (409, "request_in_progress"),
    PublicIdTaken = (409, "public_id_taken"),
    StaleWaitToken = (409, "stale_wait_token"),
    ExecutionFinished = (409, "execution_finished"),
    RequestTimeout = (408, "request_timeout"),
    PayloadTooLarge = (413, "payload_too_large"),
    FlowInvalid = (422, "flow_invalid"),
    InvalidInput = (422, "invalid_input"),
    RateLimited = (429, "rate_limited"),
    InternalError = (500, "internal_error"),
    StoreUnavailable = (503, "store_unavailable"),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: None,
        }
    }
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }
    pub fn status(&self) -> u16 {
        self.code.status()
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, message)
    }
    pub fn flow_not_found() -> Self {
        Self::new(ErrorCode::FlowNotFound, "Typebot not found")
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, message)
    }
    pub fn route_not_found() -> Self {
        Self::new(ErrorCode::RouteNotFound, "Not found")
    }
    /// A route that exists, asked with a method it does not serve.
    pub fn method_not_allowed(allowed: &[&str]) -> Self {
        Self::new(
            ErrorCode::MethodNotAllowed,
            format!("This route answers {} only.", allowed.join(", ")),
        )
        .with_details(json!({ "allow": allowed }))
    }
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            ErrorCode::PayloadTooLarge,
            format!("The request body is larger than {limit} bytes."),
        )
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InternalError, message)
    }

    /// The JSON an error leaves as. Every error response is rendered through here once (a
    /// stored idempotent reply is replayed, not rendered again), so this is where it is
    /// counted (`tessera_http_errors_total`).
    pub fn body(&self) -> Value {
        super::metrics::count_error(self.code);
        let mut v = json!({"code": self.code.as_str(), "message": self.message, "status": self.status(), "defined": false});
        if let (Some(d), Some(obj)) = (&self.details, v.as_object_mut()) {
            obj.insert("details".into(), d.clone());
        }
        v
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status(),
            self.code.as_str(),
            self.message
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        if self.code == ErrorCode::MethodNotAllowed
            && let Some(allow) = self.details.as_ref().and_then(|d| d["allow"].as_array())
        {
            let allow: Vec<&str> = allow.iter().filter_map(Value::as_str).collect();
            res.insert_header(("allow", allow.join(", ")));
        }
        if self.code == ErrorCode::RateLimited
            && let Some(secs) = self.details.as_ref().and_then(|d| d["retryAfter"].as_u64())
        {
            res.insert_header(("retry-after", secs.to_string()));
        }
        if self.code == ErrorCode::QueueFull {
            res.insert_header(("retry-after", "1"));
        }
        res.json(self.body())
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        use ServiceError as S;
        match e {
            S::InvalidInput(m) => ApiError::bad_request(m),
            S::FlowNotFound => ApiError::flow_not_found(),
            S::FlowInvalid(issues) => ApiError::new(ErrorCode::FlowInvalid, "The bot has errors")
                .with_details(json!({ "issues": issues })),
            S::SessionMissing => ApiError::new(ErrorCode::SessionNotFound, "Session not found."),
            S::Finished => ApiError::new(
                ErrorCode::SessionFinished,
                "This conversation has ended. Start a new session to chat again.",
            ),
            S::Expired => ApiError::new(
                ErrorCode::SessionExpired,
                "Session expired. You need to start a new session.",
            ),
            S::Busy => ApiError::from(StoreError::Busy),
            S::BotClosed(message) => ApiError::new(ErrorCode::BotClosed, message),
            S::OriginNotAllowed => ApiError::new(ErrorCode::OriginNotAllowed, "Origin not allowed"),
            S::ResultMissing => ApiError::new(ErrorCode::ResultNotFound, "Result not found."),
            S::IdempotencyConflict => ApiError::new(
                ErrorCode::IdempotencyConflict,
                "This Idempotency-Key was already used with a different request body.",
            ),
            S::RequestInProgress => ApiError::new(
                ErrorCode::RequestInProgress,
                "A request with this Idempotency-Key is still being processed. Retry shortly to get its response.",
            ),
            S::IntentNotFound => ApiError::new(
                ErrorCode::IntentNotFound,
                "No published flow of this tenant has this intent name (publicId).",
            ),
            S::ConversationNotFound => ApiError::new(
                ErrorCode::ConversationNotFound,
                "No conversation with this id in this tenant.",
            ),
            S::ExecutionNotFound => ApiError::new(
                ErrorCode::ExecutionNotFound,
                "No execution with this id in this tenant.",
            ),
            S::StaleWaitToken => ApiError::new(
                ErrorCode::StaleWaitToken,
                "This wait token is not the current one of the execution (stale, already used or foreign): nothing was changed. GET the execution for its current state.",
            ),
            S::ExecutionFinished => ApiError::new(
                ErrorCode::ExecutionFinished,
                "This execution has finished: trigger a new one.",
            ),
            S::WorkflowNotFound => ApiError::new(
                ErrorCode::WorkflowNotFound,
                "No published workflow with this name.",
            ),
            S::TriggerNotFound => {
                ApiError::new(ErrorCode::TriggerNotFound, "No trigger with this id.")
            }
            S::TriggerSecret => ApiError::unauthorized(
                "Invalid or missing trigger secret: send it as \"Authorization: Bearer <secret>\".",
            ),
            S::TriggerReadOnly => ApiError::new(
                ErrorCode::TriggerReadOnly,
                "This trigger is declared in the config file: change it there.",
            ),
            S::QueueFull => ApiError::new(
                ErrorCode::QueueFull,
                "Too many events are waiting to be processed: nothing was accepted. Retry after the time in Retry-After.",
            ),
            S::NoUploadExpected => ApiError::new(
                ErrorCode::UploadNotExpected,
                "Current block does not expect file upload",
            ),
            S::WebhookBlockNotFound => {
                ApiError::new(ErrorCode::WebhookBlockNotFound, "Webhook block not found")
            }
            S::Engine(e) => ApiError::from(e),
            S::Stream(e) => ApiError::from(e),
            S::Store(e) => ApiError::from(e),
            S::Internal(m) => ApiError::internal(m),
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        let msg = e.to_string();
        let code = match e {
            EngineError::FlowGone => {
                return ApiError::new(
                    ErrorCode::FlowUnavailable,
                    "The bot this session runs on is no longer available.",
                );
            }
            EngineError::Finished => return ApiError::from(ServiceError::Finished),
            EngineError::FlowsUnavailable(detail) => {
                return ApiError::from(StoreError::Unavailable(detail));
            }
            EngineError::StartGroupMissing => ErrorCode::StartGroupNotFound,
            EngineError::StartEventMissing => ErrorCode::StartEventNotFound,
            EngineError::CommandNotFound => ErrorCode::CommandNotFound,
            EngineError::InvalidClientResponse => ErrorCode::InvalidClientResponse,
            EngineError::MissingCredentials => ErrorCode::MissingCredentials,
            EngineError::CredentialsNotFound => ErrorCode::CredentialsNotFound,
        };
        ApiError::new(code, msg)
    }
}

impl From<StreamError> for ApiError {
    fn from(e: StreamError) -> Self {
        match e {
            StreamError::NotStreaming => {
                ApiError::new(ErrorCode::SessionNotStreaming, e.to_string())
            }
            StreamError::Refused(m) => ApiError::new(ErrorCode::CredentialsNotFound, m),
            StreamError::Upstream(m) => {
                ApiError::new(ErrorCode::UpstreamError, "The AI provider failed.")
                    .with_details(json!({ "upstream": m }))
            }
            StreamError::Engine(e) => ApiError::from(e),
        }
    }
}

impl From<CredentialError> for ApiError {
    fn from(e: CredentialError) -> Self {
        let code = match &e {
            CredentialError::NoSecretKey => ErrorCode::SecretKeyMissing,
            CredentialError::Invalid(_) => ErrorCode::CredentialsInvalid,
            CredentialError::ReadOnly(_) => ErrorCode::CredentialsReadOnly,
            CredentialError::Store(s) => return ApiError::from(s.clone()),
            CredentialError::Seal(_) => ErrorCode::InternalError,
        };
        ApiError::new(code, e.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Busy => ApiError::new(
                ErrorCode::SessionBusy,
                "Another request is being processed for this session. Retry when it has completed.",
            ),
            StoreError::Unavailable(detail) => {
                tracing::warn!(%detail, "session store unavailable");
                ApiError::new(
                    ErrorCode::StoreUnavailable,
                    "The session store is unavailable. Retry shortly.",
                )
            }
            StoreError::Conflict(detail) | StoreError::Other(detail) => {
                tracing::error!(%detail, "session store error");
                ApiError::internal("Unexpected session store error.")
            }
        }
    }
}
