//! The HTTP API, end to end: the real server on port 0, small bots published inline, every
//! request flag of the chat API and every error the routes document (see openapi.yaml).

mod common;

use std::time::Duration;

use common::app::{TOKEN, TestApp, spawn_app, spawn_app_with};
use common::bots::{add_event, bot, input, slow_questions, text, three_questions, var, webhook};
use common::http::{into_json, parse, post_raw};
use common::http_stub::slow_server;
use common::replies::{assert_error, said, session_id};
use common::temp::TempDir;
use serde_json::{Value, json};

// ------------------------------------------------------------------------------------------
// Bots
// ------------------------------------------------------------------------------------------

/// Says hello, asks a name, says it, asks an email, says bye.
fn greeter(id: &str) -> Value {
    bot(
        id,
        json!([
            text("t-hello", "Hello {{Name}}"),
            input("i-name", "text input", "v-name"),
            text("t-nice", "Nice to meet you {{Name}}"),
            input("i-email", "email input", "v-email"),
            text("t-bye", "Bye {{Email}}")
        ]),
        json!([var("v-name", "Name"), var("v-email", "Email")]),
    )
}

// ------------------------------------------------------------------------------------------
// HTTP helpers
// ------------------------------------------------------------------------------------------

async fn publish(app: &TestApp, b: &Value) {
    let id = b["id"].as_str().expect("bot id");
    let (status, body) = app.publish(id, b).await;
    assert_eq!(status, 200, "publishing {id}: {body}");
}

async fn start(app: &TestApp, public_id: &str, body: Value) -> (u16, Value) {
    app.post(&format!("/api/v1/typebots/{public_id}/startChat"), &body)
        .await
}

async fn cont(app: &TestApp, session: &str, body: Value) -> (u16, Value) {
    app.post(&format!("/api/v1/sessions/{session}/continueChat"), &body)
        .await
}

async fn preview(app: &TestApp, id: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut rb = app
        .client
        .post(format!(
            "{}/api/v1/typebots/{id}/preview/startChat",
            app.base
        ))
        .json(&body);
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    into_json(rb.send().await.expect("request")).await
}

/// A request with extra headers; the response as (status, JSON or text).
async fn post_with(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let mut rb = app
        .client
        .post(format!("{}{path}", app.base))
        .header("content-type", "application/json")
        .body(body);
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    into_json(rb.send().await.expect("request")).await
}

async fn get(app: &TestApp, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut rb = app.client.get(format!("{}{path}", app.base));
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    rb.send().await.expect("request")
}

async fn delete(app: &TestApp, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut rb = app.client.delete(format!("{}{path}", app.base));
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    into_json(rb.send().await.expect("request")).await
}

async fn results(app: &TestApp, flow: &str) -> Value {
    let r = get(app, &format!("/api/v1/flows/{flow}/results"), Some(TOKEN)).await;
    assert_eq!(r.status().as_u16(), 200);
    r.json().await.expect("results JSON")
}

