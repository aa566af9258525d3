//! The "wait for webhook" block: the session pauses with `listenForWebhook`; an authenticated
//! executeWebhook posts the body to the WebSocket room `{resultId}/webhooks` that the player's
//! partysocket opens here (`/parties/main/{resultId}/webhooks`); the text it receives is the
//! next continueChat, mapped into variables. Across processes on Redis: tests/redis_api.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::app::{TOKEN, TestApp, spawn_app};
use crate::common::bots::{bot, text, var};
use crate::common::ws::{Frame, WsClient};

/// Waits for a webhook, maps `data.name` into Name and `data.order.id` into Order.
pub fn webhook_bot(id: &str) -> Value {
    bot(
        id,
        json!([
            text("wait", "Waiting for your payment"),
            {"id": "hook", "type": "webhook", "options": {"responseVariableMapping": [
                {"id": "m1", "variableId": "v-name", "bodyPath": "data.name"},
                {"id": "m2", "variableId": "v-order", "bodyPath": "data.order.id"}
            ]}},
            text("done", "Thanks {{Name}}, order {{Order}}")
        ]),
        json!([var("v-name", "Name"), var("v-order", "Order")]),
    )
}

async fn start(app: &TestApp, id: &str) -> (String, String) {
    assert_eq!(app.publish(id, &webhook_bot(id)).await.0, 200);
    let (status, body) = app
        .post(&format!("/api/v1/typebots/{id}/startChat"), &json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["clientSideActions"][0]["type"], "listenForWebhook",
        "{body}"
    );
    assert_eq!(body["clientSideActions"][0]["expectsDedicatedReply"], true);
    (
        body["sessionId"].as_str().expect("sessionId").to_string(),
        body["resultId"].as_str().expect("resultId").to_string(),
    )
}

async fn execute(app: &TestApp, path: &str, token: Option<&str>, body: &str) -> (u16, Value) {
    let mut r = app
        .client
        .post(format!("{}{path}", app.base))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    crate::common::http::into_json(r.send().await.expect("executeWebhook")).await
}

fn host(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_string()
}

#[tokio::test]
async fn an_execute_webhook_call_reaches_the_listening_player_and_the_chat_continues() {
    let app = spawn_app().await;
    let (session, result) = start(&app, "hook-basic").await;
    let mut ws = WsClient::connect(
        &host(&app),
        &format!("/parties/main/{result}/webhooks?_pk=abc"),
    )
    .await;
    let path = format!("/api/v1/typebots/hook-basic/blocks/hook/results/{result}/executeWebhook");
    let payload = r#"{"name": "Ada", "order": {"id": 42}}"#;

    let (status, body) = execute(&app, &path, None, payload).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("unauthorized")),
        "{body}"
    );
    let (status, body) = execute(&app, &path, Some("wrong"), payload).await;
    assert_eq!(status, 401, "{body}");
    let wrong_block = path.replace("/blocks/hook/", "/blocks/wait/");
    let (status, body) = execute(&app, &wrong_block, Some(TOKEN), payload).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("webhook_block_not_found")),
        "{body}"
    );
    let wrong_bot = path.replace("/typebots/hook-basic/", "/typebots/nope/");
    let (status, body) = execute(&app, &wrong_bot, Some(TOKEN), payload).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("flow_not_found")),
        "{body}"
    );
    let (status, body) = execute(&app, &path, Some(TOKEN), "[1, 2]").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_request")),
        "{body}"
    );
    // Nothing was delivered by the refused calls.
    assert_eq!(ws.next(Duration::from_millis(200)).await, None);

    let (status, body) = execute(&app, &path, Some(TOKEN), payload).await;
    assert_eq!(status, 200, "{body}");
    let Some(Frame::Text(message)) = ws.next(Duration::from_secs(5)).await else {
        panic!("no message on the room");
    };
    assert_eq!(
        serde_json::from_str::<Value>(&message).expect("json"),
        json!({"data": {"name": "Ada", "order": {"id": 42}}})
    );
    assert_eq!(ws.next(Duration::from_secs(2)).await, Some(Frame::Close));
    // The player relays the text as a text message.
    let (status, reply) = app
        .post(
            &format!("/api/v1/sessions/{session}/continueChat"),
            &json!({"message": {"type": "text", "text": message}}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    let shown: String = reply["messages"][0]["content"]["richText"][0]["children"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["text"].as_str())
        .collect();
    assert_eq!(shown, "Thanks Ada, order 42", "{reply}");
}

#[tokio::test]
async fn a_webhook_called_before_the_player_listens_is_delivered_when_it_connects() {
    let app = spawn_app().await;
    let (_, result) = start(&app, "hook-early").await;
    let path = format!("/api/v1/typebots/hook-early/blocks/hook/results/{result}/executeWebhook");
    let (status, _) = execute(&app, &path, Some(TOKEN), r#"{"name": "Bo"}"#).await;
    assert_eq!(status, 200);
    let room = format!("/parties/main/{result}/webhooks");
    let mut ws = WsClient::connect(&host(&app), &room).await;
    assert_eq!(
        ws.next(Duration::from_secs(5)).await,
        Some(Frame::Text(r#"{"data":{"name":"Bo"}}"#.into()))
    );
    // Delivered once: the next listener of the room waits.
    let mut again = WsClient::connect(&host(&app), &room).await;
    assert_eq!(again.next(Duration::from_millis(300)).await, None);
}
