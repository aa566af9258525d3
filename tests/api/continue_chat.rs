//! continueChat: every message shape (plain string, text with files, audio, command, none),
//! invalid replies and their retry message, and client-side HTTP request replies.

use serde_json::json;

use crate::common::app::spawn_app;
use crate::common::bots::{add_event, bot, input, text, var};
use crate::common::replies::{assert_error, said, session_id};
use crate::support::{cont, greeter, publish, results, start};

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
