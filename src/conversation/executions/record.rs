//! An execution's record as stored (JSON, its envelope last), and the two shortcuts of the
//! resume path: a pause is read without its envelope's blocks, expected input and token usage
//! (a turn replaces them; parsed only when the resume ends the execution as it was), and the
//! record is written with the envelope as the answer encoded it (not encoded twice).

use std::any::Any;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::envelope::Execution;
use super::timers;
use crate::conversation::ServiceError;
use crate::conversation::start::now;
use crate::store::{ExecutionDoc, StoreError, StoredDoc};

/// An execution as stored: its envelope and what the engine API needs to go on. `E` is the
/// envelope as read: whole ([`Execution`]) or its head only ([`EnvelopeHead`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct ExecutionRecord<E = Execution> {
    pub tenant_id: String,
    /// The session it runs in (None when it failed before one existed).
    pub session_id: Option<String>,
    pub flow_id: String,
    pub context: Map<String, Value>,
    pub created_at: String,
    pub updated_at: String,
    /// When its session expires (ms since the epoch) while it waits: past it, the execution
    /// reads `failed` (its session is gone) without asking the session store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_expires_ms: Option<u64>,
    /// Last: [`encode`] appends it as already encoded.
    pub envelope: E,
}

/// Why an execution whose session expired has failed.
pub(super) const EXPIRED: &str = "the session of this execution expired before it was resumed";

impl<E> ExecutionRecord<E> {
    fn expired(&self) -> bool {
        self.session_expires_ms
            .is_some_and(|at| at <= timers::now_ms())
    }

    /// The record with its envelope made into another.
    fn map<F>(self, f: impl FnOnce(E) -> F) -> ExecutionRecord<F> {
        ExecutionRecord {
            tenant_id: self.tenant_id,
            session_id: self.session_id,
            flow_id: self.flow_id,
            context: self.context,
            created_at: self.created_at,
            updated_at: self.updated_at,
            session_expires_ms: self.session_expires_ms,
            envelope: f(self.envelope),
        }
    }
}

impl ExecutionRecord {
    /// The record as it stands now: a waiting execution whose session has expired is `failed`.
    pub fn settled(mut self) -> Self {
        if self.expired() && !self.envelope.is_terminal() {
            self.fail(EXPIRED);
        }
        self
    }

    pub fn fail(&mut self, reason: impl Into<String>) {
        let env = &mut self.envelope;
        env.status = "failed".into();
        env.expected_input = None;
        env.metadata = Map::new();
        env.metadata
            .insert("error".into(), Value::String(reason.into()));
        self.session_expires_ms = None;
        self.updated_at = now();
    }
}

/// What a resume reads of the envelope: everything but its blocks, expected input and token
/// usage.
#[derive(Debug, Deserialize)]
pub(super) struct EnvelopeHead {
    execution_id: String,
    status: String,
    conversation_id: String,
    #[serde(default)]
    metadata: Map<String, Value>,
}

fn unreadable(e: serde_json::Error) -> ServiceError {
    ServiceError::Internal(format!("stored record could not be read: {e}"))
}

/// A record as written: typed, its envelope's blocks, expected input and token usage left out
/// (`head`), beside the envelope's JSON as the answer encoded it. The in-memory store keeps it
/// as it is; encoded, it is the record's JSON (as [`ExecutionRecord`]).
pub(super) struct Saved {
    head: ExecutionRecord,
    envelope_json: String,
}

impl Saved {
    /// The record `r` whose envelope encodes as `envelope_json`.
    pub fn new(r: &ExecutionRecord, envelope_json: String) -> Self {
        Saved {
            head: head_of(r),
            envelope_json,
        }
    }

    /// The record with its envelope whole.
    fn whole(&self) -> Result<ExecutionRecord, ServiceError> {
        let envelope = serde_json::from_str(&self.envelope_json).map_err(unreadable)?;
        Ok(ExecutionRecord {
            envelope,
            ..self.head.clone()
        })
    }
}

impl ExecutionDoc for Saved {
    fn json(&self) -> Result<String, StoreError> {
        splice(&self.head, &self.envelope_json).map_err(|e| StoreError::Other(e.to_string()))
    }
}

