//! startChat: what a start returns, the routes that start (by public id or id, the Mozbot route,
//! bundled bots), a first message, streaming, trackers, theme and progress, closed bots and
//! missing payment credentials.

use serde_json::{Value, json};

use crate::common::app::{TOKEN, spawn_app, spawn_app_with};
use crate::common::bots::{bot, input, text, var};
use crate::common::replies::{assert_error, said, session_id};
use crate::common::temp::TempDir;
use crate::support::{cont, greeter, preview, publish, results, start};

#[tokio::test]
async fn start_chat_returns_the_session_the_result_the_bot_its_messages_and_the_input() {
    let app = spawn_app().await;
    let mut b = greeter("greeter");
    b["publicId"] = json!("greeter-public");
    publish(&app, &b).await;
    let (status, body) = start(&app, "greeter-public", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["sessionId"].is_string() && body["resultId"].is_string());
    assert_eq!(
        body["typebot"]["id"], "greeter",
        "the id, not the public id"
    );
    assert_eq!(body["typebot"]["version"], "6.1");
    assert!(body["typebot"]["publishedAt"].is_string());
    assert_eq!(said(&body), ["Hello "]);
    assert_eq!(body["input"]["id"], "i-name");
    assert_eq!(body["input"]["type"], "text input");
    assert!(body.get("clientSideActions").is_none() && body.get("logs").is_none());
}

#[tokio::test]
async fn start_chat_also_finds_a_bot_by_its_id() {
    let app = spawn_app().await;
    let mut b = greeter("by-id");
    b["publicId"] = json!("by-id-public");
    publish(&app, &b).await;
    let (status, body) = start(&app, "by-id", json!({})).await;
    assert_eq!(
        (status, body["typebot"]["id"].clone()),
        (200, json!("by-id"))
    );
}

