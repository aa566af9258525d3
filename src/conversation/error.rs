//! [`ServiceError`]: why the conversation core refused or could not run a call. Surfaces map it
//! to their wire (the HTTP APIs in `api::error`, the terminal client to a message).

use crate::engine::EngineError;
use crate::flow::Issue;
use crate::store::StoreError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ServiceError {
    /// The call's input is not acceptable (the message says which part and why).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// No published bot answers to this id.
    #[error("bot not found")]
    FlowNotFound,
    /// An inline (preview) bot has errors.
    #[error("the bot has errors")]
    FlowInvalid(Vec<Issue>),
    /// No session with this id (never existed, or forgotten).
    #[error("session not found")]
    SessionMissing,
    /// The session's conversation has ended.
    #[error("the conversation has ended")]
    Finished,
    /// The session expired from inactivity.
    #[error("the session expired")]
    Expired,
    /// Another turn of this session is running.
    #[error("the session is busy with another request")]
    Busy,
    /// The bot is closed to new conversations (its closed message).
    #[error("{0}")]
    BotClosed(String),
    /// The caller's origin is not among the bot's allowed origins.
    #[error("origin not allowed")]
    OriginNotAllowed,
    /// The session has no result to write to.
    #[error("result not found")]
    ResultMissing,
    /// An idempotency key reused with another request.
    #[error("idempotency key reused with another request")]
    IdempotencyConflict,
    /// An idempotency key whose first request still runs.
    #[error("a request with this idempotency key is still running")]
    RequestInProgress,
    /// Engine API: no published flow of this tenant answers to this intent.
    #[error("intent not found")]
    IntentNotFound,
    /// Engine API: no conversation with this id in this tenant.
    #[error("conversation not found")]
    ConversationNotFound,
    /// Engine API: no execution with this id in this tenant.
    #[error("execution not found")]
    ExecutionNotFound,
    /// Engine API: the wait token is not the current pause's (stale, reused or foreign).
    #[error("stale wait token")]
    StaleWaitToken,
    /// Engine API: the execution has ended.
    #[error("the execution has finished")]
    ExecutionFinished,
    /// Workflow API: no published workflow with this name.
    #[error("workflow not found")]
    WorkflowNotFound,
    /// Triggers: no trigger with this id.
    #[error("trigger not found")]
    TriggerNotFound,
    /// Triggers: the event's secret is missing or wrong.
    #[error("invalid or missing trigger secret")]
    TriggerSecret,
    /// Triggers: a trigger declared in the config file cannot be changed through the API.
    #[error("this trigger is declared in the config file")]
    TriggerReadOnly,
    /// Triggers: the queue of waiting events is full.
    #[error("the event queue is full")]
    QueueFull,
    /// The session does not wait on a file input (or a text input taking attachments).
    #[error("the current block does not expect a file upload")]
    NoUploadExpected,
    /// The bot has no "wait for webhook" block with this id.
    #[error("webhook block not found")]
    WebhookBlockNotFound,
    /// The turn could not run.
    #[error(transparent)]
    Engine(EngineError),
    /// A streamed AI answer could not be opened.
    #[error(transparent)]
    Stream(crate::engine::StreamError),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
    /// Something that should not happen (a stored session that cannot be read...).
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Busy => ServiceError::Busy,
            other => ServiceError::Store(other),
        }
    }
}

impl From<EngineError> for ServiceError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Finished => ServiceError::Finished,
            other => ServiceError::Engine(other),
        }
    }
}
