//! The route table: every route's method, path pattern and handler, and which handlers are
//! server-to-server (called by a backend with a token, exempt from the per-IP rate).

/// Which handler a route runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handler {
    ContinueChat,
    StartTypebot,
    StartMozbot,
    PreviewStart,
    ClientLogs,
    ListFlows,
    PublishFlow,
    GetFlow,
    UnpublishFlow,
    Results,
    ResultsCsv,
    Health,
    Ready,
    OpenApi,
    StreamMessage,
    PutCredentials,
    GetCredentials,
    DeleteCredentials,
    WebIndex,
    EmbedJs,
    WebAsset,
    BotPage,
    EngineTrigger,
    EngineResume,
    EngineExecution,
    EngineAbort,
    EngineConversation,
    ListWorkflows,
    TriggerWorkflow,
    StartWorkflow,
    WorkflowRuns,
    CreateTrigger,
    ListTriggers,
    GetTrigger,
    DeleteTrigger,
    RotateTriggerSecret,
    TriggerEvent,
    TriggerEvents,
    TriggerSession,
    Metrics,
    GenerateUploadUrl,
    PutUpload,
    GetFile,
    ExecuteWebhook,
    WebhookSocket,
}

impl Handler {
    /// Routes a backend calls with a token or a trigger's secret (not a browser): exempt from
    /// the per-IP rate limit (`api::limits`).
    pub fn server_to_server(self) -> bool {
        use Handler as H;
        matches!(
            self,
            H::ListFlows
                | H::PublishFlow
                | H::GetFlow
                | H::UnpublishFlow
                | H::Results
                | H::ResultsCsv
                | H::PutCredentials
                | H::GetCredentials
                | H::DeleteCredentials
                | H::EngineTrigger
                | H::EngineResume
                | H::EngineExecution
                | H::EngineAbort
                | H::EngineConversation
                | H::ListWorkflows
                | H::TriggerWorkflow
                | H::WorkflowRuns
                | H::CreateTrigger
                | H::ListTriggers
                | H::GetTrigger
                | H::DeleteTrigger
                | H::RotateTriggerSecret
                | H::TriggerEvent
                | H::TriggerEvents
                | H::TriggerSession
                | H::Metrics
                | H::ExecuteWebhook
        )
    }
}

/// Every route: method, path pattern, handler. The hottest route comes first.
pub const ROUTES: &[(&str, &str, Handler)] = &[
    (
        "POST",
        "/api/v1/sessions/{sessionId}/continueChat",
        Handler::ContinueChat,
    ),
    (
        "POST",
        "/api/v1/typebots/{publicId}/startChat",
        Handler::StartTypebot,
    ),
    (
        "POST",
        "/api/v1/mozbots/{publicId}/startChat",
        Handler::StartMozbot,
    ),
    (
        "POST",
        "/api/v1/typebots/{id}/preview/startChat",
        Handler::PreviewStart,
    ),
    (
        "POST",
        "/api/v1/sessions/{sessionId}/clientLogs",
        Handler::ClientLogs,
    ),
    (
        "POST",
        "/api/v2/sessions/{sessionId}/clientLogs",
        Handler::ClientLogs,
    ),
    ("GET", "/api/v1/flows", Handler::ListFlows),
    ("PUT", "/api/v1/flows/{id}", Handler::PublishFlow),
    ("GET", "/api/v1/flows/{id}", Handler::GetFlow),
    ("DELETE", "/api/v1/flows/{id}", Handler::UnpublishFlow),
    ("GET", "/api/v1/flows/{id}/results", Handler::Results),
    ("GET", "/api/v1/flows/{id}/results.csv", Handler::ResultsCsv),
    ("GET", "/healthz", Handler::Health),
    ("GET", "/api/healthz", Handler::Health),
    ("GET", "/readyz", Handler::Ready),
    ("GET", "/openapi.yaml", Handler::OpenApi),
    (
        "POST",
        "/api/v2/sessions/{sessionId}/streamMessage",
        Handler::StreamMessage,
    ),
    ("PUT", "/api/v1/credentials/{id}", Handler::PutCredentials),
    ("GET", "/api/v1/credentials/{id}", Handler::GetCredentials),
    (
        "DELETE",
        "/api/v1/credentials/{id}",
        Handler::DeleteCredentials,
    ),
    (
        "POST",
        "/api/v1/engine/triggers/chat",
        Handler::EngineTrigger,
    ),
    (
        "POST",
        "/api/v1/engine/executions/{executionId}/resume",
        Handler::EngineResume,
    ),
    (
        "GET",
        "/api/v1/engine/executions/{executionId}",
        Handler::EngineExecution,
    ),
    (
        "POST",
        "/api/v1/engine/executions/{executionId}/abort",
        Handler::EngineAbort,
    ),
    (
        "GET",
        "/api/v1/engine/conversations/{conversationId}",
        Handler::EngineConversation,
    ),
    ("GET", "/api/workflows", Handler::ListWorkflows),
    (
        "POST",
        "/api/workflows/{name}/trigger",
        Handler::TriggerWorkflow,
    ),
    (
        "POST",
        "/api/workflows/{name}/start",
        Handler::StartWorkflow,
    ),
    ("GET", "/api/workflows/{name}/runs", Handler::WorkflowRuns),
    (
        "POST",
        "/api/v1/integration/trigger/{triggerId}/event",
        Handler::TriggerEvent,
    ),
    (
        "GET",
        "/api/v1/integration/trigger/{triggerId}/events",
        Handler::TriggerEvents,
    ),
    (
        "GET",
        "/api/v1/integration/trigger/{triggerId}/sessions/{session}",
        Handler::TriggerSession,
    ),
    (
        "POST",
        "/api/v1/integration/triggers",
        Handler::CreateTrigger,
    ),
    ("GET", "/api/v1/integration/triggers", Handler::ListTriggers),
    (
        "GET",
        "/api/v1/integration/triggers/{id}",
        Handler::GetTrigger,
    ),
    (
        "DELETE",
        "/api/v1/integration/triggers/{id}",
        Handler::DeleteTrigger,
    ),
    (
        "POST",
        "/api/v1/integration/triggers/{id}/secret",
        Handler::RotateTriggerSecret,
    ),
    ("GET", "/metrics", Handler::Metrics),
    (
        "POST",
        "/api/v3/generate-upload-url",
        Handler::GenerateUploadUrl,
    ),
    ("PUT", "/api/v3/uploads/{token}", Handler::PutUpload),
    (
        "POST",
        "/api/v1/typebots/{typebotId}/blocks/{blockId}/results/{resultId}/executeWebhook",
        Handler::ExecuteWebhook,
    ),
    (
        "GET",
        "/parties/main/{resultId}/webhooks",
        Handler::WebhookSocket,
    ),
    ("GET", "/api/v1/files/{fileId}/{fileName}", Handler::GetFile),
    // The web surface (api::web). `/{publicId}` is last: every route above wins over it.
    ("GET", "/", Handler::WebIndex),
    ("GET", "/embed.js", Handler::EmbedJs),
    ("GET", "/_tessera/{file}", Handler::WebAsset),
    ("GET", "/{publicId}", Handler::BotPage),
];