// ------------------------------------------------------------------------------------------
// startChat and continueChat
// ------------------------------------------------------------------------------------------

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
async fn continue_chat_accepts_the_message_as_a_plain_string() {
    let app = spawn_app().await;
    publish(&app, &greeter("plain")).await;
    let (_, s) = start(&app, "plain", json!({})).await;
    let (status, body) = cont(&app, &session_id(&s), json!({"message": "Ann"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(said(&body), ["Nice to meet you Ann"]);
    assert_eq!(body["input"]["id"], "i-email");
}

#[tokio::test]
async fn continue_chat_accepts_a_text_message_object_with_attached_file_urls() {
    let app = spawn_app().await;
    let b = bot(
        "files",
        json!([
            {"id": "i-note", "type": "text input", "options": {"variableId": "v-note",
                "attachments": {"isEnabled": true, "saveVariableId": "v-files"}}},
            text("t-got", "Got {{Note}}")
        ]),
        json!([var("v-note", "Note"), var("v-files", "Files")]),
    );
    publish(&app, &b).await;
    let (_, s) = start(&app, "files", json!({})).await;
    let urls = ["https://files.example/1.pdf", "https://files.example/2.png"];
    let msg = json!({"message": {"type": "text", "text": "See files", "attachedFileUrls": urls}});
    let (status, body) = cont(&app, &session_id(&s), msg).await;
    assert_eq!(
        (status, said(&body)),
        (200, vec!["Got See files".to_string()])
    );
    let r = results(&app, "files").await;
    let result = &r["results"][0];
    let answer = &result["answers"][0];
    assert_eq!(
        answer["content"],
        format!("{}, {}\n\nSee files", urls[0], urls[1])
    );
    assert_eq!(answer["attachedFileUrls"], json!(urls));
    assert_eq!(result["variables"]["Files"], json!(urls));
    assert_eq!(result["variables"]["Note"], "See files");
}

#[tokio::test]
async fn continue_chat_accepts_an_audio_message_as_the_answer_to_a_text_input() {
    let app = spawn_app().await;
    let b = bot(
        "audio",
        json!([
            {"id": "i-voice", "type": "text input", "options": {"variableId": "v-answer",
                "audioClip": {"isEnabled": true, "saveVariableId": "v-clip"}}},
            text("t-end", "Thanks")
        ]),
        json!([var("v-answer", "Answer"), var("v-clip", "Clip")]),
    );
    publish(&app, &b).await;
    let (_, s) = start(&app, "audio", json!({})).await;
    let url = "https://media.example/clip.mp3";
    let (status, body) = cont(
        &app,
        &session_id(&s),
        json!({"message": {"type": "audio", "url": url}}),
    )
    .await;
    assert_eq!((status, said(&body)), (200, vec!["Thanks".to_string()]));
    let r = results(&app, "audio").await;
    assert_eq!(r["results"][0]["answers"][0]["content"], url);
    assert_eq!(r["results"][0]["variables"]["Clip"], url);
}

#[tokio::test]
async fn continue_chat_with_a_command_message_runs_the_command_event() {
    let app = spawn_app().await;
    let mut b = greeter("cmd");
    add_event(
        &mut b,
        json!({"id": "ev-help", "type": "command", "options": {"command": "help"}}),
        "g-help",
        json!([text("t-help", "Just type your name."), {"id": "r", "type": "Return"}]),
    );
    publish(&app, &b).await;
    let (_, s) = start(&app, "cmd", json!({})).await;
    let sid = session_id(&s);
    let (status, body) = cont(
        &app,
        &sid,
        json!({"message": {"type": "command", "command": "help"}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(said(&body), ["Just type your name."]);
    assert_eq!(body["input"]["id"], "i-name", "back to the question");
    let (_, body) = cont(&app, &sid, json!({"message": "Ann"})).await;
    assert_eq!(said(&body), ["Nice to meet you Ann"]);
}

#[tokio::test]
async fn continue_chat_returns_400_command_not_found_for_an_unknown_command() {
    let app = spawn_app().await;
    publish(&app, &greeter("nocmd")).await;
    let (_, s) = start(&app, "nocmd", json!({})).await;
    let got = cont(
        &app,
        &session_id(&s),
        json!({"message": {"type": "command", "command": "nope"}}),
    )
    .await;
    assert_error(&got, 400, "command_not_found");
}

#[tokio::test]
async fn continue_chat_returns_400_for_a_message_object_without_its_field_or_of_unknown_type() {
    let app = spawn_app().await;
    publish(&app, &greeter("fields")).await;
    let (_, s) = start(&app, "fields", json!({})).await;
    let sid = session_id(&s);
    for (message, mention) in [
        (json!({"type": "text"}), "message.text"),
        (json!({"type": "audio"}), "message.url"),
        (json!({"type": "command"}), "message.command"),
        (json!({"type": "video", "url": "x"}), "message"),
    ] {
        let got = cont(&app, &sid, json!({ "message": message })).await;
        assert_error(&got, 400, "invalid_request");
        let m = got.1["message"].as_str().unwrap_or_default();
        assert!(m.contains(mention), "{m} should mention {mention}");
    }
    // The session did not move.
    let (_, body) = cont(&app, &sid, json!({"message": "Ann"})).await;
    assert_eq!(said(&body), ["Nice to meet you Ann"]);
}

#[tokio::test]
async fn continue_chat_answers_an_invalid_reply_with_the_retry_message_and_the_same_input() {
    let app = spawn_app().await;
    let b = bot(
        "retry",
        json!([
            {"id": "i-email", "type": "email input",
             "options": {"variableId": "v-email", "retryMessageContent": "That is no email."}},
            input("i-age", "number input", "v-age"),
            text("t", "ok")
        ]),
        json!([var("v-email", "Email"), var("v-age", "Age")]),
    );
    publish(&app, &b).await;
    let (_, s) = start(&app, "retry", json!({})).await;
    let sid = session_id(&s);
    let (status, body) = cont(&app, &sid, json!({"message": "not an email"})).await;
    assert_eq!(status, 200);
    assert_eq!(said(&body), ["That is no email."]);
    assert_eq!(body["input"]["id"], "i-email");
    let (_, body) = cont(&app, &sid, json!({"message": "ann@example.com"})).await;
    assert_eq!(body["input"]["id"], "i-age");
    let (_, body) = cont(&app, &sid, json!({"message": "forty"})).await;
    assert_eq!(
        said(&body),
        ["Invalid message. Please, try again."],
        "the default"
    );
    assert_eq!(body["input"]["id"], "i-age");
}

#[tokio::test]
async fn continue_chat_returns_the_normalised_answer_as_last_message_new_format() {
    let app = spawn_app().await;
    publish(&app, &greeter("normal")).await;
    let (_, s) = start(&app, "normal", json!({})).await;
    let sid = session_id(&s);
    let (_, body) = cont(&app, &sid, json!({"message": "Ann"})).await;
    assert!(body.get("lastMessageNewFormat").is_none());
    let (_, body) = cont(&app, &sid, json!({"message": "ANN@EXAMPLE.COM"})).await;
    assert_eq!(body["lastMessageNewFormat"], "ann@example.com");
    assert_eq!(said(&body), ["Bye ann@example.com"]);
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

// ------------------------------------------------------------------------------------------
// resultId and remember user
// ------------------------------------------------------------------------------------------

fn remembering(id: &str) -> Value {
    let mut b = greeter(id);
    b["settings"] = json!({"general": {"rememberUser": {"isEnabled": true}}});
    b
}

/// Starts and answers the name: the result id.
async fn result_with_name(app: &TestApp, public_id: &str, name: &str) -> String {
    let (_, s) = start(app, public_id, json!({})).await;
    let (status, _) = cont(app, &session_id(&s), json!({ "message": name })).await;
    assert_eq!(status, 200);
    s["resultId"].as_str().expect("resultId").to_string()
}

#[tokio::test]
async fn start_chat_with_remember_user_reuses_the_result_and_restores_its_variables() {
    let app = spawn_app().await;
    publish(&app, &remembering("remember")).await;
    let rid = result_with_name(&app, "remember", "Ann").await;
    let (status, body) = start(&app, "remember", json!({ "resultId": rid })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["resultId"], json!(rid), "same result");
    assert_eq!(said(&body), ["Hello Ann"], "variables restored");
    assert_eq!(body["input"]["prefilledValue"], "Ann");
    let r = results(&app, "remember").await;
    assert_eq!(r["results"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn start_chat_ignores_the_result_id_when_remember_user_is_off() {
    let app = spawn_app().await;
    publish(&app, &greeter("forget")).await;
    let rid = result_with_name(&app, "forget", "Ann").await;
    let (_, body) = start(&app, "forget", json!({ "resultId": rid })).await;
    assert!(body["resultId"].is_string());
    assert_ne!(body["resultId"], json!(rid));
    assert_eq!(said(&body), ["Hello "], "nothing restored");
}

#[tokio::test]
async fn start_chat_never_reuses_a_result_of_another_bot() {
    let app = spawn_app().await;
    publish(&app, &remembering("owner")).await;
    publish(&app, &remembering("intruder")).await;
    let rid = result_with_name(&app, "owner", "Secret Ann").await;
    let (_, body) = start(&app, "intruder", json!({ "resultId": rid })).await;
    assert_ne!(
        body["resultId"],
        json!(rid),
        "another bot's result is not adopted"
    );
    assert_eq!(said(&body), ["Hello "], "its variables are not leaked");
    let owner = results(&app, "owner").await;
    assert_eq!(owner["results"][0]["variables"]["Name"], "Secret Ann");
    let intruder = results(&app, "intruder").await;
    assert!(
        intruder["results"]
            .as_array()
            .expect("results")
            .iter()
            .all(|r| r["id"] != json!(rid))
    );
}

#[tokio::test]
async fn start_chat_with_an_unknown_result_id_creates_a_new_one() {
    let app = spawn_app().await;
    publish(&app, &remembering("unknown-rid")).await;
    let (_, body) = start(&app, "unknown-rid", json!({"resultId": "chosen-by-client"})).await;
    assert!(body["resultId"].is_string());
    assert_ne!(body["resultId"], "chosen-by-client");
}

// ------------------------------------------------------------------------------------------
// isOnlyRegistering and prefilledVariables
// ------------------------------------------------------------------------------------------

#[tokio::test]
async fn start_chat_only_registering_returns_no_result_id_and_runs_nothing() {
    let app = spawn_app().await;
    publish(&app, &greeter("register")).await;
    let (status, body) = start(&app, "register", json!({"isOnlyRegistering": true})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["sessionId"].is_string());
    assert!(body.get("resultId").is_none(), "{body}");
    assert_eq!(body["typebot"]["id"], "register");
    assert_eq!(body["messages"], json!([]));
    assert!(body.get("input").is_none());
    let r = results(&app, "register").await;
    assert_eq!(r["results"], json!([]), "no result is written");
}

#[tokio::test]
async fn first_continue_chat_after_registering_starts_the_flow_with_prefilled_variables_kept() {
    let app = spawn_app().await;
    publish(&app, &greeter("register2")).await;
    let (_, s) = start(
        &app,
        "register2",
        json!({"isOnlyRegistering": true, "prefilledVariables": {"Name": "Ann"}}),
    )
    .await;
    let (status, body) = cont(&app, &session_id(&s), json!({"message": "hi"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(said(&body), ["Hello Ann"]);
    assert_eq!(body["input"]["id"], "i-name");
    assert_eq!(body["input"]["prefilledValue"], "Ann");
}

#[tokio::test]
async fn first_continue_chat_after_registering_answers_a_first_input_with_its_message() {
    let app = spawn_app().await;
    publish(&app, &three_questions("register3")).await;
    let (_, s) = start(&app, "register3", json!({"isOnlyRegistering": true})).await;
    let (status, body) = cont(&app, &session_id(&s), json!({"message": "first"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["input"]["id"], "q2", "the message answered q1");
    let r = results(&app, "register3").await;
    assert_eq!(r["results"][0]["variables"]["A"], "first");
}

#[tokio::test]
async fn start_chat_prefills_variables_by_exact_name_only() {
    let app = spawn_app().await;
    publish(&app, &greeter("prefill")).await;
    let (_, body) = start(
        &app,
        "prefill",
        json!({"prefilledVariables": {"name": "lower", "NAME": "upper", "Unknown": "x"}}),
    )
    .await;
    assert_eq!(said(&body), ["Hello "], "names are case-sensitive");
    let (_, body) = start(
        &app,
        "prefill",
        json!({"prefilledVariables": {"Name": "Ann"}}),
    )
    .await;
    assert_eq!(said(&body), ["Hello Ann"]);
    let (_, body) = start(&app, "prefill", json!({"prefilledVariables": {"Name": 42}})).await;
    assert_eq!(said(&body), ["Hello 42"], "any JSON value, stringified");
}

#[tokio::test]
async fn prefillable_variables_setting_restricts_which_variables_can_be_prefilled() {
    let app = spawn_app().await;
    let mut b = bot(
        "restricted",
        json!([
            text("t", "{{Name}}/{{Role}}"),
            input("i", "text input", "v-name")
        ]),
        json!([var("v-name", "Name"), var("v-role", "Role")]),
    );
    b["settings"] = json!({"tessera": {"prefillableVariables": ["Name"]}});
    publish(&app, &b).await;
    let (status, body) = start(
        &app,
        "restricted",
        json!({"prefilledVariables": {"Name": "Ann", "Role": "admin"}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(said(&body), ["Ann/"], "Role may not be prefilled");
}

// ------------------------------------------------------------------------------------------
// textBubbleContentFormat
// ------------------------------------------------------------------------------------------

fn bold_bot(id: &str) -> Value {
    let bold = json!({"id": "t-bold", "type": "text", "content": {"richText": [
        {"type": "p", "children": [{"text": "Hello "}, {"text": "world", "bold": true}]}]}});
    bot(
        id,
        json!([
            bold,
            input("i", "text input", "v"),
            text("t-after", "You said {{V}}"),
            input("i2", "text input", "v2")
        ]),
        json!([var("v", "V"), var("v2", "V2")]),
    )
}

#[tokio::test]
async fn start_chat_returns_markdown_text_bubbles_when_asked() {
    let app = spawn_app().await;
    publish(&app, &bold_bot("md-start")).await;
    let (_, body) = start(
        &app,
        "md-start",
        json!({"textBubbleContentFormat": "markdown"}),
    )
    .await;
    let content = &body["messages"][0]["content"];
    assert_eq!(content["type"], "markdown", "{body}");
    assert_eq!(content["markdown"], "Hello **world**");
    let (_, body) = start(
        &app,
        "md-start",
        json!({"textBubbleContentFormat": "richText"}),
    )
    .await;
    assert_eq!(body["messages"][0]["content"]["type"], "richText");
    let (_, body) = start(&app, "md-start", json!({})).await;
    assert_eq!(
        body["messages"][0]["content"]["type"], "richText",
        "the default"
    );
}

#[tokio::test]
async fn continue_chat_returns_markdown_text_bubbles_when_asked() {
    let app = spawn_app().await;
    publish(&app, &bold_bot("md-continue")).await;
    let (_, s) = start(&app, "md-continue", json!({})).await;
    let (_, body) = cont(
        &app,
        &session_id(&s),
        json!({"message": "*hi*", "textBubbleContentFormat": "markdown"}),
    )
    .await;
    let content = &body["messages"][0]["content"];
    assert_eq!(content["type"], "markdown", "{body}");
    assert!(
        content["markdown"]
            .as_str()
            .is_some_and(|m| m.starts_with("You said"))
    );
}

#[tokio::test]
async fn text_bubble_content_format_must_be_rich_text_or_markdown() {
    let app = spawn_app().await;
    publish(&app, &bold_bot("md-bad")).await;
    let got = start(&app, "md-bad", json!({"textBubbleContentFormat": "html"})).await;
    assert_error(&got, 400, "invalid_request");
    assert_eq!(got.1["details"]["field"], "textBubbleContentFormat");
}

// ------------------------------------------------------------------------------------------
// The Mozbot route
// ------------------------------------------------------------------------------------------

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

// ------------------------------------------------------------------------------------------
// Preview
// ------------------------------------------------------------------------------------------

#[tokio::test]
async fn preview_start_chat_returns_401_without_a_token() {
    let app = spawn_app().await;
    publish(&app, &greeter("p401")).await;
    let got = preview(&app, "p401", None, json!({})).await;
    assert_error(&got, 401, "unauthorized");
}

#[tokio::test]
async fn preview_start_chat_returns_401_with_a_wrong_token() {
    let app = spawn_app().await;
    publish(&app, &greeter("p401b")).await;
    let got = preview(&app, "p401b", Some("not-the-token"), json!({})).await;
    assert_error(&got, 401, "unauthorized");
    let got = preview(&app, "p401b", Some("test-token-but-longer"), json!({})).await;
    assert_error(&got, 401, "unauthorized");
}

#[tokio::test]
async fn preview_start_chat_401_says_to_set_tessera_api_token_when_none_is_configured() {
    let app = spawn_app_with(|c| c.api_token = None).await;
    let inline = json!({"typebot": greeter("inline")});
    let got = preview(&app, "inline", Some(TOKEN), inline).await;
    assert_error(&got, 401, "unauthorized");
    let message = got.1["message"].as_str().unwrap_or_default();
    assert!(message.contains("TESSERA_API_TOKEN"), "{message}");
}

#[tokio::test]
async fn preview_start_chat_runs_an_inline_bot_that_is_not_published() {
    let app = spawn_app().await;
    let mut inline = greeter("draft");
    inline.as_object_mut().expect("bot").remove("id");
    let (status, body) = preview(
        &app,
        "draft",
        Some(TOKEN),
        json!({"typebot": inline, "prefilledVariables": {"Name": "Ann"}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["typebot"]["id"], "draft",
        "the path id fills a missing id"
    );
    assert_eq!(said(&body), ["Hello Ann"]);
    assert_eq!(body["input"]["id"], "i-name");
    let got = start(&app, "draft", json!({})).await;
    assert_error(&got, 404, "flow_not_found");
}

#[tokio::test]
async fn continue_chat_goes_on_with_an_inline_preview_bot() {
    let app = spawn_app().await;
    let inline = greeter("draft-continue");
    let (status, body) = preview(
        &app,
        "draft-continue",
        Some(TOKEN),
        json!({"typebot": inline}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let got = cont(&app, &session_id(&body), json!({"message": "Bob"})).await;
    assert_eq!(got.0, 200, "{}", got.1);
    assert_eq!(said(&got.1), ["Nice to meet you Bob"]);
}

/// A greeter with a second group ("g-other") reached by a command event.
fn two_entries(id: &str) -> Value {
    let mut b = greeter(id);
    add_event(
        &mut b,
        json!({"id": "ev-other", "type": "command", "options": {"command": "other"}}),
        "g-other",
        json!([
            text("t-other", "Other entry"),
            input("i-other", "text input", "v-name")
        ]),
    );
    b
}

#[tokio::test]
async fn preview_start_chat_starts_from_a_group() {
    let app = spawn_app().await;
    let body = json!({"typebot": two_entries("from-group"),
                      "startFrom": {"type": "group", "groupId": "g-other"}});
    let (status, body) = preview(&app, "from-group", Some(TOKEN), body).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(said(&body), ["Other entry"]);
    assert_eq!(body["input"]["id"], "i-other");
}

#[tokio::test]
async fn preview_start_chat_starts_from_an_event() {
    let app = spawn_app().await;
    publish(&app, &two_entries("from-event")).await;
    let body = json!({"startFrom": {"type": "event", "eventId": "ev-other"}});
    let (status, body) = preview(&app, "from-event", Some(TOKEN), body).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(said(&body), ["Other entry"]);
}

#[tokio::test]
async fn preview_start_chat_returns_400_for_an_unknown_start_group_or_event() {
    let app = spawn_app().await;
    publish(&app, &two_entries("bad-start")).await;
    let got = preview(
        &app,
        "bad-start",
        Some(TOKEN),
        json!({"startFrom": {"type": "group", "groupId": "nope"}}),
    )
    .await;
    assert_error(&got, 400, "start_group_not_found");
    let got = preview(
        &app,
        "bad-start",
        Some(TOKEN),
        json!({"startFrom": {"type": "event", "eventId": "nope"}}),
    )
    .await;
    assert_error(&got, 400, "start_event_not_found");
    let got = preview(
        &app,
        "bad-start",
        Some(TOKEN),
        json!({"startFrom": {"type": "block", "blockId": "t-hello"}}),
    )
    .await;
    assert_error(&got, 400, "invalid_request");
    assert_eq!(got.1["details"]["field"], "startFrom.type");
}

#[tokio::test]
async fn preview_start_chat_returns_422_listing_the_issues_of_an_invalid_inline_bot() {
    let app = spawn_app().await;
    let broken = bot(
        "broken-inline",
        json!([{"id": "j-nowhere", "type": "Jump", "options": {"groupId": "missing"}}]),
        json!([]),
    );
    let got = preview(
        &app,
        "broken-inline",
        Some(TOKEN),
        json!({"typebot": broken}),
    )
    .await;
    assert_error(&got, 422, "flow_invalid");
    let issues = got.1["details"]["issues"].as_array().expect("issues");
    assert!(
        issues.iter().any(|i| i["location"]["id"] == "j-nowhere"),
        "{issues:?}"
    );
}

#[tokio::test]
async fn preview_start_chat_returns_404_for_an_unpublished_bot_id() {
    let app = spawn_app().await;
    let got = preview(&app, "never-published", Some(TOKEN), json!({})).await;
    assert_error(&got, 404, "flow_not_found");
}

#[tokio::test]
async fn preview_sessions_have_no_result_id_or_published_at_and_record_no_results() {
    let app = spawn_app().await;
    publish(&app, &greeter("pv")).await;
    let (status, body) = preview(&app, "pv", Some(TOKEN), json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("resultId").is_none());
    assert!(body["typebot"].get("publishedAt").is_none());
    let (status, _) = cont(&app, &session_id(&body), json!({"message": "Ann"})).await;
    assert_eq!(status, 200);
    assert_eq!(results(&app, "pv").await["results"], json!([]));
}

#[tokio::test]
async fn preview_start_chat_uses_the_given_session_id_and_refuses_one_still_active() {
    let app = spawn_app().await;
    publish(&app, &greeter("pv-sid")).await;
    let body = json!({"sessionId": "my-preview-session"});
    let (status, got) = preview(&app, "pv-sid", Some(TOKEN), body.clone()).await;
    assert_eq!(
        (status, got["sessionId"].clone()),
        (200, json!("my-preview-session"))
    );
    let got = preview(&app, "pv-sid", Some(TOKEN), body).await;
    assert_error(&got, 409, "session_busy");
}

// ------------------------------------------------------------------------------------------
// clientLogs
// ------------------------------------------------------------------------------------------

#[tokio::test]
async fn client_logs_v1_and_v2_are_saved_on_the_result() {
    let app = spawn_app().await;
    publish(&app, &greeter("logs")).await;
    let (_, s) = start(&app, "logs", json!({})).await;
    let sid = session_id(&s);
    for (version, description) in [("v1", "from v1"), ("v2", "from v2")] {
        let (status, body) = app
            .post(
                &format!("/api/{version}/sessions/{sid}/clientLogs"),
                &json!({"clientLogs": [{"status": "error", "description": description,
                                        "details": {"line": 3}, "context": "player"}]}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body, json!({"message": "Logs successfully saved."}));
    }
    let r = results(&app, "logs").await;
    let logs = r["results"][0]["logs"].as_array().expect("logs").clone();
    let descriptions: Vec<&str> = logs
        .iter()
        .filter_map(|l| l["description"].as_str())
        .collect();
    assert_eq!(descriptions, ["from v1", "from v2"]);
    assert_eq!(logs[0]["details"], json!({"line": 3}));
    assert_eq!(logs[0]["context"], "player");
}

#[tokio::test]
async fn client_logs_truncate_long_details() {
    let app = spawn_app().await;
    publish(&app, &greeter("longlogs")).await;
    let (_, s) = start(&app, "longlogs", json!({})).await;
    let (status, _) = app
        .post(
            &format!("/api/v2/sessions/{}/clientLogs", session_id(&s)),
            &json!({"clientLogs": [{"description": "big", "details": "x".repeat(10_000)}]}),
        )
        .await;
    assert_eq!(status, 200);
    let r = results(&app, "longlogs").await;
    let details = r["results"][0]["logs"][0]["details"]
        .as_str()
        .expect("details");
    assert_eq!(details.chars().count(), 4096);
}

#[tokio::test]
async fn client_logs_return_404_for_an_unknown_or_finished_session() {
    let app = spawn_app().await;
    let logs = json!({"clientLogs": [{"description": "x"}]});
    for version in ["v1", "v2"] {
        let got = app
            .post(&format!("/api/{version}/sessions/nope/clientLogs"), &logs)
            .await;
        assert_error(&got, 404, "session_not_found");
    }
    publish(&app, &bot("short", json!([text("t", "hi")]), json!([]))).await;
    let (_, s) = start(&app, "short", json!({})).await;
    let got = app
        .post(
            &format!("/api/v2/sessions/{}/clientLogs", session_id(&s)),
            &logs,
        )
        .await;
    assert_error(&got, 404, "session_not_found");
}

#[tokio::test]
async fn client_logs_return_404_result_not_found_for_a_preview_session() {
    let app = spawn_app().await;
    publish(&app, &greeter("pv-logs")).await;
    let (_, body) = preview(&app, "pv-logs", Some(TOKEN), json!({})).await;
    let got = app
        .post(
            &format!("/api/v2/sessions/{}/clientLogs", session_id(&body)),
            &json!({"clientLogs": [{"description": "x"}]}),
        )
        .await;
    assert_error(&got, 404, "result_not_found");
}

#[tokio::test]
async fn client_logs_return_400_when_client_logs_is_missing_or_not_a_list() {
    let app = spawn_app().await;
    publish(&app, &greeter("badlogs")).await;
    let (_, s) = start(&app, "badlogs", json!({})).await;
    let path = format!("/api/v2/sessions/{}/clientLogs", session_id(&s));
    let got = app.post(&path, &json!({})).await;
    assert_error(&got, 400, "invalid_request");
    assert!(
        got.1["message"]
            .as_str()
            .is_some_and(|m| m.contains("clientLogs"))
    );
    let got = app.post(&path, &json!({"clientLogs": "boom"})).await;
    assert_error(&got, 400, "invalid_request");
    assert_eq!(got.1["details"]["field"], "clientLogs");
    let got = app
        .post(&path, &json!({"clientLogs": [{"status": "error"}]}))
        .await;
    assert_error(&got, 400, "invalid_request");
}

// ------------------------------------------------------------------------------------------
// Publishing, listing, unpublishing
// ------------------------------------------------------------------------------------------

#[tokio::test]
async fn publish_returns_422_listing_every_issue_with_ids_for_a_broken_bot() {
    let app = spawn_app().await;
    let mut b = bot(
        "broken",
        json!([
            {"id": "b-jump", "type": "Jump", "options": {"groupId": "g-missing"}},
            {"id": "b-input", "type": "text input", "options": {"variableId": "v-undeclared"},
             "outgoingEdgeId": "e-missing"}
        ]),
        json!([]),
    );
    b["edges"].as_array_mut().expect("edges").push(
        json!({"id": "e-dangling", "from": {"blockId": "b-input"}, "to": {"groupId": "g-gone"}}),
    );
    let (status, body) = app.publish("broken", &b).await;
    assert_eq!(
        (status, body["code"].clone()),
        (422, json!("flow_invalid")),
        "{body}"
    );
    let issues = body["details"]["issues"].as_array().expect("issues");
    let about = |id: &str| issues.iter().any(|i| i["location"]["id"] == id);
    for id in ["b-jump", "b-input"] {
        assert!(about(id), "no issue names {id}: {issues:?}");
    }
    assert!(issues.iter().any(|i| i["severity"] == "error"));
    for i in issues {
        assert!(
            i["code"].is_string() && i["message"].is_string() && i["location"]["kind"].is_string()
        );
    }
    assert!(issues.len() >= 3, "every issue is listed: {issues:?}");
    let r = get(&app, "/api/v1/flows/broken", Some(TOKEN)).await;
    assert_eq!(r.status().as_u16(), 404, "nothing was published");
}

#[tokio::test]
async fn publish_returns_409_when_the_public_id_belongs_to_another_bot() {
    let app = spawn_app().await;
    let mut first = greeter("first");
    first["publicId"] = json!("shared-name");
    publish(&app, &first).await;
    let mut second = greeter("second");
    second["publicId"] = json!("shared-name");
    let got = app.publish("second", &second).await;
    assert_error(&got, 409, "public_id_taken");
    // Republishing the owner is fine.
    publish(&app, &first).await;
}

#[tokio::test]
async fn publish_returns_400_flow_malformed_for_json_that_is_not_a_flow() {
    let app = spawn_app().await;
    let got = app.publish("shape", &json!({"groups": "nope"})).await;
    assert_error(&got, 400, "flow_malformed");
    let got = app.publish("shape", &json!([1, 2])).await;
    assert_error(&got, 400, "flow_malformed");
}

#[tokio::test]
async fn publish_returns_400_for_malformed_json_a_mismatched_id_or_a_bad_id() {
    let app = spawn_app().await;
    let r = app
        .client
        .put(format!("{}/api/v1/flows/x", app.base))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_error(&into_json(r).await, 400, "invalid_request");
    let got = app.publish("path-id", &greeter("body-id")).await;
    assert_error(&got, 400, "invalid_request");
    assert!(
        got.1["message"]
            .as_str()
            .is_some_and(|m| m.contains("path-id"))
    );
    let mut b = greeter("bad!id");
    b.as_object_mut().expect("bot").remove("id");
    let got = app.publish("bad!id", &b).await;
    assert_error(&got, 400, "invalid_request");
}

#[tokio::test]
async fn publish_requires_the_bearer_token() {
    let app = spawn_app().await;
    for token in [None, Some("wrong")] {
        let mut rb = app
            .client
            .put(format!("{}/api/v1/flows/guarded", app.base))
            .json(&greeter("guarded"));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        let got = into_json(rb.send().await.expect("request")).await;
        assert_error(&got, 401, "unauthorized");
    }
    assert_error(
        &start(&app, "guarded", json!({})).await,
        404,
        "flow_not_found",
    );
}

#[tokio::test]
async fn publish_returns_the_revision_and_warnings() {
    let app = spawn_app().await;
    let b = bot(
        "warned",
        json!([input("i", "text input", "v-undeclared"), text("t", "ok")]),
        json!([]),
    );
    let (status, body) = app.publish("warned", &b).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], "warned");
    assert_eq!(body["publicId"], "warned");
    assert!(body["revision"].is_string() && body["publishedAt"].is_string());
    let warnings = body["warnings"].as_array().expect("warnings");
    assert!(warnings.iter().all(|w| w["severity"] == "warning"));
    assert!(
        warnings.iter().any(|w| w["location"]["id"] == "i"),
        "{warnings:?}"
    );
    let (_, again) = app.publish("warned", &b).await;
    assert_eq!(
        again["revision"], body["revision"],
        "revisions are content hashes"
    );
}

#[tokio::test]
async fn publish_returns_413_for_a_bot_over_16_times_the_body_limit() {
    let app = spawn_app_with(|c| c.max_body_bytes = 1024).await;
    let mut b = greeter("fat");
    b["name"] = json!("x".repeat(10_000));
    publish(&app, &b).await;
    b["name"] = json!("x".repeat(20_000));
    let got = app.publish("fat", &b).await;
    assert_error(&got, 413, "payload_too_large");
}

#[tokio::test]
async fn a_new_version_does_not_break_sessions_running_on_the_old_one() {
    let app = spawn_app().await;
    let v1 = bot(
        "versioned",
        json!([input("i", "text input", "v"), text("t-end", "Old ending")]),
        json!([var("v", "V")]),
    );
    publish(&app, &v1).await;
    let (_, old) = start(&app, "versioned", json!({})).await;
    let mut v2 = v1.clone();
    v2["groups"][0]["blocks"][1] = text("t-end", "New ending");
    let (_, outcome) = app.publish("versioned", &v2).await;
    assert!(outcome["revision"].is_string());
    let (status, body) = cont(&app, &session_id(&old), json!({"message": "x"})).await;
    assert_eq!((status, said(&body)), (200, vec!["Old ending".to_string()]));
    let (_, new) = start(&app, "versioned", json!({})).await;
    let (_, body) = cont(&app, &session_id(&new), json!({"message": "x"})).await;
    assert_eq!(said(&body), ["New ending"]);
}

#[tokio::test]
async fn list_flows_returns_every_published_bot() {
    let app = spawn_app().await;
    let mut b = greeter("listed-a");
    b["publicId"] = json!("listed-a-public");
    publish(&app, &b).await;
    publish(&app, &greeter("listed-b")).await;
    let r = get(&app, "/api/v1/flows", Some(TOKEN)).await;
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.json().await.expect("json");
    let flows = body["flows"].as_array().expect("flows");
    let mut ids: Vec<&str> = flows.iter().filter_map(|f| f["flowId"].as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["listed-a", "listed-b"]);
    let a = flows.iter().find(|f| f["flowId"] == "listed-a").expect("a");
    assert_eq!(a["publicId"], "listed-a-public");
    assert_eq!(a["name"], "Bot listed-a");
    assert!(a["revision"].is_string() && a["publishedAt"].is_string());
}

#[tokio::test]
async fn get_flow_returns_the_published_version_and_404_for_an_unknown_id() {
    let app = spawn_app().await;
    publish(&app, &greeter("one")).await;
    let r = get(&app, "/api/v1/flows/one", Some(TOKEN)).await;
    let (status, body) = into_json(r).await;
    assert_eq!((status, body["flowId"].clone()), (200, json!("one")));
    let got = into_json(get(&app, "/api/v1/flows/two", Some(TOKEN)).await).await;
    assert_error(&got, 404, "flow_not_found");
}

#[tokio::test]
async fn delete_flow_unpublishes_it_and_running_sessions_go_on() {
    let app = spawn_app().await;
    publish(&app, &greeter("doomed")).await;
    let (_, s) = start(&app, "doomed", json!({})).await;
    let (status, body) = delete(&app, "/api/v1/flows/doomed", Some(TOKEN)).await;
    assert_eq!(
        (status, body["unpublished"]["flowId"].clone()),
        (200, json!("doomed"))
    );
    assert_error(
        &start(&app, "doomed", json!({})).await,
        404,
        "flow_not_found",
    );
    let (status, body) = cont(&app, &session_id(&s), json!({"message": "Ann"})).await;
    assert_eq!(
        (status, said(&body)),
        (200, vec!["Nice to meet you Ann".to_string()])
    );
    assert_error(
        &delete(&app, "/api/v1/flows/doomed", Some(TOKEN)).await,
        404,
        "flow_not_found",
    );
    let r = get(&app, "/api/v1/flows", Some(TOKEN)).await;
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["flows"], json!([]));
}

#[tokio::test]
async fn flow_and_result_routes_require_the_bearer_token() {
    let app = spawn_app().await;
    publish(&app, &greeter("private")).await;
    for path in [
        "/api/v1/flows",
        "/api/v1/flows/private",
        "/api/v1/flows/private/results",
        "/api/v1/flows/private/results.csv",
    ] {
        for token in [None, Some("wrong")] {
            let got = into_json(get(&app, path, token).await).await;
            assert_error(&got, 401, "unauthorized");
        }
    }
    assert_error(
        &delete(&app, "/api/v1/flows/private", None).await,
        401,
        "unauthorized",
    );
    let r = get(&app, "/api/v1/flows/private", Some(TOKEN)).await;
    assert_eq!(r.status().as_u16(), 200, "still published");
}

// ------------------------------------------------------------------------------------------
// Results
// ------------------------------------------------------------------------------------------

#[tokio::test]
async fn results_record_answers_variables_and_completion() {
    let app = spawn_app().await;
    publish(&app, &greeter("recorded")).await;
    let (_, s) = start(&app, "recorded", json!({})).await;
    let sid = session_id(&s);
    let r = results(&app, "recorded").await;
    assert_eq!(r["results"][0]["hasStarted"], false);
    cont(&app, &sid, json!({"message": "Ann"})).await;
    cont(&app, &sid, json!({"message": "ann@example.com"})).await;
    let r = results(&app, "recorded").await;
    let result = &r["results"][0];
    assert_eq!(result["id"], s["resultId"]);
    assert_eq!(result["flowId"], "recorded");
    assert_eq!(result["isCompleted"], true);
    assert_eq!(result["hasStarted"], true);
    let keys: Vec<&str> = result["answers"]
        .as_array()
        .expect("answers")
        .iter()
        .filter_map(|a| a["key"].as_str())
        .collect();
    assert_eq!(keys, ["Name", "Email"]);
    assert_eq!(
        result["variables"],
        json!({"Name": "Ann", "Email": "ann@example.com"})
    );
}

#[tokio::test]
async fn results_are_paginated_newest_first_with_a_cursor() {
    let app = spawn_app().await;
    publish(&app, &three_questions("paged")).await;
    let mut ids = Vec::new();
    for answer in ["one", "two", "three"] {
        let (_, s) = start(&app, "paged", json!({"message": answer})).await;
        ids.push(s["resultId"].as_str().expect("resultId").to_string());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let r = get(&app, "/api/v1/flows/paged/results?limit=2", Some(TOKEN)).await;
    let page1: Value = r.json().await.expect("json");
    let first: Vec<&str> = page1["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["variables"]["A"].as_str())
        .collect();
    assert_eq!(first, ["three", "two"], "newest first");
    let cursor = page1["nextCursor"].as_str().expect("nextCursor");
    let encoded: String = cursor
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let r = get(
        &app,
        &format!("/api/v1/flows/paged/results?limit=2&cursor={encoded}"),
        Some(TOKEN),
    )
    .await;
    let page2: Value = r.json().await.expect("json");
    assert_eq!(page2["results"].as_array().map(Vec::len), Some(1));
    assert_eq!(page2["results"][0]["variables"]["A"], "one");
    assert_eq!(page2["results"][0]["id"], json!(ids[0]));
    assert!(page2.get("nextCursor").is_none(), "last page");
}

#[tokio::test]
async fn results_csv_escapes_cells_that_would_start_a_formula() {
    let app = spawn_app().await;
    publish(&app, &three_questions("csv")).await;
    let (_, s) = start(&app, "csv", json!({"message": "=1+1"})).await;
    cont(&app, &session_id(&s), json!({"message": "@SUM(A1)"})).await;
    let r = get(&app, "/api/v1/flows/csv/results.csv", Some(TOKEN)).await;
    assert_eq!(r.status().as_u16(), 200);
    let ctype = r.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(ctype.starts_with("text/csv"), "{ctype}");
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(disposition.contains("csv-results.csv"), "{disposition}");
    let csv = r.text().await.expect("text");
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(lines[0], "Submitted at,Result ID,A,B");
    let row: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(row[1], s["resultId"].as_str().expect("resultId"));
    assert_eq!(&row[2..], ["'=1+1", "'@SUM(A1)"]);
}

#[tokio::test]
async fn results_with_a_non_numeric_limit_return_the_json_400() {
    let app = spawn_app().await;
    let got = into_json(get(&app, "/api/v1/flows/any/results?limit=abc", Some(TOKEN)).await).await;
    assert_error(&got, 400, "invalid_request");
}

// ------------------------------------------------------------------------------------------
// Errors
// ------------------------------------------------------------------------------------------

#[tokio::test]
async fn start_chat_returns_404_flow_not_found_for_an_unknown_bot() {
    let app = spawn_app().await;
    let got = start(&app, "no-such-bot", json!({})).await;
    assert_error(&got, 404, "flow_not_found");
    assert_eq!(got.1["message"], "Typebot not found");
}

#[tokio::test]
async fn continue_chat_returns_404_session_not_found_for_an_unknown_session() {
    let app = spawn_app().await;
    assert_error(
        &cont(&app, "no-such-session", json!({"message": "x"})).await,
        404,
        "session_not_found",
    );
    assert_error(
        &cont(&app, "not%20plausible", json!({"message": "x"})).await,
        404,
        "session_not_found",
    );
}

#[tokio::test]
async fn continue_chat_returns_404_session_finished_after_the_end() {
    let app = spawn_app().await;
    publish(&app, &greeter("finish")).await;
    let (_, s) = start(&app, "finish", json!({})).await;
    let sid = session_id(&s);
    cont(&app, &sid, json!({"message": "Ann"})).await;
    let (status, last) = cont(&app, &sid, json!({"message": "ann@example.com"})).await;
    assert_eq!(status, 200);
    assert!(last.get("input").is_none(), "completed: no input");
    assert!(
        last["clientSideActions"]
            .as_array()
            .is_none_or(|a| a.iter().all(|x| x.get("expectsDedicatedReply").is_none()))
    );
    assert_error(
        &cont(&app, &sid, json!({"message": "more"})).await,
        404,
        "session_finished",
    );
}

#[tokio::test]
async fn start_chat_on_a_bot_that_ends_at_once_has_no_result_id_and_a_finished_session() {
    let app = spawn_app().await;
    publish(
        &app,
        &bot("oneshot", json!([text("t", "Hi and bye")]), json!([])),
    )
    .await;
    let (status, body) = start(&app, "oneshot", json!({})).await;
    assert_eq!((status, said(&body)), (200, vec!["Hi and bye".to_string()]));
    assert!(body.get("resultId").is_none() && body.get("input").is_none());
    assert_error(
        &cont(&app, &session_id(&body), json!({})).await,
        404,
        "session_finished",
    );
}

#[tokio::test]
async fn continue_chat_returns_404_session_expired_after_the_ttl() {
    let app = spawn_app_with(|c| c.session_ttl_secs = 1).await;
    publish(&app, &greeter("expiring")).await;
    let (_, s) = start(&app, "expiring", json!({})).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let got = cont(&app, &session_id(&s), json!({"message": "Ann"})).await;
    assert_error(&got, 404, "session_expired");
}

#[tokio::test]
async fn a_bot_session_ttl_setting_overrides_the_server_default() {
    let app = spawn_app().await;
    let mut b = greeter("short-lived");
    b["settings"] = json!({"tessera": {"sessionTtlSeconds": 1}});
    publish(&app, &b).await;
    let (_, s) = start(&app, "short-lived", json!({})).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let got = cont(&app, &session_id(&s), json!({"message": "Ann"})).await;
    assert_error(&got, 404, "session_expired");
}

#[tokio::test]
async fn malformed_json_returns_400_invalid_request() {
    let app = spawn_app().await;
    publish(&app, &greeter("malformed")).await;
    let got = post_with(
        &app,
        "/api/v1/typebots/malformed/startChat",
        &[],
        "{\"message\":",
    )
    .await;
    assert_error(&got, 400, "invalid_request");
    assert!(
        got.1["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Malformed JSON"))
    );
    let (_, s) = start(&app, "malformed", json!({})).await;
    let path = format!("/api/v1/sessions/{}/continueChat", session_id(&s));
    let got = post_with(&app, &path, &[], "not json").await;
    assert_error(&got, 400, "invalid_request");
    // An empty body is an empty object.
    let (status, _) = post_with(&app, "/api/v1/typebots/malformed/startChat", &[], "").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn wrong_field_types_return_400_naming_the_field() {
    let app = spawn_app().await;
    publish(&app, &greeter("types")).await;
    for (body, field) in [
        (json!({"isOnlyRegistering": "yes"}), "isOnlyRegistering"),
        (json!({"isStreamEnabled": 1}), "isStreamEnabled"),
        (
            json!({"prefilledVariables": ["Name"]}),
            "prefilledVariables",
        ),
        (json!({"message": 5}), "message"),
        (json!({"resultId": 7}), "resultId"),
    ] {
        let got = start(&app, "types", body).await;
        assert_error(&got, 400, "invalid_request");
        assert_eq!(got.1["details"]["field"], field, "{}", got.1);
        assert!(got.1["message"].as_str().is_some_and(|m| m.contains(field)));
    }
    let (_, s) = start(&app, "types", json!({})).await;
    let got = cont(&app, &session_id(&s), json!({"message": ["a"]})).await;
    assert_error(&got, 400, "invalid_request");
    assert_eq!(got.1["details"]["field"], "message");
}

#[tokio::test]
async fn values_breaking_a_validation_rule_return_400_naming_the_json_field() {
    let app = spawn_app().await;
    publish(&app, &greeter("rules")).await;
    let got = start(&app, "rules", json!({"resultId": ""})).await;
    assert_error(&got, 400, "invalid_request");
    assert_eq!(got.1["details"]["fields"], json!(["resultId"]));
    assert!(
        got.1["message"]
            .as_str()
            .is_some_and(|m| m.contains("resultId"))
    );
}

#[tokio::test]
async fn a_body_larger_than_max_body_bytes_returns_413() {
    let app = spawn_app_with(|c| c.max_body_bytes = 1024).await;
    publish(&app, &greeter("limited")).await;
    let fits = json!({"prefilledVariables": {"Name": "x".repeat(500)}});
    let (status, s) = start(&app, "limited", fits).await;
    assert_eq!(status, 200);
    let too_big = json!({"prefilledVariables": {"Name": "x".repeat(2000)}});
    let got = start(&app, "limited", too_big).await;
    assert_error(&got, 413, "payload_too_large");
    let got = cont(&app, &session_id(&s), json!({"message": "x".repeat(2000)})).await;
    assert_error(&got, 413, "payload_too_large");
    let (status, _) = cont(&app, &session_id(&s), json!({"message": "Ann"})).await;
    assert_eq!(status, 200, "the session is untouched");
}

fn guarded(id: &str) -> Value {
    let mut b = greeter(id);
    b["settings"] = json!({"security": {"allowedOrigins": ["https://allowed.example"]}});
    b
}

#[tokio::test]
async fn allowed_origins_reject_another_origin_with_403_before_anything_is_saved() {
    let app = spawn_app().await;
    publish(&app, &guarded("origins")).await;
    let got = post_with(
        &app,
        "/api/v1/typebots/origins/startChat",
        &[("origin", "https://evil.example")],
        "{}",
    )
    .await;
    assert_error(&got, 403, "origin_not_allowed");
    assert!(got.1.get("sessionId").is_none());
    assert_eq!(
        results(&app, "origins").await["results"],
        json!([]),
        "no result saved"
    );
    assert_error(
        &cont(&app, "any-session-id", json!({"message": "x"})).await,
        404,
        "session_not_found",
    );
}

#[tokio::test]
async fn allowed_origins_accept_an_allowed_origin_and_requests_without_origin() {
    let app = spawn_app().await;
    publish(&app, &guarded("origins-ok")).await;
    let path = "/api/v1/typebots/origins-ok/startChat";
    for origin in ["https://allowed.example", "https://allowed.example/"] {
        let (status, body) = post_with(&app, path, &[("origin", origin)], "{}").await;
        assert_eq!(status, 200, "{origin}: {body}");
    }
    let (status, _) = post_with(&app, path, &[], "{}").await;
    assert_eq!(status, 200, "server to server: no Origin");
}

#[tokio::test]
async fn allowed_origins_also_guard_continue_chat() {
    let app = spawn_app().await;
    publish(&app, &guarded("origins-continue")).await;
    let (_, s) = start(&app, "origins-continue", json!({})).await;
    let path = format!("/api/v1/sessions/{}/continueChat", session_id(&s));
    let got = post_with(
        &app,
        &path,
        &[("origin", "https://evil.example")],
        r#"{"message":"Ann"}"#,
    )
    .await;
    assert_error(&got, 403, "origin_not_allowed");
    let (status, body) = post_with(
        &app,
        &path,
        &[("origin", "https://allowed.example")],
        r#"{"message":"Ann"}"#,
    )
    .await;
    assert_eq!(
        (status, said(&body)),
        (200, vec!["Nice to meet you Ann".to_string()])
    );
}

#[tokio::test]
async fn the_iframe_referrer_origin_header_admits_this_servers_own_pages() {
    let app = spawn_app_with(|c| c.viewer_urls = vec!["https://viewer.example".into()]).await;
    publish(&app, &guarded("embedded")).await;
    let path = "/api/v1/typebots/embedded/startChat";
    let referrer = "x-typebot-iframe-referrer-origin";
    let (status, body) = post_with(
        &app,
        path,
        &[
            ("origin", "https://viewer.example"),
            (referrer, "https://allowed.example"),
        ],
        "{}",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let got = post_with(&app, path, &[("origin", "https://viewer.example")], "{}").await;
    assert_error(&got, 403, "origin_not_allowed");
    let got = post_with(
        &app,
        path,
        &[
            ("origin", "https://viewer.example"),
            (referrer, "https://evil.example"),
        ],
        "{}",
    )
    .await;
    assert_error(&got, 403, "origin_not_allowed");
    let got = post_with(
        &app,
        path,
        &[
            ("origin", "https://evil.example"),
            (referrer, "https://allowed.example"),
        ],
        "{}",
    )
    .await;
    assert_error(&got, 403, "origin_not_allowed");
}

#[tokio::test]
async fn cors_preflight_returns_204_with_access_control_allow_origin() {
    let app = spawn_app().await;
    let r = app
        .client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/api/v1/typebots/any/startChat", app.base),
        )
        .header("origin", "https://site.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type, idempotency-key",
        )
        .send()
        .await
        .expect("request");
    assert_eq!(r.status().as_u16(), 204);
    let h = r.headers();
    assert_eq!(h["access-control-allow-origin"], "*");
    let methods = h["access-control-allow-methods"].to_str().expect("ascii");
    assert!(methods.contains("POST"));
    let allowed = h["access-control-allow-headers"].to_str().expect("ascii");
    assert!(
        allowed.contains("idempotency-key") && allowed.contains("x-typebot-iframe-referrer-origin")
    );
    let r = get(&app, "/healthz", None).await;
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "*",
        "on every response"
    );
}

#[tokio::test]
async fn unknown_routes_return_a_json_404_route_not_found() {
    let app = spawn_app().await;
    let got = into_json(get(&app, "/api/v1/nothing/here", None).await).await;
    assert_error(&got, 404, "route_not_found");
    let got = into_json(get(&app, "/api/v1/typebots/x/startChat", None).await).await;
    assert_error(&got, 404, "route_not_found");
    let got = app.post("/api/v3/sessions/x/clientLogs", &json!({})).await;
    assert_error(&got, 404, "route_not_found");
}

// ------------------------------------------------------------------------------------------
// Idempotency
// ------------------------------------------------------------------------------------------

async fn post_keyed(app: &TestApp, path: &str, key: &str, body: &str) -> (u16, String) {
    let url = format!("{}{path}", app.base);
    post_raw(
        app.client.clone(),
        url,
        body.to_string(),
        Some(key.to_string()),
    )
    .await
}

#[tokio::test]
async fn idempotency_key_replays_the_same_response_and_advances_the_session_once() {
    let app = spawn_app().await;
    publish(&app, &three_questions("idem")).await;
    let (_, s) = start(&app, "idem", json!({})).await;
    let path = format!("/api/v1/sessions/{}/continueChat", session_id(&s));
    let first = post_keyed(&app, &path, "answer-1", r#"{"message":"one"}"#).await;
    let replay = post_keyed(&app, &path, "answer-1", r#"{"message":"one"}"#).await;
    assert_eq!(first.0, 200, "{}", first.1);
    assert_eq!(first, replay, "identical status and body");
    let body: Value = serde_json::from_str(&first.1).expect("json");
    assert_eq!(body["input"]["id"], "q2");
    // The session moved one step only: the next answer goes to q2.
    let (_, next) = cont(&app, &session_id(&s), json!({"message": "two"})).await;
    assert_eq!(next["input"]["id"], "q3");
    let r = results(&app, "idem").await;
    assert_eq!(
        r["results"][0]["variables"],
        json!({"A": "one", "B": "two"})
    );
    assert_eq!(r["results"][0]["answers"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn idempotency_key_reused_with_another_body_returns_409_idempotency_conflict() {
    let app = spawn_app().await;
    publish(&app, &three_questions("conflict")).await;
    let (_, s) = start(&app, "conflict", json!({})).await;
    let path = format!("/api/v1/sessions/{}/continueChat", session_id(&s));
    let (status, _) = post_keyed(&app, &path, "k", r#"{"message":"one"}"#).await;
    assert_eq!(status, 200);
    let (status, text) = post_keyed(&app, &path, "k", r#"{"message":"other"}"#).await;
    let got = (status, serde_json::from_str::<Value>(&text).expect("json"));
    assert_error(&got, 409, "idempotency_conflict");
    let (_, next) = cont(&app, &session_id(&s), json!({"message": "two"})).await;
    assert_eq!(
        next["input"]["id"], "q3",
        "the conflicting request did nothing"
    );
}

#[tokio::test]
async fn idempotency_key_on_start_chat_replays_the_same_session() {
    let app = spawn_app().await;
    publish(&app, &greeter("idem-start")).await;
    let path = "/api/v1/typebots/idem-start/startChat";
    let first = post_keyed(&app, path, "start-1", "{}").await;
    let replay = post_keyed(&app, path, "start-1", "{}").await;
    assert_eq!(first.0, 200);
    assert_eq!(first, replay);
    assert_eq!(
        results(&app, "idem-start").await["results"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "one session, one result"
    );
    let (_, other) = post_keyed(&app, path, "start-2", "{}").await;
    assert_ne!(other, first.1, "another key is another session");
}

#[tokio::test]
async fn idempotency_keys_longer_than_255_characters_are_rejected_with_400() {
    let app = spawn_app().await;
    publish(&app, &greeter("idem-long")).await;
    let key = "k".repeat(256);
    let (status, text) = post_keyed(&app, "/api/v1/typebots/idem-long/startChat", &key, "{}").await;
    let got = (status, serde_json::from_str::<Value>(&text).expect("json"));
    assert_error(&got, 400, "invalid_request");
    let (status, _) = post_keyed(
        &app,
        "/api/v1/typebots/idem-long/startChat",
        &key[..255],
        "{}",
    )
    .await;
    assert_eq!(status, 200);
}

// ------------------------------------------------------------------------------------------
// Concurrency
// ------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_continue_chat_on_one_session_lets_exactly_one_through() {
    let slow = slow_server(Duration::from_millis(1000)).await;
    let app = spawn_app_with(|c| c.http_allowed_hosts = vec!["127.0.0.1".into()]).await;
    publish(&app, &slow_questions("busy", &slow)).await;
    let (_, s) = start(&app, "busy", json!({})).await;
    let sid = session_id(&s);
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let client = app.client.clone();
            let url = format!("{}/api/v1/sessions/{sid}/continueChat", app.base);
            tokio::spawn(async move {
                let r = client
                    .post(url)
                    .json(&json!({ "message": format!("answer {i}") }))
                    .send()
                    .await
                    .expect("request");
                into_json(r).await
            })
        })
        .collect();
    let mut ok = Vec::new();
    let mut busy = 0;
    for t in tasks {
        let got = t.await.expect("task");
        match got.0 {
            200 => ok.push(got.1),
            _ => {
                assert_error(&got, 409, "session_busy");
                busy += 1;
            }
        }
    }
    assert_eq!((ok.len(), busy), (1, 9));
    assert_eq!(ok[0]["input"]["id"], "q2");
    // Exactly one step: the next answer goes to q2, and q1 was answered once.
    let (status, next) = cont(&app, &sid, json!({"message": "b"})).await;
    assert_eq!((status, next["input"]["id"].clone()), (200, json!("q3")));
    let r = results(&app, "busy").await;
    let answers = r["results"][0]["answers"].as_array().expect("answers");
    assert_eq!(answers.len(), 2, "{answers:?}");
    assert_eq!(r["results"][0]["variables"]["B"], "b");
}

// ------------------------------------------------------------------------------------------
// Credentials and client replies
// ------------------------------------------------------------------------------------------

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
async fn a_client_side_http_request_reply_that_is_not_json_returns_400_invalid_client_response() {
    let app = spawn_app().await;
    let b = bot(
        "client-http",
        json!([
            {"id": "h", "type": "Webhook", "options": {"isExecutedOnClient": true,
                "webhook": {"url": "https://api.example/x", "method": "POST"},
                "responseVariableMapping": [{"variableId": "v-out", "bodyPath": "data.value"}]}},
            text("t", "Got {{Out}}")
        ]),
        json!([var("v-out", "Out")]),
    );
    publish(&app, &b).await;
    let (_, s) = start(&app, "client-http", json!({})).await;
    assert_eq!(s["clientSideActions"][0]["type"], "httpRequestToExecute");
    let sid = session_id(&s);
    let got = cont(&app, &sid, json!({"message": "not json"})).await;
    assert_error(&got, 400, "invalid_client_response");
    let reply = json!({"statusCode": 200, "data": {"value": "42"}}).to_string();
    let (status, body) = cont(&app, &sid, json!({ "message": reply })).await;
    assert_eq!((status, said(&body)), (200, vec!["Got 42".to_string()]));
}

// ------------------------------------------------------------------------------------------
// Health
// ------------------------------------------------------------------------------------------

#[tokio::test]
async fn healthz_api_healthz_and_readyz_answer_ok() {
    let app = spawn_app().await;
    for path in ["/healthz", "/api/healthz"] {
        let got = into_json(get(&app, path, None).await).await;
        assert_eq!(got, (200, json!({"status": "ok"})), "{path}");
    }
    let got = into_json(get(&app, "/readyz", None).await).await;
    assert_eq!(got, (200, json!({"status": "ok", "store": "memory"})));
}

#[tokio::test]
async fn the_openapi_document_is_served_as_yaml() {
    let app = spawn_app().await;
    let r = get(&app, "/openapi.yaml", None).await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .is_ok_and(|c| c.starts_with("application/yaml"))
    );
    let text = r.text().await.expect("text");
    assert!(text.starts_with("openapi: 3.0.3"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_start_chat_retries_with_one_idempotency_key_create_one_session() {
    // The start turn calls a slow server, so the retries arrive while the first one runs.
    let slow = slow_server(Duration::from_millis(1000)).await;
    let app = spawn_app_with(|c| c.http_allowed_hosts = vec!["127.0.0.1".into()]).await;
    let b = bot(
        "idem-race",
        json!([webhook("http", &slow), input("q1", "text input", "v-a")]),
        json!([var("v-a", "A")]),
    );
    publish(&app, &b).await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let client = app.client.clone();
            let url = format!("{}/api/v1/typebots/idem-race/startChat", app.base);
            tokio::spawn(async move {
                parse(&post_raw(client, url, "{}".into(), Some("race-key".into())).await)
            })
        })
        .collect();
    let mut sessions = std::collections::BTreeSet::new();
    for t in tasks {
        let (status, body) = t.await.expect("task");
        if status == 200 {
            sessions.insert(session_id(&body));
        } else {
            // Retries that arrive while the first request runs are told to come back.
            assert_error(&(status, body), 409, "request_in_progress");
        }
    }
    assert_eq!(sessions.len(), 1, "one key, one session: {sessions:?}");
    let r = results(&app, "idem-race").await;
    assert_eq!(r["results"].as_array().map(Vec::len), Some(1), "one result");
}

#[tokio::test]
async fn continue_chat_without_a_message_repeats_the_question() {
    let app = spawn_app().await;
    publish(&app, &greeter("silent")).await;
    let (_, s) = start(&app, "silent", json!({})).await;
    let (status, body) = cont(&app, &session_id(&s), json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(said(&body), ["Invalid message. Please, try again."]);
    assert_eq!(body["input"]["id"], "i-name");
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

// ------------------------------------------------------------------------------------------
// Start props, public ids of bundled bots, client logs during a turn
// ------------------------------------------------------------------------------------------

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
async fn client_logs_are_accepted_while_a_turn_of_the_session_runs() {
    let slow = slow_server(Duration::from_millis(800)).await;
    let app = spawn_app_with(|c| c.http_allowed_hosts = vec!["127.0.0.1".into()]).await;
    let b = bot(
        "logs-busy",
        json!([
            input("q1", "text input", "v-a"),
            webhook("http", &slow),
            input("q2", "text input", "v-b")
        ]),
        json!([var("v-a", "A"), var("v-b", "B")]),
    );
    publish(&app, &b).await;
    let (_, body) = start(&app, "logs-busy", json!({})).await;
    let sid = session_id(&body);
    let turn = {
        let client = app.client.clone();
        let url = format!("{}/api/v1/sessions/{sid}/continueChat", app.base);
        tokio::spawn(async move { client.post(url).json(&json!({"message": "a"})).send().await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (status, body) = app
        .post(
            &format!("/api/v2/sessions/{sid}/clientLogs"),
            &json!({"clientLogs": [{"status": "info", "description": "during the turn"}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let r = turn.await.expect("task").expect("turn");
    assert_eq!(r.status().as_u16(), 200);
}

// ------------------------------------------------------------------------------------------
// Hardening found in review
// ------------------------------------------------------------------------------------------

#[tokio::test]
async fn deeply_nested_markdown_in_variables_cannot_crash_the_server() {
    let app = spawn_app().await;
    publish(&app, &greeter("deep")).await;
    let nested = "- ".repeat(3000) + "x";
    let (status, body) = start(
        &app,
        "deep",
        json!({"prefilledVariables": {"Name": nested}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let sid = session_id(&body);
    let (status, body) = cont(&app, &sid, json!({"message": "> ".repeat(20_000)})).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = app
        .post("/api/v1/typebots/deep/startChat", &json!({}))
        .await;
    assert_eq!(status, 200, "the server is still up");
}

#[tokio::test]
async fn an_absurd_session_ttl_setting_is_clamped_and_breaks_nothing() {
    let app = spawn_app().await;
    let mut b = greeter("ttl-huge");
    b["settings"] = json!({"tessera": {"sessionTtlSeconds": u64::MAX}});
    publish(&app, &b).await;
    publish(&app, &greeter("ttl-other")).await;
    let (status, body) = start(&app, "ttl-huge", json!({})).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = start(&app, "ttl-other", json!({})).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn answers_given_in_a_linked_bot_without_merging_go_to_its_own_result() {
    let app = spawn_app().await;
    let child = bot(
        "child-bot",
        json!([
            input("cin", "text input", "v-secret"),
            text("c-bye", "Child done")
        ]),
        json!([var("v-secret", "Secret")]),
    );
    let parent = bot(
        "parent-bot",
        json!([
            input("pin", "text input", "v-name"),
            {"id": "link", "type": "Typebot link", "options": {"typebotId": "child-bot", "mergeResults": false}},
            text("p-bye", "Parent done")
        ]),
        json!([var("v-name", "Name")]),
    );
    publish(&app, &child).await;
    publish(&app, &parent).await;
    let (_, body) = start(&app, "parent-bot", json!({})).await;
    let sid = session_id(&body);
    cont(&app, &sid, json!({"message": "Ada"})).await;
    let (status, body) = cont(&app, &sid, json!({"message": "hunter2"})).await;
    assert_eq!(status, 200, "{body}");
    let parent_results = results(&app, "parent-bot").await;
    let parent_answers = parent_results["results"][0]["answers"].to_string();
    assert!(
        parent_answers.contains("Ada") && !parent_answers.contains("hunter2"),
        "{parent_results}"
    );
    let child_results = results(&app, "child-bot").await;
    assert!(
        child_results["results"][0]["answers"]
            .to_string()
            .contains("hunter2"),
        "{child_results}"
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

#[tokio::test]
async fn an_idempotency_key_reused_from_another_origin_is_a_conflict_not_a_replay() {
    let app = spawn_app().await;
    publish(&app, &greeter("idem-origin")).await;
    let path = "/api/v1/typebots/idem-origin/startChat";
    let send = |origin: &'static str| {
        let headers = [("idempotency-key", "same-key"), ("origin", origin)];
        let app = &app;
        async move { post_with(app, path, &headers, "{}").await }
    };
    let (status, _) = send("https://good.example").await;
    assert_eq!(status, 200);
    let got = send("https://evil.example").await;
    assert_error(&got, 409, "idempotency_conflict");
}

#[tokio::test]
async fn client_logs_from_a_disallowed_origin_are_refused() {
    let app = spawn_app().await;
    let mut b = greeter("logs-origin");
    b["settings"] = json!({"security": {"allowedOrigins": ["https://good.example"]}});
    publish(&app, &b).await;
    let (_, body) = start(&app, "logs-origin", json!({})).await;
    let sid = session_id(&body);
    let r = app
        .client
        .post(format!("{}/api/v2/sessions/{sid}/clientLogs", app.base))
        .header("origin", "https://evil.example")
        .json(&json!({"clientLogs": [{"description": "x"}]}))
        .send()
        .await
        .expect("request");
    assert_error(&into_json(r).await, 403, "origin_not_allowed");
}
