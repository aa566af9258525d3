//! The bots the walk publishes.

use serde_json::{Value, json};

use crate::checker::Checker;
use crate::common::app::{TestApp, spawn_app};
use crate::common::bots::{add_event, bot, input, text};

/// A server on the memory store with [`chat_bot`] published (public id `oa-chat-public`), and
/// the checker: where a test of one request shape starts.
pub async fn chat_app() -> (TestApp, Checker) {
    let app = spawn_app().await;
    assert_eq!(app.publish("oa-chat", &chat_bot()).await.0, 200);
    (app, Checker::new())
}

/// Asks a name and an email; allowed origins, progress bar, dynamic avatar, remember user, and
/// a `help` command.
pub fn chat_bot() -> Value {
    let mut b = bot(
        "oa-chat",
        json!([
            text("t-hello", "Hello {{Name}}"),
            input("i-name", "text input", "v-name"),
            input("i-email", "email input", "v-email"),
            text("t-bye", "Bye {{Email}}")
        ]),
        json!([{"id": "v-name", "name": "Name"}, {"id": "v-email", "name": "Email"},
               {"id": "v-avatar", "name": "Avatar", "value": "https://example.com/a.png"}]),
    );
    b["publicId"] = json!("oa-chat-public");
    b["theme"] = json!({"general": {"progressBar": {"isEnabled": true}},
                        "chat": {"hostAvatar": {"isEnabled": true, "url": "{{Avatar}}"}}});
    b["settings"] = json!({
        "general": {"rememberUser": {"isEnabled": true}},
        "security": {"allowedOrigins": ["https://allowed.example"]}
    });
    add_event(
        &mut b,
        json!({"id": "ev-help", "type": "command", "options": {"command": "help"}}),
        "g-help",
        json!([text("t-help", "Type your name."), {"id": "r-help", "type": "Return"}]),
    );
    b
}

/// Every bubble kind and every client-side action Tessera emits.
pub fn sink_bot() -> Value {
    bot(
        "oa-sink",
        json!([
            {"id": "b-img", "type": "image", "content": {"url": "https://example.com/a.png"}},
            {"id": "b-vid", "type": "video", "content": {"url": "https://example.com/a.mp4"}},
            {"id": "b-aud", "type": "audio", "content": {"url": "https://example.com/a.mp3"}},
            {"id": "b-emb", "type": "embed", "content": {"url": "https://example.com", "height": 400}},
            {"id": "b-red", "type": "Redirect", "options": {"url": "https://example.com/x", "isNewTab": true}},
            {"id": "b-code", "type": "Code", "options": {"content": "console.log({{Name}})"}},
            {"id": "b-wait", "type": "Wait", "options": {"secondsToWaitFor": "1"}},
            {"id": "b-cw", "type": "Chatwoot", "options": {"websiteToken": "tok"}},
            {"id": "b-ga", "type": "Google Analytics", "options": {"trackingId": "G-1", "action": "x"}},
            {"id": "b-px", "type": "Pixel", "options": {"pixelId": "123", "eventType": "Lead"}},
            {"id": "b-sv", "type": "Set variable", "options": {"variableId": "v-name", "type": "Custom",
                "expressionToEvaluate": "return 'A'", "isExecutedOnClient": true}},
            {"id": "b-http", "type": "Webhook", "options": {"isExecutedOnClient": true,
                "webhook": {"url": "https://example.com/h", "method": "POST"}}},
            {"id": "b-listen", "type": "webhook", "options": {}},
            {"id": "b-ai", "type": "openai", "options": {"action": "Create chat completion",
                "responseMapping": [{"item": "Message content", "variableId": "v-reply"}]}},
            text("b-reply", "{{Reply}}"),
            {"id": "b-pause", "type": "Wait", "options": {"secondsToWaitFor": "0", "shouldPause": true}},
            input("b-email", "email input", "v-email"),
            text("b-end", "Bye {{Email}}")
        ]),
        json!([{"id": "v-name", "name": "Name"}, {"id": "v-email", "name": "Email"},
               {"id": "v-reply", "name": "Reply"}]),
    )
}

/// A bot with an error (a jump to a missing group) and a warning (a missing start edge).
pub fn broken_bot() -> Value {
    let mut b = bot(
        "oa-broken",
        json!([{"id": "j", "type": "Jump", "options": {"groupId": "nowhere"}}]),
        json!([]),
    );
    b["events"][0]["outgoingEdgeId"] = json!("missing-edge");
    b
}
