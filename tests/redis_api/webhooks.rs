//! Wait for webhook across processes: the player's WebSocket listens on one `tessera serve`,
//! executeWebhook is called on another of the same Redis, and the message crosses over
//! (a key taken with GETDEL, woken by pub/sub); the conversation then continues on either.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::bots::text;
use crate::common::replies::{result_id, session_id};
use crate::common::ws::{Frame, WsClient};
use crate::server::{Server, TOKEN};
use crate::shared_redis::SharedRedis;
use crate::support::{answer, assert_step, bot, client, ids, publish, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_called_on_one_process_reaches_the_player_listening_on_another() {
    let Some(redis) = SharedRedis::get() else {
        return;
    };
    let a = Server::bare("hooks-a", &redis.url, &[]);
    let b = Server::bare("hooks-b", &redis.url, &[]);
    let c = client();
    let (flow, public) = ids("hooks");
    redis.forget_flow(&flow, &public);
    let hook = json!({"id": "hook", "type": "webhook", "options": {"responseVariableMapping": [
        {"id": "m", "variableId": "v-Name", "bodyPath": "data.name"}]}});
    let waiting = bot(
        &flow,
        &public,
        json!([text("w", "Waiting"), hook, text("done", "Hello {{Name}}")]),
        &["Name"],
    );
    publish(&c, &a, &waiting).await;
    let started = start(&c, &a, &public).await;
    let (sid, rid) = (session_id(&started.1), result_id(&started.1));
    redis.forget_session(&sid);
    let host = a.base.trim_start_matches("http://").to_string();
    let mut ws = WsClient::connect(&host, &format!("/parties/main/{rid}/webhooks")).await;
    // Give the listener's subscription a moment; the message would wait for it anyway.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let r = c
        .post(b.url(&format!(
            "/api/v1/typebots/{public}/blocks/hook/results/{rid}/executeWebhook"
        )))
        .bearer_auth(TOKEN)
        .json(&json!({"name": "Cy"}))
        .send()
        .await
        .expect("executeWebhook");
    assert_eq!(r.status().as_u16(), 200);
    let Some(Frame::Text(message)) = ws.next(Duration::from_secs(5)).await else {
        panic!("the message did not reach the listener on the other process");
    };
    assert_eq!(
        serde_json::from_str::<Value>(&message).expect("json"),
        json!({"data": {"name": "Cy"}})
    );
    assert_step(&answer(&c, &b, &sid, &message).await, &["Hello Cy"], None);
}