/// A copy of `r` without its envelope's blocks, expected input and token usage.
fn head_of(r: &ExecutionRecord) -> ExecutionRecord {
    let env = &r.envelope;
    ExecutionRecord {
        tenant_id: r.tenant_id.clone(),
        session_id: r.session_id.clone(),
        flow_id: r.flow_id.clone(),
        context: r.context.clone(),
        created_at: r.created_at.clone(),
        updated_at: r.updated_at.clone(),
        session_expires_ms: r.session_expires_ms,
        envelope: Execution {
            execution_id: env.execution_id.clone(),
            status: env.status.clone(),
            blocks: Vec::new(),
            conversation_id: env.conversation_id.clone(),
            expected_input: None,
            metadata: env.metadata.clone(),
            token_usage: None,
        },
    }
}

/// A pause as a resume reads it (settled). `record`'s envelope lacks its blocks, expected
/// input and token usage unless it was read whole (see [`Stored::whole`]).
pub(in crate::conversation) struct Paused {
    pub record: ExecutionRecord,
    /// The record as stored, while `record` is its head only.
    stored: Option<StoredDoc>,
}

impl Paused {
    /// Reads a stored record for a resume: its head only (typed as written by the in-memory
    /// store, else parsed without the envelope's blocks), unless its session has expired
    /// (then it is read whole and settled as `failed`).
    pub fn read(doc: StoredDoc) -> Result<Self, ServiceError> {
        let record = match &doc {
            StoredDoc::Typed(d) => match (d.as_ref() as &dyn Any).downcast_ref::<Saved>() {
                Some(saved) => saved.head.clone(),
                None => return Self::read(StoredDoc::Json(d.json()?)),
            },
            StoredDoc::Json(raw) => {
                let head: ExecutionRecord<EnvelopeHead> =
                    serde_json::from_str(raw).map_err(unreadable)?;
                head.map(|env| Execution {
                    execution_id: env.execution_id,
                    status: env.status,
                    blocks: Vec::new(),
                    conversation_id: env.conversation_id,
                    expected_input: None,
                    metadata: env.metadata,
                    token_usage: None,
                })
            }
        };
        if record.expired() && !record.envelope.is_terminal() {
            return Ok(Paused {
                record: Stored(Some(doc)).whole(record)?,
                stored: None,
            });
        }
        Ok(Paused {
            record,
            stored: Some(doc),
        })
    }

    /// The record with its envelope whole (as stored), settled.
    #[cfg(test)]
    pub fn whole(self) -> Result<ExecutionRecord, ServiceError> {
        let (record, stored) = self.split();
        stored.whole(record)
    }

    /// The record as read, and what gives it whole.
    pub fn split(self) -> (ExecutionRecord, Stored) {
        (self.record, Stored(self.stored))
    }
}

/// A pause's record as stored, while only its head was read.
pub(in crate::conversation) struct Stored(Option<StoredDoc>);

impl Stored {
    /// The record with its envelope whole: as stored (settled), or `head` when that was read
    /// whole.
    pub fn whole(self, head: ExecutionRecord) -> Result<ExecutionRecord, ServiceError> {
        let whole = match self.0 {
            None => return Ok(head),
            Some(StoredDoc::Json(raw)) => serde_json::from_str(&raw).map_err(unreadable)?,
            Some(StoredDoc::Typed(d)) => match (d.as_ref() as &dyn Any).downcast_ref::<Saved>() {
                Some(saved) => saved.whole()?,
                None => serde_json::from_str(&d.json()?).map_err(unreadable)?,
            },
        };
        Ok(ExecutionRecord::settled(whole))
    }
}

/// `r` encoded with `envelope` (its envelope's JSON) as its envelope.
fn splice(r: &ExecutionRecord, envelope: &str) -> Result<String, serde_json::Error> {
    let view = RecordHead {
        tenant_id: &r.tenant_id,
        session_id: r.session_id.as_deref(),
        flow_id: &r.flow_id,
        context: &r.context,
        created_at: &r.created_at,
        updated_at: &r.updated_at,
        session_expires_ms: r.session_expires_ms,
        envelope: (),
    };
    let mut json = serde_json::to_string(&view)?;
    // `{...,"envelope":null}`: the null replaced by the envelope.
    json.truncate(json.len() - "null}".len());
    json.push_str(envelope);
    json.push('}');
    Ok(json)
}

