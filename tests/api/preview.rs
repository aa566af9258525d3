//! Preview startChat: the bearer token, inline bots, `startFrom` a group or an event, preview
//! sessions (no result, a given session id).

use serde_json::{Value, json};

use crate::common::app::{TOKEN, spawn_app, spawn_app_with};
use crate::common::bots::{add_event, bot, input, text};
use crate::common::replies::{assert_error, said, session_id};
use crate::support::{cont, greeter, preview, publish, results, start};

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
