//! Transcripts: what was said in a session, in order (bot messages and user replies with their
//! times), bounded per session and kept as long as results, with the session's latest status.
//! Entries are opaque JSON here; the conversation core writes them after every turn.

use serde::{Deserialize, Serialize};

use super::{BoxFuture, StoreError};

/// A session's transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    /// The entries, oldest first (each a JSON document).
    pub entries: Vec<String>,
    /// The session's status after its latest turn.
    pub status: String,
    /// When the latest turn was recorded (RFC 3339).
    pub updated_at: String,
}

/// The status and time of a transcript's latest turn, as stored beside its entries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TranscriptMeta {
    pub status: String,
    pub updated_at: String,
}

/// One turn's addition to a session's transcript: written by the turn's save where the
/// backend can (`SessionStore::save_turn`), else on its own ([`TranscriptStore::transcript_append`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TranscriptAppend {
    /// The entries, oldest first (each a JSON document).
    pub entries: Vec<String>,
    /// The status and time of this turn.
    pub meta: TranscriptMeta,
    /// Most entries kept (the oldest go first).
    pub max_entries: usize,
    /// How long the transcript is kept after this turn.
    pub retention_secs: u64,
}

pub trait TranscriptStore: Send + Sync {
    /// Appends the entries, keeps the last `max_entries`, records the status and time of this
    /// turn, and keeps it all `retention_secs`.
    fn transcript_append(
        &self,
        session_id: &str,
        append: &TranscriptAppend,
    ) -> BoxFuture<'_, Result<(), StoreError>>;
    fn transcript_get(
        &self,
        session_id: &str,
    ) -> BoxFuture<'_, Result<Option<Transcript>, StoreError>>;
}
