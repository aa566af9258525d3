//! What the cases share: polling futures together, taking a session's lease, and building result
//! updates and published-flow pointers.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use tessera::store::{
    AnswerRecord, ExecutionStore, IdempotencyStore, Leased, Loaded, Published, ResultUpdate,
    SessionStore, TimerStore, TranscriptStore,
};

/// The capabilities the cases exercise on one backend: sessions (with their results) and
/// idempotency records. Flows are exercised through `FlowStore` apart.
pub trait Store: SessionStore + IdempotencyStore {}
impl<T: SessionStore + IdempotencyStore + ?Sized> Store for T {}

/// The engine-API capabilities: records, transcripts and timers.
pub trait Records: ExecutionStore + TranscriptStore + TimerStore {}
impl<T: ExecutionStore + TranscriptStore + TimerStore + ?Sized> Records for T {}

/// Polls all futures together (real concurrency on the multiplexed Redis connection).
pub async fn join_all<'a, T>(
    mut futures: Vec<Pin<Box<dyn Future<Output = T> + Send + 'a>>>,
) -> Vec<T> {
    let mut out: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (slot, fut) in out.iter_mut().zip(futures.iter_mut()) {
            if slot.is_none() {
                match fut.as_mut().poll(cx) {
                    Poll::Ready(v) => *slot = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    out.into_iter().flatten().collect()
}

pub async fn active(store: &dyn Store, id: &str) -> Leased {
    match store.begin_turn(id, 10_000).await {
        Ok(Loaded::Active(l)) => l,
        other => panic!("expected an active session, got {other:?}"),
    }
}

pub fn update(
    flow: &str,
    result: &str,
    at: &str,
    answers: &[(&str, &str)],
    vars: &[(&str, &str)],
    done: bool,
) -> ResultUpdate {
    ResultUpdate {
        flow_id: flow.into(),
        result_id: result.into(),
        at: at.into(),
        answers: answers
            .iter()
            .map(|(k, c)| AnswerRecord {
                block_id: format!("b-{k}"),
                key: k.to_string(),
                content: c.to_string(),
                attached_file_urls: vec![],
            })
            .collect(),
        variables: vars
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
            .collect(),
        logs: vec![],
        completed: done,
        token_usage: None,
    }
}

pub fn published(flow: &str, public: &str, rev: &str) -> Published {
    Published {
        flow_id: flow.into(),
        public_id: public.into(),
        revision: rev.into(),
        published_at: "2024-05-01T10:00:00Z".into(),
        name: format!("Bot {flow}"),
    }
}
