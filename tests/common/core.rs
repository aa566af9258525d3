//! The conversation core on its own (no surface): in-memory stores, a registry with one small
//! bot (`core`: a name question, then a greeting), the engine with default limits.

use std::sync::Arc;

use serde_json::json;
use tessera::conversation::{ConversationConfig, Conversations};
use tessera::engine::{Engine, EngineConfig};
use tessera::registry::Registry;
use tessera::store::Stores;

pub fn bot() -> serde_json::Value {
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

pub async fn core() -> Conversations {
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
        claims: Default::default(),
    }
}
