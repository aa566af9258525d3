//! Transcripts: with every live turn, whichever surface ran it, the user's reply and the
//! bot's messages are appended to the session's transcript with their time, and its status
//! recorded (bounded per session, kept as long as results). The turn's save writes them (in
//! the same round trip as the session on a single Redis). A failure is logged: the turn
//! itself happened.

use serde::Serialize;
use serde_json::Value;

use super::Conversations;
use super::start::now;
use crate::engine::{Message, TurnOutput};
use crate::store::{TranscriptAppend, TranscriptMeta};

/// Most entries kept per session (the oldest go first).
pub const MAX_TRANSCRIPT_ENTRIES: usize = 500;

/// The text a reply shows in a transcript.
pub(super) fn reply_text(m: &Message) -> String {
    match m {
        Message::Text { text, .. } => text.clone(),
        Message::Audio { url } => url.clone(),
        Message::Command { command } => command.clone(),
    }
}

/// One transcript entry as stored: `{"role": "user", "text", "at"}` or
/// `{"role": "bot", "message", "at"}`. The time comes last: everything before it is the same
/// in every session that got this message, which the memory store keeps once.
#[derive(Serialize)]
#[serde(tag = "role", rename_all = "lowercase")]
enum Entry<'a> {
    User { text: &'a str, at: &'a str },
    Bot { message: &'a Value, at: &'a str },
}

/// A turn's transcript entries (the reply that started it, if any, then the bot's messages)
/// and its status, as stored.
pub(super) fn turn_entries(reply: Option<&str>, out: &TurnOutput) -> (Vec<String>, TranscriptMeta) {
    let at = now();
    let mut entries = Vec::with_capacity(out.messages.len() + 1);
    // Serialized from borrowed fields: a `json!` entry would deep-copy every message first
    // (measured: most of a turn's transcript cost).
    if let Some(text) = reply
        && let Ok(s) = serde_json::to_string(&Entry::User { text, at: &at })
    {
        entries.push(s);
    }
    for message in &out.messages {
        if let Ok(s) = serde_json::to_string(&Entry::Bot { message, at: &at }) {
            entries.push(s);
        }
    }
    let meta = TranscriptMeta {
        status: out.status.execution_status().to_string(),
        updated_at: at,
    };
    (entries, meta)
}

impl Conversations {
    /// A turn's transcript entries (the reply that started it, if any, then the bot's
    /// messages), written by the turn's save.
    pub(super) fn transcript_of(&self, reply: Option<&str>, out: &TurnOutput) -> TranscriptAppend {
        let (entries, meta) = turn_entries(reply, out);
        TranscriptAppend {
            entries,
            meta,
            max_entries: MAX_TRANSCRIPT_ENTRIES,
            retention_secs: self.config.results_retention_secs,
        }
    }

    /// Appends a turn's transcript on its own (a turn whose save could not carry it).
    pub(super) async fn record_transcript(&self, session_id: &str, append: &TranscriptAppend) {
        if let Err(e) = self
            .stores
            .transcripts
            .transcript_append(session_id, append)
            .await
        {
            tracing::warn!(error = %e, session = session_id, "could not record the transcript");
        }
    }
}
