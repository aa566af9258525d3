//! The execution envelope of the engine API, built from a turn: its bubbles and client-side
//! actions as typed blocks in order, the input waited on, and the pause's metadata.

use serde::{Deserialize, Serialize};
#[cfg(test)]
use serde_json::json;
use serde_json::{Map, Value};

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

#[cfg(test)]
/// The group a block of the root flow belongs to.
fn group_of(flow: &CompiledFlow, block_id: &str) -> Value {
    flow.block_index(block_id)
        .map(|ix| flow.group(flow.block(ix).group).id.clone())
        .map_or(Value::Null, Value::String)
}

#[cfg(test)]
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

#[cfg(test)]
/// A client-side action `{type, <type>: payload, lastBubbleBlockId?}` as a block.
fn action_block(flow: &CompiledFlow, a: &Value) -> Value {
    let kind = a["type"].as_str().unwrap_or_default();
    let after = a["lastBubbleBlockId"].as_str().unwrap_or_default();
    let payload = a.get(kind).cloned().unwrap_or_else(|| json!({}));
    json!({"type": kind, "id": after, "payload": payload,
           "meta": {"group_id": group_of(flow, after), "source": "client_side_action",
                    "expects_reply": a.get("expectsDedicatedReply").is_some()}})
}

/// A block of a turn: one of its bubbles or client-side actions.
#[derive(Clone, Copy)]
enum Item<'a> {
    Bubble(&'a Value),
    Action(&'a Value),
}

/// Bubbles and actions in the order they happened: an action follows the bubble it names
/// (`lastBubbleBlockId`); actions before any bubble come first.
fn order(out: &TurnOutput) -> Vec<Item<'_>> {
    let mut items = Vec::with_capacity(out.messages.len() + out.actions.len());
    let after = |a: &Value| a["lastBubbleBlockId"].as_str().map(str::to_string);
    let mut pending: Vec<&Value> = out.actions.iter().collect();
    pending.retain(|a| {
        let lead = after(a).is_none_or(|b| !out.messages.iter().any(|m| m["id"] == *b.as_str()));
        if lead {
            items.push(Item::Action(a));
        }
        !lead
    });
    for m in &out.messages {
        items.push(Item::Bubble(m));
        let id = m["id"].as_str().unwrap_or_default();
        for a in pending.iter().filter(|a| after(a).as_deref() == Some(id)) {
            items.push(Item::Action(a));
        }
        pending.retain(|a| after(a).as_deref() != Some(id));
    }
    items
}

#[cfg(test)]
/// Bubbles and actions as blocks, in the order they happened (see `order`): as values (the
/// tests' reference for [`encode`]).
pub fn blocks(flow: &CompiledFlow, out: &TurnOutput) -> Vec<Value> {
    let item = |i: Item<'_>| match i {
        Item::Bubble(m) => message_block(flow, m),
        Item::Action(a) => action_block(flow, a),
    };
    order(out).into_iter().map(item).collect()
}

#[cfg(test)]
/// The input waited on (the tests' reference for [`encode`]): its type, id, options and (choice inputs) items with their ids.
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

/// The JSON of the envelope `env` would be with the blocks, expected input and token usage of
/// the turn `out` (as [`blocks`], [`expected_input`] and [`token_usage`] make them), encoded
/// straight from the turn: no block is built as a value first.
pub fn encode(
    env: &Execution,
    flow: &CompiledFlow,
    out: &TurnOutput,
) -> serde_json::Result<String> {
    let view = EnvelopeView {
        execution_id: &env.execution_id,
        status: &env.status,
        blocks: BlocksView { flow, out },
        conversation_id: &env.conversation_id,
        expected_input: out.input.as_ref().map(ExpectedView),
        metadata: &env.metadata,
        token_usage: token_usage(out),
    };
    serde_json::to_string(&view)
}

/// [`Execution`] borrowed: the same names in the same order.
#[derive(Serialize)]
struct EnvelopeView<'a> {
    execution_id: &'a str,
    status: &'a str,
    blocks: BlocksView<'a>,
    conversation_id: &'a str,
    expected_input: Option<ExpectedView<'a>>,
    metadata: &'a Map<String, Value>,
    token_usage: Option<Value>,
}

struct BlocksView<'a> {
    flow: &'a CompiledFlow,
    out: &'a TurnOutput,
}

impl Serialize for BlocksView<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let flow = self.flow;
        s.collect_seq(order(self.out).into_iter().map(|i| BlockView::of(flow, i)))
    }
}