#[tokio::test]
async fn start_chat_with_a_message_answers_a_first_input() {
    let app = spawn_app().await;
    let b = bot(
        "first-input",
        json!([
            input("i-name", "text input", "v-name"),
            text("t", "Hi {{Name}}"),
            input("i-more", "text input", "v-more")
        ]),
        json!([var("v-name", "Name"), var("v-more", "More")]),
    );
    publish(&app, &b).await;
    let (status, body) = start(&app, "first-input", json!({"message": "Ann"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(said(&body), ["Hi Ann"]);
    assert_eq!(body["input"]["id"], "i-more");
}

/// An AI block whose reply is shown by the next bubble, then a question.
fn ai_bot(id: &str) -> Value {
    bot(
        id,
        json!([
            {"id": "b-ai", "type": "openai", "options": {"action": "Create chat completion",
                "responseMapping": [{"item": "Message content", "variableId": "v-reply"}]}},
            text("b-reply", "{{Reply}}"),
            input("i-next", "text input", "v-next")
        ]),
        json!([var("v-reply", "Reply"), var("v-next", "Next")]),
    )
}

#[tokio::test]
async fn start_chat_with_stream_enabled_asks_the_client_to_stream_the_ai_reply() {
    let app = spawn_app().await;
    publish(&app, &ai_bot("stream")).await;
    let (status, body) = start(&app, "stream", json!({"isStreamEnabled": true})).await;
    assert_eq!(status, 200, "{body}");
    let actions = body["clientSideActions"].as_array().expect("actions");
    assert_eq!(actions.len(), 1, "{body}");
    assert_eq!(actions[0]["type"], "stream");
    assert_eq!(actions[0]["stream"], true);
    assert_eq!(actions[0]["expectsDedicatedReply"], true);
    assert!(body.get("input").is_none());
    // The streamed text is the next message; the flow goes on to the question.
    let (status, body) = cont(
        &app,
        &session_id(&body),
        json!({"message": "Streamed text"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["input"]["id"], "i-next");
    let r = results(&app, "stream").await;
    assert_eq!(r["results"][0]["variables"]["Reply"], "Streamed text");
}

#[tokio::test]
async fn start_chat_without_stream_skips_the_ai_block_with_an_error_log() {
    let app = spawn_app().await;
    publish(&app, &ai_bot("nostream")).await;
    let (status, body) = start(&app, "nostream", json!({"isStreamEnabled": false})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("clientSideActions").is_none(), "{body}");
    assert_eq!(body["logs"][0]["status"], "error");
    assert_eq!(body["input"]["id"], "i-next");
}

#[tokio::test]
async fn mozbot_route_returns_the_bot_under_the_mozbot_key() {
    let app = spawn_app().await;
    publish(&app, &greeter("moz")).await;
    let (status, body) = app
        .post(
            "/api/v1/mozbots/moz/startChat",
            &json!({"prefilledVariables": {"Name": "Ann"}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["mozbot"]["id"], "moz");
    assert!(body["mozbot"]["publishedAt"].is_string());
    assert!(body.get("typebot").is_none());
    assert_eq!(said(&body), ["Hello Ann"]);
    let (status, body) = cont(&app, &session_id(&body), json!({"message": "Bob"})).await;
    assert_eq!(
        (status, said(&body)),
        (200, vec!["Nice to meet you Bob".to_string()])
    );
}

#[tokio::test]
async fn mozbot_route_returns_404_for_an_unknown_bot() {
    let app = spawn_app().await;
    let got = app.post("/api/v1/mozbots/nope/startChat", &json!({})).await;
    assert_error(&got, 404, "flow_not_found");
}

#[tokio::test]
async fn a_payment_input_without_credentials_returns_400_and_with_unknown_ones_404() {
    let app = spawn_app().await;
    let pay = |id: &str, options: Value| {
        bot(
            id,
            json!([{"id": "p", "type": "payment input", "options": options}]),
            json!([]),
        )
    };
    publish(&app, &pay("pay-none", json!({}))).await;
    publish(&app, &pay("pay-unknown", json!({"credentialsId": "nope"}))).await;
    assert_error(
        &start(&app, "pay-none", json!({})).await,
        400,
        "missing_credentials",
    );
    assert_error(
        &start(&app, "pay-unknown", json!({})).await,
        404,
        "credentials_not_found",
    );
}

#[tokio::test]
async fn progress_and_dynamic_theme_follow_the_theme_and_the_variables() {
    let app = spawn_app().await;
    let mut b = bot(
        "themed",
        json!([
            input("i-avatar", "url input", "v-avatar"),
            input("i-name", "text input", "v-name"),
            text("t", "Bye")
        ]),
        json!([{"id": "v-avatar", "name": "Avatar", "value": "https://img.example/1.png"},
               var("v-name", "Name")]),
    );
    b["theme"] = json!({"general": {"progressBar": {"isEnabled": true}},
                        "chat": {"hostAvatar": {"isEnabled": true, "url": "{{Avatar}}"}}});
    publish(&app, &b).await;
    let (_, s) = start(&app, "themed", json!({})).await;
    assert_eq!(
        s["dynamicTheme"]["hostAvatarUrl"],
        "https://img.example/1.png"
    );
    assert_eq!(
        s["typebot"]["theme"]["chat"]["hostAvatar"]["url"],
        "https://img.example/1.png"
    );
    let p0 = s["progress"].as_f64().expect("progress");
    let sid = session_id(&s);
    let (_, body) = cont(&app, &sid, json!({"message": "https://img.example/2.png"})).await;
    assert_eq!(
        body["dynamicTheme"]["hostAvatarUrl"],
        "https://img.example/2.png"
    );
    let p1 = body["progress"].as_f64().expect("progress");
    assert!(0.0 < p0 && p0 < p1 && p1 < 100.0, "{p0} {p1}");
    let (_, body) = cont(&app, &sid, json!({"message": "Ann"})).await;
    assert_eq!(body["progress"], json!(100.0), "over");
    publish(&app, &greeter("plain-theme")).await;
    let (_, s) = start(&app, "plain-theme", json!({})).await;
    assert!(s.get("progress").is_none() && s.get("dynamicTheme").is_none());
}

#[tokio::test]
async fn live_starts_ask_the_page_to_inject_the_bots_trackers_first() {
    let app = spawn_app().await;
    let mut b = bot(
        "tracked",
        json!([
            {"id": "ga", "type": "Google Analytics", "options": {"trackingId": "G-TEST123", "action": "start"}},
            {"id": "px", "type": "Pixel", "options": {"pixelId": "42", "eventType": "Lead"}},
            input("q", "text input", "v-a")
        ]),
        json!([var("v-a", "A")]),
    );
    b["settings"] = json!({"metadata": {"googleTagManagerId": "GTM-XYZ", "customHeadCode": "<meta name=\"x\" content=\"y\">"}});
    publish(&app, &b).await;
    let (status, body) = start(&app, "tracked", json!({})).await;
    assert_eq!(status, 200, "{body}");
    let actions = body["clientSideActions"].as_array().expect("actions");
    assert_eq!(actions[0]["type"], "startPropsToInject", "{body}");
    assert_eq!(
        actions[0]["startPropsToInject"],
        json!({"googleAnalyticsId": "G-TEST123", "pixelIds": ["42"], "gtmId": "GTM-XYZ",
               "customHeadCode": "<meta name=\"x\" content=\"y\">"})
    );
    assert_eq!(actions[1]["type"], "googleAnalytics");
    assert_eq!(actions[2]["type"], "pixel");
    // Previews never inject anything.
    let (status, body) = preview(&app, "tracked", Some(TOKEN), json!({})).await;
    assert_eq!(status, 200, "{body}");
    let none = body["clientSideActions"]
        .as_array()
        .is_none_or(|a| a.iter().all(|x| x["type"] != "startPropsToInject"));
    assert!(none, "{body}");
}

#[tokio::test]
async fn bundled_bots_are_reached_by_public_id_by_id_and_else_by_file_name() {
    let dir = TempDir::new("flows");
    let mut with_public = greeter("id-one");
    with_public["publicId"] = json!("public-one");
    let without_public = greeter("id-two");
    let mut without_id = greeter("ignored");
    without_id.as_object_mut().expect("object").remove("id");
    for (name, b) in [
        ("one.json", &with_public),
        ("two.json", &without_public),
        ("three.json", &without_id),
    ] {
        std::fs::write(dir.path().join(name), b.to_string()).expect("write");
    }
    let app = spawn_app_with(|c| c.flows = Some(dir.path().to_path_buf())).await;
    // By public id; by id (always); by file name when the bot has no public id.
    for public_id in ["public-one", "id-one", "two", "id-two", "three"] {
        let (status, body) = start(&app, public_id, json!({})).await;
        assert_eq!(status, 200, "{public_id}: {body}");
    }
    let (status, _) = start(&app, "one", json!({})).await;
    assert_eq!(
        status, 404,
        "a bot with a public id is not reached by its file name"
    );
}

#[tokio::test]
async fn closed_bots_answer_their_closed_message_and_archived_ones_are_not_found() {
    let app = spawn_app().await;
    let mut closed = greeter("closed-bot");
    closed["isClosed"] = json!(true);
    closed["settings"] = json!({"general": {"systemMessages": {"botClosed": "Back on Monday"}}});
    let mut archived = greeter("archived-bot");
    archived["isArchived"] = json!(true);
    publish(&app, &closed).await;
    publish(&app, &archived).await;
    let got = start(&app, "closed-bot", json!({})).await;
    assert_error(&got, 400, "bot_closed");
    assert_eq!(got.1["message"], "Back on Monday");
    assert_error(
        &start(&app, "archived-bot", json!({})).await,
        404,
        "flow_not_found",
    );
}
