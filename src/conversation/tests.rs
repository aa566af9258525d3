//! The core without any surface: a conversation started and resumed through typed calls (the
//! turn span it leaves in the logs is checked in tests/telemetry.rs, a process of its own:
//! tracing's callsite cache is process-wide, and other tests hitting the span first made it
//! flaky here).

use std::sync::Arc;

use serde_json::json;

use super::{Caller, ConversationConfig, Conversations, FlowChoice, ServiceError, StartOptions};
use crate::engine::{Engine, EngineConfig, Message, TextFormat, TurnStatus};
use crate::registry::Registry;
use crate::store::Stores;

fn bot() -> serde_json::Value {
    json!({
        "id": "core-bot", "publicId": "core", "version": "6",
        "events": [{"id": "ev", "type": "start", "outgoingEdgeId": "e0"}],
        "groups": [{"id": "g1", "title": "Ask", "blocks": [
            {"id": "t1", "type": "text", "content": {"richText": [{"type": "p", "children": [{"text": "Name?"}]}]}},
            {"id": "i1", "type": "text input", "options": {"variableId": "v1"}},
            {"id": "t2", "type": "text", "content": {"richText": [{"type": "p", "children": [{"text": "Hi {{Name}}"}]}]}}
        ]}],
        "edges": [{"id": "e0", "from": {"eventId": "ev"}, "to": {"groupId": "g1"}}],
        "variables": [{"id": "v1", "name": "Name"}]
    })
}

async fn core() -> Conversations {
    let stores = Stores::memory();
    let registry = Arc::new(Registry::new(stores.flows.clone()));
    registry
        .publish(&bot(), None, None)
        .await
        .expect("the test bot publishes");
    Conversations {
        engine: Arc::new(Engine::new(registry.clone(), None, EngineConfig::default())),
        registry,
        stores,
        config: ConversationConfig::default(),
    }
}

#[tokio::test]
async fn a_conversation_starts_and_resumes_through_typed_calls_and_ends_finished() {
    let core = core().await;
    let caller = Caller::default();
    let start = core
        .start(
            FlowChoice::Published("core".into()),
            StartOptions::default(),
            &caller,
        )
        .await
        .expect("starts");
    assert_eq!(start.status(), TurnStatus::WaitingInput);
    assert!(start.result_id.is_some());
    assert_eq!(start.published_at.as_deref().map(str::len), Some(24));
    let sid = start.session_id.clone();
    let next = core
        .resume(
            &sid,
            Some(Message::text("Ada")),
            TextFormat::Markdown,
            &caller,
        )
        .await
        .expect("resumes");
    assert_eq!(next.status(), TurnStatus::Completed);
    assert_eq!(next.output.messages[0]["content"]["markdown"], "Hi Ada");
    let again = core.resume(&sid, None, TextFormat::Markdown, &caller).await;
    assert_eq!(again.err(), Some(ServiceError::Finished));
    let unknown = core
        .start(
            FlowChoice::Published("nope".into()),
            StartOptions::default(),
            &caller,
        )
        .await;
    assert_eq!(unknown.err(), Some(ServiceError::FlowNotFound));
}
