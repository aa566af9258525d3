//! `POST /api/v2/sessions/{sessionId}/streamMessage`: the AI answer of the block a session
//! waits on, streamed in the AI SDK data-stream format the published `@typebot.io/js` player
//! reads (`0:"<json text>"\n` per delta, `3:"<json error>"\n` on a failure mid-stream). Not
//! buffered by proxies (`X-Accel-Buffering: no`) nor compressed (`Content-Encoding: identity`).
//! A client that goes away drops the response stream, which drops the upstream request.
//! The body (`{messages?}`, sent by the player for the legacy block) is not used: the server
//! builds the messages from the session, so a client cannot rewrite the prompt.

use std::convert::Infallible;

use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;

use super::request_facts;
use crate::api::AppState;
use crate::api::body::read_body;
use crate::api::error::ApiError;

/// One line of the data stream: `<kind>:<JSON string>\n`.
fn line(kind: char, text: &str) -> Bytes {
    let json = serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into());
    Bytes::from(format!("{kind}:{json}\n"))
}

pub async fn stream_message(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    session_id: &str,
) -> Result<HttpResponse, ApiError> {
    let body = read_body(payload, req, state.max_body_bytes).await?;
    let (caller, _) = request_facts(req, &body)?;
    let texts = state
        .conversations
        .stream_answer(session_id, &caller)
        .await?;
    // The text stream ends after its first error.
    let body = texts
        .map(|item| match item {
            Ok(t) => line('0', &t),
            Err(e) => {
                tracing::info!(error = %e, "the AI stream failed");
                line('3', &e.to_string())
            }
        })
        .map(Ok::<_, Infallible>);
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header(("x-accel-buffering", "no"))
        .insert_header(("cache-control", "no-cache, no-transform"))
        .insert_header(("content-encoding", "identity"))
        .insert_header(("x-vercel-ai-data-stream", "v1"))
        .streaming(body))
}
