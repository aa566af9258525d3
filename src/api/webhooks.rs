//! The "wait for webhook" block, end to end without a third-party relay:
//!
//! - `POST /api/v1/typebots/{typebotId}/blocks/{blockId}/results/{resultId}/executeWebhook`
//!   (API token, as Typebot's route): the JSON object of the body is posted, as PartyKit's
//!   relay does, as the text `{"data": <body>}` to the room `{resultId}/webhooks`.
//! - `GET /parties/main/{resultId}/webhooks`: the WebSocket the published player opens with
//!   `partysocket` when the bot is embedded with `wsHost` pointing here (PartyKit's URL layout:
//!   `/parties/{party}/{room}`, party `main`). The room's message is sent as one text frame
//!   and the socket is closed; the player relays the text as its next continueChat, which
//!   applies the block's response mapping (`data.name`...).
//!
//! The rooms ([`crate::store::rooms`]) keep a message posted before the player connected and
//! deliver it to exactly one listener, on whichever process it is connected.

use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde_json::{Value, json};

use super::AppState;
use super::auth::require_token;
use super::body::read_body;
use super::error::ApiError;
use crate::ids::is_plausible_id;

/// The room of a result's webhook listener (the player's `getRoomName`).
fn room(result_id: &str) -> String {
    format!("{result_id}/webhooks")
}

/// `POST .../executeWebhook`.
pub async fn execute(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    typebot_id: &str,
    block_id: &str,
    result_id: &str,
) -> Result<HttpResponse, ApiError> {
    require_token(req, state.api_token.as_deref())?;
    let body = read_body(payload, req, state.max_body_bytes).await?;
    state
        .conversations
        .webhook_block(typebot_id, block_id)
        .await?;
    if !is_plausible_id(result_id) {
        return Err(ApiError::bad_request("resultId: not a result id"));
    }
    let data: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("the body is not JSON: {e}")))?
    };
    if !data.is_object() {
        return Err(ApiError::bad_request(
            "Invalid payload, please send a JSON object body",
        ));
    }
    let message = json!({ "data": data }).to_string();
    state
        .rooms
        .post(&room(result_id), &message)
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(json!({"message": "OK"})))
}

/// `GET /parties/main/{resultId}/webhooks`: the player's WebSocket.
pub async fn socket(
    req: &HttpRequest,
    payload: web::Payload,
    state: &web::Data<AppState>,
    result_id: &str,
) -> Result<HttpResponse, ApiError> {
    if !is_plausible_id(result_id) {
        return Err(ApiError::bad_request("not a result id"));
    }
    let (res, mut session, stream) = actix_ws::handle(req, payload)
        .map_err(|e| ApiError::bad_request(format!("WebSocket upgrade refused: {e}")))?;
    let mut stream = stream.max_frame_size(64 * 1024);
    let state = state.clone();
    let room = room(result_id);
    actix_web::rt::spawn(async move {
        let next = state.rooms.next(&room);
        tokio::pin!(next);
        loop {
            tokio::select! {
                got = &mut next => {
                    match got {
                        Ok(message) => {
                            if session.text(message).await.is_err() {
                                tracing::warn!(room = %room, "the webhook listener left before its message was sent");
                            }
                        }
                        Err(e) => tracing::error!(room = %room, error = %e, "webhook room failed"),
                    }
                    let _ = session.close(None).await;
                    return;
                }
                incoming = stream.next() => match incoming {
                    Some(Ok(actix_ws::Message::Ping(p))) => {
                        if session.pong(&p).await.is_err() {
                            return;
                        }
                    }
                    Some(Ok(actix_ws::Message::Close(_))) | None | Some(Err(_)) => return,
                    // The player sends nothing else; other frames are ignored.
                    Some(Ok(_)) => {}
                },
            }
        }
    });
    Ok(res)
}
