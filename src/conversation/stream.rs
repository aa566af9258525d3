//! Streamed AI answers (the streamMessage endpoint): the session is read without taking its
//! lease (the answer's text comes back with the next continueChat, which takes it), the block
//! it waits on is asked for its call, and the provider's stream is opened. The usage the
//! provider reports waits for that continueChat in [`UsageDocs`] (the executions store's
//! documents, so every server process sees it).

use std::sync::Arc;

use super::resume::decode;
use super::{Caller, Conversations, ServiceError};
use crate::engine::{SessionState, StreamError, StreamedUsage, TextStream, TokenUsage};
use crate::flow::CompiledFlow;
use crate::ids::is_plausible_id;
use crate::store::{BoxFuture, Doc, ExecutionStore};

/// How long a streamed answer's usage waits for the continueChat that brings the answer back
/// (the player sends it as soon as the stream ends).
const USAGE_TTL_SECS: u64 = 86_400;

/// The usage of streamed answers, as documents of the executions store.
pub struct UsageDocs(pub Arc<dyn ExecutionStore>);

impl StreamedUsage for UsageDocs {
    fn record<'a>(&'a self, key: &'a str, usage: &'a TokenUsage) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let Ok(json) = serde_json::to_string(usage) else {
                return;
            };
            if let Err(e) = self
                .0
                .doc_put(Doc::StreamUsage, key, json, USAGE_TTL_SECS)
                .await
            {
                tracing::warn!(error = %e, "could not record the usage of a streamed answer");
            }
        })
    }

    fn read<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Option<TokenUsage>> {
        Box::pin(async move {
            match self.0.doc_get(Doc::StreamUsage, key).await {
                Ok(found) => found.and_then(|j| serde_json::from_str(&j).ok()),
                Err(e) => {
                    tracing::warn!(error = %e, "could not read the usage of a streamed answer");
                    None
                }
            }
        })
    }
}

impl Conversations {
    /// A live session read without taking its lease (for side requests: a streamed answer, an
    /// upload URL), with its root revision, once the caller passed the bot's origin check.
    pub(super) async fn peek_live(
        &self,
        session_id: &str,
        caller: &Caller,
    ) -> Result<(SessionState, Arc<CompiledFlow>), ServiceError> {
        if !is_plausible_id(session_id) {
            return Err(ServiceError::SessionMissing);
        }
        let data = self
            .stores
            .sessions
            .peek(session_id)
            .await?
            .ok_or(ServiceError::SessionMissing)?;
        let state = decode(&data)?;
        if state.done {
            return Err(ServiceError::Finished);
        }
        let root = self.root_revision(&state).await?;
        self.check_origin(&root, caller)?;
        Ok((state, root))
    }

    /// The streamed answer of the AI block the session waits on.
    pub async fn stream_answer(
        &self,
        session_id: &str,
        caller: &Caller,
    ) -> Result<TextStream, ServiceError> {
        let (state, root) = self.peek_live(session_id, caller).await?;
        let plan = self
            .engine
            .stream_plan(state, root)
            .await
            .map_err(ServiceError::from)?;
        self.engine
            .open_stream(plan)
            .await
            .map_err(ServiceError::from)
    }
}

impl From<StreamError> for ServiceError {
    fn from(e: StreamError) -> Self {
        match e {
            StreamError::Engine(e) => ServiceError::from(e),
            other => ServiceError::Stream(other),
        }
    }
}