/// [`ExecutionRecord`] borrowed, its envelope left out (encoded as `null`, last): the same
/// names, order and rules (the tests compare the two encodings).
#[derive(Serialize)]
struct RecordHead<'a> {
    tenant_id: &'a str,
    session_id: Option<&'a str>,
    flow_id: &'a str,
    context: &'a Map<String, Value>,
    created_at: &'a str,
    updated_at: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_expires_ms: Option<u64>,
    envelope: (),
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;

    fn record(expires: Option<u64>, session: Option<&str>) -> ExecutionRecord {
        let context = json!({"plan": "pro", "n": [1, 2]});
        let metadata = json!({"wait_token": "t-1", "resume_at": "2026-12-07T00:00:00.000Z"});
        ExecutionRecord {
            tenant_id: "00000000-0000-0000-0000-000000000000".into(),
            session_id: session.map(str::to_string),
            flow_id: "flow \"quoted\"".into(),
            context: context.as_object().cloned().unwrap_or_default(),
            created_at: "2026-12-07T00:00:00Z".into(),
            updated_at: "2026-12-07T00:00:01Z".into(),
            session_expires_ms: expires,
            envelope: Execution {
                execution_id: "e-1".into(),
                status: "waiting_input".into(),
                blocks: vec![json!({"type": "text", "id": "b1", "payload": {"text": "Hi"}})],
                conversation_id: "c-1".into(),
                expected_input: Some(json!({"type": "text input", "id": "i1"})),
                metadata: metadata.as_object().cloned().unwrap_or_default(),
                token_usage: Some(json!({"total_tokens": 3})),
            },
        }
    }

    /// The record as each kind of store gives it back: typed, its JSON, and a document
    /// written as JSON but kept typed.
    fn stored(r: &ExecutionRecord) -> [StoredDoc; 3] {
        let envelope = serde_json::to_string(&r.envelope).unwrap();
        let json = serde_json::to_string(r).unwrap();
        [
            StoredDoc::Typed(Arc::new(Saved::new(r, envelope))),
            StoredDoc::Json(json.clone()),
            StoredDoc::Typed(Arc::new(json)),
        ]
    }

    #[test]
    fn a_saved_record_encodes_as_the_whole_record() {
        for r in [record(Some(u64::MAX), Some("s-1")), record(None, None)] {
            let envelope = serde_json::to_string(&r.envelope).unwrap();
            let whole = serde_json::to_string(&r).unwrap();
            assert_eq!(Saved::new(&r, envelope).json().unwrap(), whole);
        }
    }

    #[test]
    fn a_pause_is_read_without_its_blocks_and_whole_on_demand() {
        let r = record(Some(u64::MAX), Some("s-1"));
        for doc in stored(&r) {
            let p = Paused::read(doc).unwrap();
            assert!(p.record.envelope.blocks.is_empty());
            assert_eq!(p.record.envelope.expected_input, None);
            assert_eq!(p.record.envelope.token_usage, None);
            assert_eq!(p.record.envelope.metadata, r.envelope.metadata);
            assert_eq!(p.record.envelope.status, "waiting_input");
            assert_eq!(p.record.context, r.context);
            assert_eq!(p.whole().unwrap().envelope, r.envelope);
        }
    }

    #[test]
    fn an_expired_pause_is_read_whole_and_failed() {
        let r = record(Some(1), Some("s-1"));
        for doc in stored(&r) {
            let p = Paused::read(doc).unwrap();
            assert_eq!(p.record.envelope.status, "failed");
            assert_eq!(p.record.envelope.blocks, r.envelope.blocks);
            assert_eq!(p.record.envelope.metadata["error"], EXPIRED);
            assert_eq!(p.whole().unwrap().envelope.status, "failed");
        }
    }
}
