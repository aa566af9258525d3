//! The execution envelope of the engine API, built from a turn: its bubbles and client-side
//! actions as typed blocks in order, the input waited on, and the pause's metadata.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::engine::{TurnOutput, TurnStatus};
use crate::flow::CompiledFlow;

/// What every engine call that touches an execution returns (snake_case keys, as the seed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Execution {
    pub execution_id: String,
    /// `waiting_input | waiting_time | completed | failed | aborted`.
    pub status: String,
    pub blocks: Vec<Value>,
    pub conversation_id: String,
    pub expected_input: Option<Value>,
    pub metadata: Map<String, Value>,
    pub token_usage: Option<Value>,
}

impl Execution {
    pub fn is_terminal(&self) -> bool {
        matches!(self.status.as_str(), "completed" | "failed" | "aborted")
    }
    pub fn wait_token(&self) -> Option<&str> {
        self.metadata.get("wait_token").and_then(Value::as_str)
    }
}

/// The group a block of the root flow belongs to.
fn group_of(flow: &CompiledFlow, block_id: &str) -> Value {
    flow.block_index(block_id)
        .map(|ix| flow.group(flow.block(ix).group).id.clone())
        .map_or(Value::Null, Value::String)
}

/// A Typebot message as a block: `text` with Markdown, media with their url, others as given.
fn message_block(flow: &CompiledFlow, m: &Value) -> Value {
    let id = m["id"].as_str().unwrap_or_default();
    let kind = m["type"].as_str().unwrap_or_default();
    let content = &m["content"];
    let payload = match kind {
        "text" => json!({"text": content["markdown"].as_str().unwrap_or_default()}),
        _ => content.clone(),
    };
    json!({"type": kind, "id": id, "payload": payload,
           "meta": {"group_id": group_of(flow, id), "source": "bubble"}})
}

/// A client-side action `{type, <type>: payload, lastBubbleBlockId?}` as a block.
fn action_block(flow: &CompiledFlow, a: &Value) -> Value {
    let kind = a["type"].as_str().unwrap_or_default();
    let after = a["lastBubbleBlockId"].as_str().unwrap_or_default();
    let payload = a.get(kind).cloned().unwrap_or_else(|| json!({}));
    json!({"type": kind, "id": after, "payload": payload,
           "meta": {"group_id": group_of(flow, after), "source": "client_side_action",
                    "expects_reply": a.get("expectsDedicatedReply").is_some()}})
}

/// Bubbles and actions in the order they happened: an action follows the bubble it names
/// (`lastBubbleBlockId`); actions before any bubble come first.
pub fn blocks(flow: &CompiledFlow, out: &TurnOutput) -> Vec<Value> {
    let mut blocks = Vec::with_capacity(out.messages.len() + out.actions.len());
    let after = |a: &Value| a["lastBubbleBlockId"].as_str().map(str::to_string);
    let mut pending: Vec<&Value> = out.actions.iter().collect();
    pending.retain(|a| {
        let lead = after(a).is_none_or(|b| !out.messages.iter().any(|m| m["id"] == *b.as_str()));
        if lead {
            blocks.push(action_block(flow, a));
        }
        !lead
    });
    for m in &out.messages {
        blocks.push(message_block(flow, m));
        let id = m["id"].as_str().unwrap_or_default();
        for a in pending.iter().filter(|a| after(a).as_deref() == Some(id)) {
            blocks.push(action_block(flow, a));
        }
        pending.retain(|a| after(a).as_deref() != Some(id));
    }
    blocks
}

/// The input waited on: its type, id, options and (choice inputs) items with their ids.
pub fn expected_input(out: &TurnOutput) -> Option<Value> {
    let input = out.input.as_ref()?;
    let mut o = Map::new();
    for key in ["type", "id", "options", "items"] {
        if let Some(v) = input.get(key) {
            o.insert(key.into(), v.clone());
        }
    }
    Some(Value::Object(o))
}

/// The tokens the turn's AI blocks used (the seed's fields), null when no AI call ran.
pub fn token_usage(out: &TurnOutput) -> Option<Value> {
    out.token_usage
        .as_ref()
        .and_then(|u| serde_json::to_value(u).ok())
}

/// Why a turn failed, from its error logs.
pub fn failure(out: &TurnOutput) -> String {
    out.logs
        .iter()
        .rev()
        .find(|l| l.status == Some("error"))
        .map(|l| l.description.clone())
        .unwrap_or_else(|| "the execution stopped".into())
}

/// Seconds a paused Wait block waits for (its `wait` action).
pub fn wait_seconds(out: &TurnOutput) -> f64 {
    out.actions
        .iter()
        .rev()
        .find(|a| a["type"] == "wait")
        .and_then(|a| a["wait"]["secondsToWaitFor"].as_f64())
        .unwrap_or(0.0)
}

/// The envelope status of a turn.
pub fn status(s: TurnStatus) -> &'static str {
    s.execution_status()
}
