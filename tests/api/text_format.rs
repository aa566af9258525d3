//! `textBubbleContentFormat`: rich text by default, markdown when asked, on startChat and
//! continueChat.

use serde_json::{Value, json};

use crate::common::app::spawn_app;
use crate::common::bots::{bot, input, text, var};
use crate::common::replies::{assert_error, session_id};
use crate::support::{cont, publish, start};

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
