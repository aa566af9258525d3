//! Walk steps: the trigger integration (triggers, events, the log, a session's transcript),
//! with each way a call fails.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::checker::call;
use crate::walk::{FLOW, World};
use crate::walk_bots::chat_bot;

pub const TRIGGERS: &str = "/api/v1/integration/triggers";
pub const TRIGGER: &str = "/api/v1/integration/triggers/{id}";
pub const SECRET: &str = "/api/v1/integration/triggers/{id}/secret";
pub const EVENT: &str = "/api/v1/integration/trigger/{triggerId}/event";
pub const EVENTS: &str = "/api/v1/integration/trigger/{triggerId}/events";
pub const SESSION: &str = "/api/v1/integration/trigger/{triggerId}/sessions/{session}";
/// The trigger the walk's server declares in its config.
pub const DECLARED: &str = "oa-declared-trigger";

pub async fn triggers(w: &World) {
    let (api, app) = (&w.api, &w.app);
    let r = api
        .call(
            app,
            call("POST", TRIGGERS, &[])
                .bearer()
                .json(json!({"flow": "oa-chat", "name": "walk"})),
        )
        .await;
    let id = r.json["id"].as_str().expect("id").to_string();
    let secret = r.json["secret"].as_str().expect("secret").to_string();
    api.call(
        app,
        call("POST", TRIGGERS, &[])
            .bearer()
            .json(json!({"flow": 1})),
    )
    .await;
    api.call(
        app,
        call("POST", TRIGGERS, &[]).json(json!({"flow": "oa-chat"})),
    )
    .await;
    api.call(
        app,
        call("POST", TRIGGERS, &[])
            .bearer()
            .json(json!({"flow": "oa-nope"})),
    )
    .await;
    api.call(app, call("GET", TRIGGERS, &[]).bearer()).await;
    api.call(app, call("GET", TRIGGERS, &[])).await;
    api.call(app, call("GET", TRIGGER, &[&id]).bearer()).await;
    api.call(app, call("GET", TRIGGER, &[&id])).await;
    api.call(app, call("GET", TRIGGER, &["oa-nope"]).bearer())
        .await;

    // Events.
    let r = api
        .call(
            app,
            call("POST", EVENT, &[&id])
                .token_of(&secret)
                .header("idempotency-key", "k1")
                .json(json!({"text": "hi"})),
        )
        .await;
    let session = r.json["session"].as_str().expect("session").to_string();
    api.call(
        app,
        call("POST", EVENT, &[&id])
            .token_of(&secret)
            .header("idempotency-key", "k1")
            .json(json!({"text": "other"})),
    )
    .await;
    api.call(
        app,
        call("POST", EVENT, &[&id])
            .token_of(&secret)
            .json(json!({"contact": "x"})),
    )
    .await;
    api.call(
        app,
        call("POST", EVENT, &[&id])
            .token_of("wrong")
            .json(json!({})),
    )
    .await;
    api.call(
        app,
        call("POST", EVENT, &["oa-nope"])
            .token_of(&secret)
            .json(json!({})),
    )
    .await;
    let small = &w.small;
    api.call(
        small,
        call("PUT", FLOW, &["oa-chat"]).bearer().json(chat_bot()),
    )
    .await;
    let r = api
        .call(
            small,
            call("POST", TRIGGERS, &[])
                .bearer()
                .json(json!({"flow": "oa-chat"})),
        )
        .await;
    let (sid, ssecret) = (
        r.json["id"].as_str().expect("id").to_string(),
        r.json["secret"].as_str().expect("secret").to_string(),
    );
    api.call(
        small,
        call("POST", EVENT, &[&sid])
            .token_of(&ssecret)
            .json(json!({"text": "x".repeat(2000)})),
    )
    .await;
    // The small server has no workers and room for one event.
    api.call(
        small,
        call("POST", EVENT, &[&sid])
            .token_of(&ssecret)
            .json(json!({"text": "one"})),
    )
    .await;
    api.call(
        small,
        call("POST", EVENT, &[&sid])
            .token_of(&ssecret)
            .json(json!({"text": "two"})),
    )
    .await;

    // The log and the transcript, once the event ran.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = api
            .call(
                app,
                call("GET", EVENTS, &[&id])
                    .bearer()
                    .query("status=done&limit=10"),
            )
            .await;
        if r.json["events"].as_array().is_some_and(|e| !e.is_empty()) {
            break;
        }
        assert!(Instant::now() < deadline, "the event did not run");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    api.call(app, call("GET", EVENTS, &[&id]).bearer().query("limit=0"))
        .await;
    api.call(app, call("GET", EVENTS, &[&id])).await;
    api.call(app, call("GET", EVENTS, &["oa-nope"]).bearer())
        .await;
    api.call(app, call("GET", SESSION, &[&id, &session]).bearer())
        .await;
    api.call(app, call("GET", SESSION, &[&id, &session])).await;
    api.call(app, call("GET", SESSION, &[&id, "oa-nosession"]).bearer())
        .await;

    // Rotating, deleting; the declared trigger is read-only.
    api.call(app, call("POST", SECRET, &[&id]).bearer()).await;
    api.call(app, call("POST", SECRET, &[&id])).await;
    api.call(app, call("POST", SECRET, &["oa-nope"]).bearer())
        .await;
    api.call(app, call("POST", SECRET, &[DECLARED]).bearer())
        .await;
    api.call(app, call("DELETE", TRIGGER, &[DECLARED]).bearer())
        .await;
    api.call(app, call("DELETE", TRIGGER, &[&id])).await;
    api.call(app, call("DELETE", TRIGGER, &[&id]).bearer())
        .await;
    api.call(app, call("DELETE", TRIGGER, &[&id]).bearer())
        .await;
}
