//! The core without any surface: a conversation started and resumed through typed calls, and
//! the turn span it leaves in the logs.

use std::io::Write;
use std::sync::{Arc, Mutex};

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

/// Collects what the subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut g) = self.0.lock() {
            g.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
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

#[tokio::test]
async fn every_turn_runs_in_a_span_with_flow_session_revision_and_blocks() {
    let core = core().await;
    let out = Captured::default();
    let writer = out.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // Other tests may have hit the span's callsite first, on threads without a subscriber:
    // its cached interest is computed again now that this thread has one.
    tracing::callsite::rebuild_interest_cache();
    let start = core
        .start(
            FlowChoice::Published("core".into()),
            StartOptions::default(),
            &Caller::default(),
        )
        .await
        .expect("starts");
    let logged =
        String::from_utf8(out.0.lock().map(|g| g.clone()).unwrap_or_default()).unwrap_or_default();
    let line = logged
        .lines()
        .find(|l| l.contains("turn{"))
        .unwrap_or_else(|| panic!("no turn span in {logged:?}"));
    assert!(line.contains("flow_id=core-bot"), "{line}");
    assert!(
        line.contains(&format!("session_id={}", start.session_id)),
        "{line}"
    );
    assert!(
        line.contains(&format!("revision={}", start.flow.revision)),
        "{line}"
    );
    assert!(line.contains("blocks=2"), "{line}");
}
