//! Streamed AI answers (the streamMessage endpoint): the session is read without taking its
//! lease (the answer's text comes back with the next continueChat, which takes it), the block
//! it waits on is asked for its call, and the provider's stream is opened.

use std::sync::Arc;

use super::resume::decode;
use super::{Caller, Conversations, ServiceError};
use crate::engine::{SessionState, StreamError, TextStream};
use crate::flow::CompiledFlow;
use crate::ids::is_plausible_id;

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
        let root = {
            let r = &state.root().flow;
            self.registry.revision(&r.id, &r.rev).await?
        }
        .ok_or(ServiceError::Engine(crate::engine::EngineError::FlowGone))?;
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
        let call = self
            .engine
            .stream_plan(state, root)
            .await
            .map_err(ServiceError::from)?;
        self.engine
            .open_stream(&call)
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
