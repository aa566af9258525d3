//! Walk steps: continueChat through every message and action shape, and clientLogs.

use serde_json::{Value, json};

use crate::checker::call;
use crate::walk::{CONTINUE, LOGS_V1, LOGS_V2, START, World, sid};

/// continueChat through every message and action shape, and its errors.
pub async fn continue_route(w: &World) -> String {
    let (api, app, small) = (&w.api, &w.app, &w.small);
    let r = api
        .call(
            app,
            call("POST", START, &["oa-sink"]).json(json!({"isStreamEnabled": true})),
        )
        .await;
    let types: Vec<&str> = r.json["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["type"].as_str())
        .collect();
    assert_eq!(types, ["image", "video", "audio", "embed"]);
    let s = sid(&r);
    for (message, expect) in [
        (json!("A"), "httpRequestToExecute"),
        (
            json!("{\"statusCode\":200,\"data\":{}}"),
            "listenForWebhook",
        ),
        (json!("{}"), "stream"),
        (json!("Streamed text"), "wait"),
        (Value::Null, "input"),
    ] {
        // The pause is resumed by a call without a message.
        let body = if message.is_null() {
            json!({})
        } else {
            json!({"message": message})
        };
        let r = api
            .call(app, call("POST", CONTINUE, &[&s]).json(body))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let got = r.json["clientSideActions"]
            .as_array()
            .and_then(|a| a.last())
            .map(|a| a["type"].clone());
        if expect == "input" {
            assert!(r.json["input"].is_object(), "{}", r.text);
        } else {
            assert_eq!(got, Some(json!(expect)), "{}", r.text);
        }
    }
    let r = api
        .call(
            app,
            call("POST", CONTINUE, &[&s])
                .json(json!({"message": "ANN@EXAMPLE.COM", "textBubbleContentFormat": "markdown"})),
        )
        .await;
    assert_eq!(r.json["lastMessageNewFormat"], "ann@example.com");
    assert!(r.json.get("input").is_none(), "completed: no input");
    let r = api
        .call(
            app,
            call("POST", CONTINUE, &[&s]).json(json!({"message": "again"})),
        )
        .await;
    assert_eq!(r.json["code"], "session_finished");

    // Client-side HTTP request answered with something that is not JSON.
    let r = api
        .call(app, call("POST", START, &["oa-sink"]).json(json!({})))
        .await;
    let s = sid(&r);
    api.call(
        app,
        call("POST", CONTINUE, &[&s]).json(json!({"message": "A"})),
    )
    .await;
    let r = api
        .call(
            app,
            call("POST", CONTINUE, &[&s]).json(json!({"message": "not json"})),
        )
        .await;
    assert_eq!(r.json["code"], "invalid_client_response");

    // The chat bot: command, origin, idempotency, wrong types, too large, unknown session.
    let r = api
        .call(
            app,
            call("POST", START, &["oa-chat-public"]).json(json!({})),
        )
        .await;
    let chat = sid(&r);
    let r = api
        .call(
            app,
            call("POST", CONTINUE, &[&chat])
                .json(json!({"message": {"type": "command", "command": "help"}})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = api
        .call(
            app,
            call("POST", CONTINUE, &[&chat])
                .json(json!({"message": {"type": "command", "command": "nope"}})),
        )
        .await;
    assert_eq!(r.json["code"], "command_not_found");
    let r = api
        .call(
            app,
            call("POST", CONTINUE, &[&chat])
                .header("origin", "https://evil.example")
                .json(json!({"message": "x"})),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = api
        .call(
            app,
            call("POST", CONTINUE, &[&chat]).json(json!({"message": 5})),
        )
        .await;
    assert_eq!(r.json["details"]["field"], "message");
    let k = call("POST", CONTINUE, &[&chat]).header("idempotency-key", "oa-c");
    let files = json!(["https://files.example/1.pdf"]);
    let message = json!({"type": "text", "text": "Bob", "attachedFileUrls": files});
    let r = api.call(app, k.json(json!({ "message": message }))).await;
    assert_eq!(r.status, 200);
    let k = call("POST", CONTINUE, &[&chat]).header("idempotency-key", "oa-c");
    let r = api.call(app, k.json(json!({"message": "Bobby"}))).await;
    assert_eq!(r.json["code"], "idempotency_conflict");
    let big = json!({"message": "x".repeat(2000)});
    api.call(small, call("POST", CONTINUE, &[&chat]).json(big))
        .await;
    let r = api
        .call(
            app,
            call("POST", CONTINUE, &["no-such-session"]).json(json!({"message": "x"})),
        )
        .await;
    assert_eq!(r.json["code"], "session_not_found");
    chat
}

/// clientLogs, v1 and v2.
pub async fn client_logs(w: &World, chat: &str, preview_sid: &str) {
    let (api, app, small) = (&w.api, &w.app, &w.small);
    for route in [LOGS_V1, LOGS_V2] {
        let log = json!({"status": "error", "description": "boom", "details": {"a": 1}});
        let logs = json!({ "clientLogs": [log] });
        let r = api
            .call(app, call("POST", route, &[chat]).json(logs.clone()))
            .await;
        assert_eq!(r.status, 200);
        let r = api
            .call(
                app,
                call("POST", route, &[chat]).json(json!({"clientLogs": 5})),
            )
            .await;
        assert_eq!(r.json["details"]["field"], "clientLogs");
        let r = api
            .call(
                app,
                call("POST", route, &["no-such-session"]).json(logs.clone()),
            )
            .await;
        assert_eq!(r.json["code"], "session_not_found");
        let r = api
            .call(app, call("POST", route, &[preview_sid]).json(logs.clone()))
            .await;
        assert_eq!(r.json["code"], "result_not_found");
        let big = json!({"clientLogs": [{"description": "x".repeat(2000)}]});
        api.call(small, call("POST", route, &[chat]).json(big))
            .await;
    }
}

/// clientLogs takes at most 100 entries, as the document declares (`maxItems`): 100 are
/// saved, 101 are the documented 400 `invalid_request` naming `clientLogs`.
#[tokio::test]
async fn client_logs_over_the_limit_are_the_documented_400() {
    let (app, api) = crate::walk_bots::chat_app().await;
    let r = api
        .call(
            &app,
            call("POST", START, &["oa-chat-public"]).json(json!({})),
        )
        .await;
    let chat = sid(&r);
    let logs = |n: usize| json!({"clientLogs": vec![json!({"description": "boom"}); n]});
    let schema = &api.spec["components"]["schemas"]["ClientLogsRequest"];
    assert!(!crate::validator::check(&api.spec, schema, &logs(101)).is_empty());
    for route in [LOGS_V1, LOGS_V2] {
        let r = api
            .call(&app, call("POST", route, &[&chat]).json(logs(100)))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let r = api
            .call(&app, call("POST", route, &[&chat]).json(logs(101)))
            .await;
        assert_eq!(
            (r.status, &r.json["code"], &r.json["details"]["fields"]),
            (400, &json!("invalid_request"), &json!(["clientLogs"])),
            "{}",
            r.text
        );
    }
}

/// `"message": null` is a reply left out, as the document declares (`IncomingMessage` is
/// nullable): continueChat and startChat answer it exactly as they answer a body without
/// `message` (found by schemathesis on the Redis store: a null message was accepted while the
/// document said string or object).
#[tokio::test]
async fn a_null_message_is_answered_as_a_message_left_out() {
    let (app, api) = crate::walk_bots::chat_app().await;
    for (schema, body) in [
        ("ContinueChatRequest", json!({"message": null})),
        ("StartChatRequest", json!({"message": null})),
    ] {
        let schema = &api.spec["components"]["schemas"][schema];
        assert_eq!(
            crate::validator::check(&api.spec, schema, &body),
            Vec::<String>::new()
        );
    }
    let start = |body: Value| call("POST", START, &["oa-chat-public"]).json(body);
    let left_out = api.call(&app, start(json!({}))).await;
    let null = api.call(&app, start(json!({"message": null}))).await;
    assert_eq!((left_out.status, null.status), (200, 200), "{}", null.text);
    assert_eq!(
        (&null.json["messages"], &null.json["input"]),
        (&left_out.json["messages"], &left_out.json["input"])
    );
    let (a, b) = (sid(&left_out), sid(&null));
    let left_out = api
        .call(&app, call("POST", CONTINUE, &[&a]).json(json!({})))
        .await;
    let null = api
        .call(
            &app,
            call("POST", CONTINUE, &[&b]).json(json!({"message": null})),
        )
        .await;
    assert_eq!((left_out.status, null.status), (200, 200), "{}", null.text);
    assert_eq!(
        (&null.json["messages"], &null.json["input"]),
        (&left_out.json["messages"], &left_out.json["input"])
    );
}
