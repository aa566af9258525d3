//! The serde model of a Typebot-compatible export: what authors and other tools write.
//!
//! Lenient on purpose: unknown fields are ignored, missing collections default to empty,
//! `options`/`content`/`items` stay as JSON until [`crate::flow::compile`] types them per
//! block type. Versions 3, 4, 5 (start block in the first group) and 6, 6.1 (start event)
//! share this model. Nothing here executes anything.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// A bot as exported by Typebot (or written by hand).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowDef {
    /// Schema version ("3" … "6.1"); missing or null means "3".
    #[serde(default, deserialize_with = "version_string")]
    pub version: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub id: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    #[serde(default)]
    pub public_id: Option<String>,
    /// V6: `events[0]` is the start event. V5 exports carry `null` or nothing.
    #[serde(default, deserialize_with = "null_as_default")]
    pub events: Vec<EventDef>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub groups: Vec<GroupDef>,
    /// Kept as JSON: edges that do not match the edge shape are dropped at compile time,
    /// like Typebot's pre-v5 normalisation, instead of failing the whole parse.
    #[serde(default, deserialize_with = "null_as_default")]
    pub edges: Vec<Value>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub variables: Vec<VariableDef>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub theme: Value,
    #[serde(default, deserialize_with = "null_as_default")]
    pub settings: Value,
    #[serde(default)]
    pub updated_at: Option<String>,
    /// A closed bot answers startChat with its "bot closed" message.
    #[serde(default)]
    pub is_closed: Option<bool>,
    /// An archived bot is not served.
    #[serde(default)]
    pub is_archived: Option<bool>,
}

impl FlowDef {
    /// The numeric version used for V5/V6 behaviour switches.
    pub fn is_v6(&self) -> bool {
        self.version
            .as_deref()
            .and_then(|v| v.parse::<f64>().ok())
            .is_some_and(|v| v >= 6.0)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupDef {
    pub id: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub title: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub blocks: Vec<BlockDef>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockDef {
    pub id: String,
    #[serde(rename = "type")]
    pub block_type: String,
    #[serde(default)]
    pub outgoing_edge_id: Option<String>,
    #[serde(default)]
    pub options: Option<Value>,
    #[serde(default)]
    pub content: Option<Value>,
    #[serde(default)]
    pub items: Option<Vec<Value>>,
    /// V3 HTTP blocks pointed to a separate webhook row instead of inlining it.
    #[serde(default)]
    pub webhook_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventDef {
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    #[serde(default)]
    pub outgoing_edge_id: Option<String>,
    #[serde(default)]
    pub options: Option<Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EdgeDef {
    pub id: String,
    #[serde(default)]
    pub from: Value,
    pub to: EdgeTo,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EdgeTo {
    pub group_id: String,
    #[serde(default)]
    pub block_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VariableDef {
    pub id: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    #[serde(default)]
    pub is_session_variable: Option<bool>,
    /// A default value set in the builder: a string, a list, or null.
    #[serde(default)]
    pub value: Option<Value>,
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Accepts `"6.1"`, `6.1`, `6` or null for the version field.
fn version_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// Parses a flow export from JSON text, with a message naming the failing field on error.
pub fn parse_flow(text: &str) -> Result<FlowDef, serde_json::Error> {
    serde_json::from_str(text)
}
