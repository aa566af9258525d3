//! What a new user meets first with the server (issue 17): the bundled bots over HTTP, a
//! flows directory with bad files, a Redis that is not up yet, and the start-up logs.

mod common;

use std::time::Duration;

use common::cli::{Served, flows_dir};
use common::spawn_app_with;
use serde_json::{Value, json};

const START: &str = "/api/v1/typebots/support-triage/startChat";

fn continue_path(r: &Value) -> String {
    let id = r["sessionId"].as_str().expect("sessionId");
    format!("/api/v1/sessions/{id}/continueChat")
}

fn texts(r: &Value) -> String {
    r["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|m| {
            m["content"]["richText"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .flat_map(|p| p["children"].as_array().cloned().unwrap_or_default())
        .filter_map(|c| c["text"].as_str().map(str::to_string))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The web player's Skip button on the optional screenshot sends `{}` (no message); the bot
/// has a reply event, which must not turn "no message" into an invalid reply.
#[tokio::test]
async fn the_bundled_support_bot_lets_the_optional_screenshot_be_skipped() {
    let app = spawn_app_with(|c| c.bundled_flows = true).await;
    let (status, r) = app.post(START, &json!({})).await;
    assert_eq!(status, 200, "{r}");
    let next = continue_path(&r);
    for (reply, expect) in [
        ("Something is broken", "On which page did it happen?"),
        (
            "app.acme.example/settings",
            "Can you describe what happened?",
        ),
        (
            "The save button does nothing",
            "A screenshot helps a lot (optional).",
        ),
    ] {
        let (status, r) = app.post(&next, &json!({ "message": reply })).await;
        assert_eq!(status, 200, "{r}");
        assert!(texts(&r).contains(expect), "{reply}: {r}");
    }
    let (status, r) = app.post(&next, &json!({})).await;
    assert_eq!(status, 200, "{r}");
    assert!(!texts(&r).contains("Invalid message"), "{r}");
    assert!(
        texts(&r).contains("What's your email so we can follow up?"),
        "{r}"
    );
    assert_eq!(r["input"]["type"], "email input", "{r}");
    // And the conversation goes on from there.
    let (status, r) = app
        .post(&next, &json!({ "message": "ada@example.com" }))
        .await;
    assert_eq!(status, 200, "{r}");
    assert!(texts(&r).contains("will reply to"), "{r}");
}

/// JSON that is not a bot gets the same message from the publishing route as from the
/// command line.
#[tokio::test]
async fn publishing_json_that_is_not_a_bot_says_so() {
    let app = spawn_app_with(|_| {}).await;
    for (body, reason) in [
        (json!([]), "the JSON is an array"),
        (json!({}), "it has no `groups`"),
        (json!({"groups": 5}), "`groups` is a number"),
    ] {
        let (status, r) = app.publish("not-a-bot", &body).await;
        assert_eq!(
            (status, r["code"].clone()),
            (400, json!("flow_malformed")),
            "{r}"
        );
        let msg = r["message"].as_str().unwrap_or_default();
        assert!(
            msg.contains("this is not a Typebot export") && msg.contains(reason),
            "{body}: {msg}"
        );
    }
}

/// Logs in a pipe (a container, a file) have no colour codes, and the web server's own start
/// lines are not there.
#[test]
fn start_up_logs_have_no_colour_codes_in_a_pipe_and_no_noise() {
    let flows = flows_dir().to_str().expect("utf-8").to_string();
    let mut server = Served::start(&["--flows", &flows]);
    server.base();
    std::thread::sleep(Duration::from_millis(300));
    let logs = server.logs();
    assert!(
        !logs.contains('\u{1b}'),
        "no colour codes in a pipe:\n{logs}"
    );
    for noise in [
        "starting 1 workers",
        "Actix runtime found",
        "starting service",
    ] {
        assert!(!logs.contains(noise), "{noise:?} in:\n{logs}");
    }
}
