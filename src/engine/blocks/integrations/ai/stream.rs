//! Streamed answers for the streamMessage endpoint: [`plan`] finds the AI block a session
//! waits on and prepares its call (credentials, messages with the session's variables);
//! [`open`] sends it with `stream: true` and yields the text deltas parsed from the provider's
//! server-sent events. Dropping the stream drops the upstream connection.

use std::pin::Pin;
use std::sync::Arc;

use eventsource_stream::Eventsource;
use futures_util::{Stream, StreamExt};

use super::wire::{self, StreamEvent};
use super::{ChatCall, LEGACY, is_chat};
use crate::engine::context::Turn;
use crate::engine::{Engine, EngineError, SessionState, TextFormat};
use crate::flow::CompiledFlow;
use crate::flow::block::{BlockKind, Integration};
use crate::net::{OutboundRequest, SafeClient};

/// Text deltas of a streamed answer; an `Err` ends the stream.
pub type TextStream = Pin<Box<dyn Stream<Item = Result<String, StreamError>> + Send>>;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StreamError {
    /// The session does not wait on a streaming AI block.
    #[error("the session is not waiting for a streamed answer")]
    NotStreaming,
    /// The block cannot run (no credentials...): the text of its log line.
    #[error("{0}")]
    Refused(String),
    /// The provider failed or answered an error.
    #[error("{0}")]
    Upstream(String),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// The call of the AI block the session waits on.
pub async fn plan(
    engine: &Engine,
    state: SessionState,
    root: Arc<CompiledFlow>,
) -> Result<ChatCall, StreamError> {
    let mut turn = Turn::load(engine, state, root, TextFormat::RichText).await?;
    let cur = turn.state.cur.clone().ok_or(StreamError::NotStreaming)?;
    let flow = turn.flow();
    let ix = flow.block_index(&cur).ok_or(StreamError::NotStreaming)?;
    let BlockKind::Integration(integration) = &flow.block(ix).kind else {
        return Err(StreamError::NotStreaming);
    };
    let (block_type, options) = match integration.as_ref() {
        Integration::OpenAi(o) => (LEGACY, o),
        Integration::Forge {
            block_type,
            options,
        } => (block_type.as_str(), options),
        _ => return Err(StreamError::NotStreaming),
    };
    let action = options
        .get("action")
        .or_else(|| options.get("task"))
        .and_then(serde_json::Value::as_str);
    if !is_chat(block_type, action) {
        return Err(StreamError::NotStreaming);
    }
    super::prepare(&mut turn, block_type, options)
        .await
        .map_err(|log| StreamError::Refused(log.description))
}

/// Sends the call with streaming on; yields its text as it arrives.
pub async fn open(http: &SafeClient, call: &ChatCall) -> Result<TextStream, StreamError> {
    let res = http
        .send_streaming(OutboundRequest {
            method: "POST".into(),
            url: call.url(),
            headers: call.headers(),
            body: Some(call.body(true)),
            timeout: Some(std::time::Duration::from_secs(120)),
        })
        .await
        .map_err(|e| StreamError::Upstream(e.to_string()))?;
    if !(200..300).contains(&res.status) {
        let status = res.status;
        let body = res.text().await.unwrap_or_default();
        return Err(StreamError::Upstream(format!(
            "{status}: {}",
            wire::error_message(&body)
        )));
    }
    let api = call.api;
    let events = res.body.eventsource();
    let texts =
        futures_util::stream::unfold((events, false), move |(mut events, done)| async move {
            if done {
                return None;
            }
            loop {
                let item = match events.next().await? {
                    Err(e) => Err(StreamError::Upstream(e.to_string())),
                    Ok(ev) => match wire::stream_event(api, &ev.event, &ev.data) {
                        StreamEvent::Text(t) => Ok(t),
                        StreamEvent::Done => return None,
                        StreamEvent::Error(m) => Err(StreamError::Upstream(m)),
                        StreamEvent::Other => continue,
                    },
                };
                let stop = item.is_err();
                return Some((item, (events, stop)));
            }
        });
    Ok(Box::pin(texts))
}
