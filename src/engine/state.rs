//! The per-session state the engine reads and writes each turn.
//!
//! Small and independent of the flow's size: a reference to the flow revision, the position,
//! variables, answers, the sub-flow stack and a few flags. Never a copy of the graph (Typebot
//! stores the whole bot in every session). Serialized with short keys; optional parts are
//! omitted when empty.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::flow::VarValue;

/// The current state format; bump when the shape changes incompatibly.
pub const STATE_FORMAT: u8 = 1;

/// Which published revision of which flow a frame runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowRef {
    pub id: String,
    pub rev: String,
}

/// A position in a flow: a group, optionally from one of its blocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pos {
    pub g: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub b: Option<String>,
}

/// One recorded answer: the key is the variable name, else the group title (see engine docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub k: String,
    pub v: String,
}

/// One flow on the sub-flow stack. The last frame is the one running.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    pub flow: FlowRef,
    /// Variable id -> value, only for variables that have a value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vars: BTreeMap<String, VarValue>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<Answer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_id: Option<String>,
    /// Where to continue in the parent frame when this (linked) frame runs out of edges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<Pos>,
    /// Positions queued in this same flow (command events with "resume after").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queued: Vec<Pos>,
    /// Whether this linked frame merges its variables and answers into its parent.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub merge: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MarkStatus {
    Pending,
    Called,
}

/// Where a Return block goes back to (set by Jump and by reply/command events).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnMark {
    pub status: MarkStatus,
    pub block: String,
    /// The reply to re-apply automatically when the walk comes back to `block`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_with: Option<String>,
    /// The reply that triggered the event had no message (a skipped optional input): it is
    /// re-applied as no message, not as an empty text (which the input would refuse).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub resume_without_message: bool,
}

/// One line of the conversation, kept only for flows that build transcripts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TrailEntry {
    /// Bot text (markdown) or media url.
    #[serde(rename = "a")]
    Bot(String),
    #[serde(rename = "u")]
    User(String),
}

/// Everything the engine needs to continue a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionState {
    pub v: u8,
    pub frames: Vec<Frame>,
    /// The block the conversation waits on (an input or a waiting action), in the top frame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cur: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark: Option<ReturnMark>,
    /// Answers counted for the progress bar (present only when the bar is enabled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered: Option<u32>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stream: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub preview: bool,
    /// Unix seconds of the last turn.
    pub at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trail: Option<Vec<TrailEntry>>,
    /// Set once the flow has finished.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub done: bool,
}

impl SessionState {
    pub fn top(&self) -> &Frame {
        // The stack is never empty: the engine creates states with one frame and only pops
        // frames above the root.
        &self.frames[self.frames.len() - 1]
    }
    pub fn top_mut(&mut self) -> &mut Frame {
        let n = self.frames.len() - 1;
        &mut self.frames[n]
    }
    pub fn root(&self) -> &Frame {
        &self.frames[0]
    }
    pub fn result_id(&self) -> Option<&str> {
        self.root().result_id.as_deref()
    }
    /// Serialized size in bytes (what a store keeps).
    pub fn encoded_len(&self) -> usize {
        self.encode().map(|v| v.len()).unwrap_or(0)
    }

    /// The bytes a store keeps: JSON, deflate-compressed (after a marker byte) when it is larger
    /// than [`COMPRESS_ABOVE`]. Only conversations that accumulate text (transcripts, long
    /// answers) get there; ordinary sessions stay plain JSON and pay nothing.
    pub fn encode(&self) -> Result<Vec<u8>, serde_json::Error> {
        let json = serde_json::to_vec(self)?;
        if json.len() <= COMPRESS_ABOVE {
            return Ok(json);
        }
        let mut out = vec![DEFLATE_MARKER];
        out.extend(miniz_oxide::deflate::compress_to_vec(&json, 6));
        Ok(out)
    }

    /// Reads what [`SessionState::encode`] wrote. A state without a frame is refused (every
    /// accessor relies on the root frame).
    pub fn decode(bytes: &[u8]) -> Result<SessionState, String> {
        let state = Self::decode_any(bytes)?;
        if state.frames.is_empty() {
            return Err("session state has no frame".into());
        }
        Ok(state)
    }

    fn decode_any(bytes: &[u8]) -> Result<SessionState, String> {
        match bytes.first() {
            Some(&DEFLATE_MARKER) => {
                let json = miniz_oxide::inflate::decompress_to_vec_with_limit(
                    &bytes[1..],
                    MAX_STATE_BYTES,
                )
                .map_err(|e| format!("corrupt compressed state: {e:?}"))?;
                serde_json::from_slice(&json).map_err(|e| e.to_string())
            }
            _ => serde_json::from_slice(bytes).map_err(|e| e.to_string()),
        }
    }
}

/// States larger than this (in JSON bytes) are stored compressed.
pub const COMPRESS_ABOVE: usize = 1024;
/// First byte of a compressed state (JSON always starts with `{`).
const DEFLATE_MARKER: u8 = 0x01;
/// Upper bound of a decompressed state (defence against corrupt data).
const MAX_STATE_BYTES: usize = 16 * 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    fn state_with(text: &str) -> SessionState {
        SessionState {
            v: STATE_FORMAT,
            frames: vec![Frame {
                flow: FlowRef {
                    id: "f".into(),
                    rev: "r".into(),
                },
                vars: BTreeMap::from([("v".to_string(), VarValue::Str(text.to_string()))]),
                answers: Vec::new(),
                result_id: None,
                resume: None,
                queued: Vec::new(),
                merge: false,
            }],
            cur: Some("b".into()),
            mark: None,
            answered: None,
            stream: false,
            preview: false,
            at: 0,
            trail: None,
            done: false,
        }
    }

    #[test]
    fn small_states_are_plain_json_and_large_ones_compressed() {
        let small = state_with("hello");
        let bytes = small.encode().map_err(|e| e.to_string());
        assert_eq!(bytes.as_ref().map(|b| b[0]), Ok(b'{'));
        let big = state_with(&"Assistant: \"What's your top skin concern?\"\n\n".repeat(60));
        let bytes = big.encode().unwrap_or_default();
        assert_eq!(bytes[0], DEFLATE_MARKER);
        assert!(bytes.len() < 400, "compressed to {}", bytes.len());
        assert_eq!(SessionState::decode(&bytes), Ok(big));
        assert!(SessionState::decode(&[DEFLATE_MARKER, 1, 2, 3]).is_err());
        let mut empty = state_with("x");
        empty.frames.clear();
        let bytes = serde_json::to_vec(&empty).unwrap_or_default();
        assert!(SessionState::decode(&bytes).is_err());
    }
}