/// A block as [`message_block`] and [`action_block`] build it.
#[derive(Serialize)]
struct BlockView<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    id: &'a str,
    payload: Payload<'a>,
    meta: Meta<'a>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Payload<'a> {
    Text { text: &'a str },
    Value(&'a Value),
    Empty {},
}

#[derive(Serialize)]
struct Meta<'a> {
    group_id: Option<&'a str>,
    source: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    expects_reply: Option<bool>,
}

impl<'a> BlockView<'a> {
    fn of(flow: &'a CompiledFlow, item: Item<'a>) -> Self {
        let group = |id: &str| {
            flow.block_index(id)
                .map(|ix| flow.group(flow.block(ix).group).id.as_str())
        };
        match item {
            Item::Bubble(m) => {
                let id = m["id"].as_str().unwrap_or_default();
                let kind = m["type"].as_str().unwrap_or_default();
                let content = &m["content"];
                let payload = match kind {
                    "text" => Payload::Text {
                        text: content["markdown"].as_str().unwrap_or_default(),
                    },
                    _ => Payload::Value(content),
                };
                BlockView {
                    kind,
                    id,
                    payload,
                    meta: Meta {
                        group_id: group(id),
                        source: "bubble",
                        expects_reply: None,
                    },
                }
            }
            Item::Action(a) => {
                let kind = a["type"].as_str().unwrap_or_default();
                let after = a["lastBubbleBlockId"].as_str().unwrap_or_default();
                let payload = a.get(kind).map_or(Payload::Empty {}, Payload::Value);
                BlockView {
                    kind,
                    id: after,
                    payload,
                    meta: Meta {
                        group_id: group(after),
                        source: "client_side_action",
                        expects_reply: Some(a.get("expectsDedicatedReply").is_some()),
                    },
                }
            }
        }
    }
}

/// The input waited on as [`expected_input`] makes it.
struct ExpectedView<'a>(&'a Value);

impl Serialize for ExpectedView<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let input = self.0;
        let keys = ["type", "id", "options", "items"];
        s.collect_map(
            keys.into_iter()
                .filter_map(|k| input.get(k).map(|v| (k, v))),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::TokenUsage;

    /// A bubble of a block of the flow (`n4af...`), one of no block, client-side actions
    /// after each, before any, with and without a payload or a dedicated reply.
    fn turn(input: Option<Value>, usage: Option<TokenUsage>) -> TurnOutput {
        let msg = |id: &str, kind: &str, content: Value| json!({"id": id, "type": kind, "content": content});
        TurnOutput {
            messages: vec![
                msg(
                    "n4afgkdypn62nip1ckuhnfpi",
                    "text",
                    json!({"type": "richText", "richText": [], "markdown": "Hi \"you\""}),
                ),
                msg("nowhere", "image", json!({"url": "https://x/i.png"})),
                json!({"id": "bare"}),
            ],
            input,
            actions: vec![
                json!({"type": "wait", "wait": {"secondsToWaitFor": 2}, "lastBubbleBlockId": "nowhere"}),
                json!({"type": "redirect", "redirect": {"url": "https://x"}}),
                json!({"type": "setVariable", "expectsDedicatedReply": true, "lastBubbleBlockId": "n4afgkdypn62nip1ckuhnfpi"}),
                json!({"type": "script", "script": {"content": "1"}, "lastBubbleBlockId": "gone"}),
            ],
            logs: Vec::new(),
            last_message_new_format: None,
            status: TurnStatus::WaitingInput,
            walked: true,
            answers: Vec::new(),
            answer_results: Vec::new(),
            last_bubble: None,
            steps: 3,
            initial_vars: None,
            progress: None,
            dynamic_theme: None,
            token_usage: usage,
        }
    }

    #[test]
    fn an_envelope_encoded_from_its_turn_is_the_envelope_built_from_it() {
        let flow = crate::flow::load_str(include_str!("../../../flows/lead-capture.json")).unwrap();
        let input = json!({"type": "choice input", "id": "i1", "extra": 1,
                           "items": [{"id": "a", "content": "A"}], "options": {"isMultipleChoice": false}});
        let usage = TokenUsage {
            prompt_tokens: 1,
            completion_tokens: 2,
            total_tokens: 3,
            model: Some("m".into()),
            cost_micros: None,
            cost_usd: None,
        };
        for out in [turn(Some(input), Some(usage)), turn(None, None)] {
            let mut env = Execution {
                execution_id: "e-1".into(),
                status: "waiting_input".into(),
                blocks: Vec::new(),
                conversation_id: "c-1".into(),
                expected_input: None,
                metadata: json!({"wait_token": "t"}).as_object().cloned().unwrap(),
                token_usage: None,
            };
            let encoded = encode(&env, &flow, &out).unwrap();
            env.blocks = blocks(&flow, &out);
            env.expected_input = expected_input(&out);
            env.token_usage = token_usage(&out);
            assert_eq!(encoded, serde_json::to_string(&env).unwrap());
            assert_eq!(env.blocks.len(), 7);
            assert!(
                env.blocks[2]["meta"]["group_id"].is_string(),
                "{:?}",
                env.blocks
            );
        }
    }
}
