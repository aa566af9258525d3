//! Streamed answers for the streamMessage endpoint: [`plan`] finds the AI block a session
//! waits on and prepares its call (credentials, messages with the session's variables);
//! [`open`] sends it with `stream: true` and yields the text deltas parsed from the provider's
//! server-sent events. Dropping the stream drops the upstream connection.
//!
//! Token usage: OpenAI-compatible providers report it in a last chunk (when asked with
//! `stream_options.include_usage`), Anthropic in `message_start` and `message_delta`. When the
//! provider's stream ends, the usage is priced and recorded through the engine's
//! [`crate::engine::StreamedUsage`] under [`usage_key`] of the session state, before the text
//! stream ends; the continueChat that brings the answer back reads it under the same key.

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::Arc;

use eventsource_stream::Eventsource;
use futures_util::{Stream, StreamExt};

use super::wire::{self, StreamEvent, StreamUsage};
use super::{ChatCall, LEGACY, is_chat};
use crate::engine::context::Turn;
use crate::engine::{Engine, EngineError, SessionState, StreamedUsage, TextFormat, TokenUsage};
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

/// A streamed answer to open: the call, and the key its usage is recorded under.
#[derive(Debug, Clone)]
pub struct StreamPlan {
    pub call: ChatCall,
    pub usage_key: String,
}

/// The key of a streamed answer's usage: the session's result and a digest of the state the
/// stream was planned from (the state continueChat then resumes, unchanged until it does).
pub fn usage_key(state: &SessionState) -> String {
    let bytes = serde_json::to_vec(state).unwrap_or_default();
    let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
    let hex: String = digest.as_ref()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{}:{hex}", state.result_id().unwrap_or("-"))
}

/// The call of the AI block the session waits on.
pub async fn plan(
    engine: &Engine,
    state: SessionState,
    root: Arc<CompiledFlow>,
) -> Result<StreamPlan, StreamError> {
    let usage_key = usage_key(&state);
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
    let call = super::prepare(&mut turn, block_type, options)
        .await
        .map_err(|log| StreamError::Refused(log.description))?;
    Ok(StreamPlan { call, usage_key })
}

/// Where a stream records its usage when it ends.
struct Ledger {
    sink: Option<Arc<dyn StreamedUsage>>,
    key: String,
    model: String,
    /// The price of the call's model only (when it has one).
    prices: BTreeMap<String, crate::engine::ModelPrice>,
}

impl Ledger {
    async fn record(&self, u: StreamUsage) {
        let Some(sink) = &self.sink else { return };
        let (prompt, completion) = (u.prompt.unwrap_or(0), u.completion.unwrap_or(0));
        let usage = TokenUsage::priced(&self.model, prompt, completion, u.total, &self.prices);
        sink.record(&self.key, &usage).await;
    }
}

/// The reading of a provider's events: the usage reported so far, and whether it ended.
struct Reading<E> {
    events: E,
    usage: Option<StreamUsage>,
    ledger: Arc<Ledger>,
    done: bool,
}

/// Sends the call with streaming on; yields its text as it arrives and records the usage.
pub async fn open(
    engine: &Engine,
    http: &SafeClient,
    plan: StreamPlan,
) -> Result<TextStream, StreamError> {
    let StreamPlan { call, usage_key } = plan;
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
    let ledger = Arc::new(Ledger {
        sink: engine.ai.streamed.clone(),
        key: usage_key,
        prices: engine
            .ai
            .prices
            .get_key_value(&call.model)
            .map(|(k, v)| (k.clone(), *v))
            .into_iter()
            .collect(),
        model: call.model,
    });
    let start = Reading {
        events: res.body.eventsource(),
        usage: None,
        ledger,
        done: false,
    };
    let texts = futures_util::stream::unfold(start, move |mut st| async move {
        if st.done {
            return None;
        }
        loop {
            let event = match st.events.next().await {
                // The provider ended (with or without `[DONE]`): its usage is recorded before
                // the player sees the end, so the continueChat that follows finds it.
                None => StreamEvent::Done,
                Some(Err(e)) => StreamEvent::Error(e.to_string()),
                Some(Ok(ev)) => wire::stream_event(api, &ev.event, &ev.data),
            };
            match event {
                StreamEvent::Delta { text, usage } => {
                    if let Some(u) = usage {
                        st.usage.get_or_insert_default().merge(u);
                    }
                    if let Some(t) = text {
                        return Some((Ok(t), st));
                    }
                }
                StreamEvent::Done => {
                    if let Some(u) = st.usage.take() {
                        st.ledger.record(u).await;
                    }
                    return None;
                }
                StreamEvent::Error(m) => {
                    st.done = true;
                    return Some((Err(StreamError::Upstream(m)), st));
                }
                StreamEvent::Other => {}
            }
        }
    });
    Ok(Box::pin(texts))
}
