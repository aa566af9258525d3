//! Events: commands (with and without resuming) and reply events.

use serde_json::{Value, json};
use tessera::engine::{EngineError, Message, TurnStatus};

use crate::chat::Chat;
use crate::common::engine::EMAIL_RETRY;
use crate::flows::{block, edge, flow_def, group, input, text, vid};

/// Welcome asks for a name; events are added by the tests.
fn base(events: Value, event_groups: Value, event_edges: Value) -> Value {
    let mut groups = vec![group(
        "g-main",
        "Welcome",
        json!([
            text("t1", "Your name?"),
            input("in-name", "text input", "Name", json!({})),
            text("t2", "Email, {{Name}}?"),
            input("in-email", "email input", "Email", json!({})),
            text("t3", "Thanks {{Name}}"),
        ]),
    )];
    groups.extend(event_groups.as_array().cloned().unwrap_or_default());
    let mut def = flow_def(
        json!(groups),
        event_edges,
        &["Name", "Email", "Said", "Kind", "Where"],
    );
    if let Some(evs) = def["events"].as_array_mut() {
        evs.extend(events.as_array().cloned().unwrap_or_default());
    }
    def
}

fn command(name: &str, resume_after: bool) -> Value {
    json!({"id": format!("ev-{name}"), "type": "command", "outgoingEdgeId": format!("e-{name}"),
           "options": {"command": name, "resumeAfter": resume_after}})
}

fn cmd(name: &str) -> Option<Message> {
    Some(Message::Command {
        command: name.into(),
    })
}

#[tokio::test]
async fn a_command_event_runs_its_group_and_return_goes_back_to_the_waiting_input() {
    let def = base(
        json!([command("help", false)]),
        json!([group(
            "g-help",
            "Help",
            json!([
                text("h1", "Here is some help"),
                block("r", "Return", json!({}))
            ])
        )]),
        json!([edge("e-help", "g-help")]),
    );
    let mut c = Chat::start(def).await;
    c.send(cmd("help")).await.expect("command");
    assert_eq!(c.texts(), vec!["Here is some help"]);
    assert_eq!(
        c.input_id().as_deref(),
        Some("in-name"),
        "back on the same input"
    );
    c.say("Ada").await;
    assert_eq!(c.texts(), vec!["Email, Ada?"]);
}

#[tokio::test]
async fn a_command_event_with_resume_after_comes_back_when_its_group_ends() {
    let def = base(
        json!([command("status", true)]),
        json!([group(
            "g-status",
            "Status",
            json!([text("s1", "All systems go")])
        )]),
        json!([edge("e-status", "g-status")]),
    );
    let mut c = Chat::start(def).await;
    c.say("Ada").await;
    c.send(cmd("status")).await.expect("command");
    // The queued position is the waiting input itself: it is shown again, without the
    // bubbles that preceded it.
    assert_eq!(c.texts(), vec!["All systems go"]);
    assert_eq!(c.input_id().as_deref(), Some("in-email"));
}

#[tokio::test]
async fn a_command_event_without_resume_after_ends_when_its_group_ends() {
    let def = base(
        json!([command("quit", false)]),
        json!([group("g-quit", "Quit", json!([text("q1", "Bye!")]))]),
        json!([edge("e-quit", "g-quit")]),
    );
    let mut c = Chat::start(def).await;
    c.send(cmd("quit")).await.expect("command");
    assert_eq!(c.texts(), vec!["Bye!"]);
    assert_eq!(c.out.status, TurnStatus::Completed);
}

#[tokio::test]
async fn an_unknown_command_is_an_error() {
    let mut c = Chat::start(base(json!([]), json!([]), json!([]))).await;
    assert_eq!(c.send(cmd("nope")).await, Err(EngineError::CommandNotFound));
}

fn reply_event(kind: &str) -> Value {
    json!({"id": format!("ev-{kind}"), "type": kind, "outgoingEdgeId": format!("e-{kind}"),
           "options": {"contentVariableId": vid("Said"), "inputTypeVariableId": vid("Kind"),
                       "inputNameVariableId": vid("Where")}})
}

fn echo_group(kind: &str) -> Value {
    json!([group(
        &format!("g-{kind}"),
        kind,
        json!([
            text("echo", "You said {{Said}} ({{Kind}} in {{Where}})"),
            block("r", "Return", json!({})),
        ])
    )])
}

#[tokio::test]
async fn a_reply_event_sees_each_reply_then_the_reply_is_applied_automatically() {
    let def = base(
        json!([reply_event("reply")]),
        echo_group("reply"),
        json!([edge("e-reply", "g-reply")]),
    );
    let mut c = Chat::start(def).await;
    c.say("Ada").await;
    assert_eq!(
        c.texts(),
        vec!["You said Ada (text in Welcome)", "Email, Ada?"]
    );
    assert_eq!(c.input_id().as_deref(), Some("in-email"));
    // Invalid replies go through the event too, then get the retry message.
    c.say("nope").await;
    assert_eq!(
        c.texts(),
        vec!["You said nope (email in Welcome)", EMAIL_RETRY]
    );
    assert_eq!(c.input_id().as_deref(), Some("in-email"));
    c.say("ada@example.com").await;
    assert_eq!(
        c.texts(),
        vec!["You said ada@example.com (email in Welcome)", "Thanks Ada"]
    );
    assert_eq!(c.out.status, TurnStatus::Completed);
}

#[tokio::test]
async fn an_invalid_reply_event_only_sees_invalid_replies() {
    let def = base(
        json!([reply_event("invalidReply")]),
        echo_group("invalidReply"),
        json!([edge("e-invalidReply", "g-invalidReply")]),
    );
    let mut c = Chat::start(def).await;
    c.say("Ada").await;
    assert_eq!(
        c.texts(),
        vec!["Email, Ada?"],
        "valid replies are not intercepted"
    );
    c.say("nope").await;
    assert_eq!(c.texts()[0], "You said nope (email in Welcome)");
    assert_eq!(
        c.input_id().as_deref(),
        Some("in-email"),
        "back on the input"
    );
    assert_eq!(c.var("Email"), None);
    c.say("ada@example.com").await;
    assert_eq!(c.texts(), vec!["Thanks Ada"]);
}

#[tokio::test]
async fn a_reply_event_group_can_leave_the_conversation_instead_of_returning() {
    let g = json!([
        group(
            "g-reply",
            "Watch",
            json!([
                {"id": "cond", "type": "Condition", "items": [{"id": "i1", "outgoingEdgeId": "e-agent", "content": {"comparisons": [
                    {"id": "c1", "variableId": vid("Said"), "comparisonOperator": "Contains", "value": "agent"}]}}]},
                block("r", "Return", json!({})),
            ])
        ),
        group(
            "g-agent",
            "Agent",
            json!([text("a1", "Connecting you to an agent")])
        )
    ]);
    let def = base(
        json!([reply_event("reply")]),
        g,
        json!([edge("e-reply", "g-reply"), edge("e-agent", "g-agent")]),
    );
    let mut c = Chat::start(def).await;
    c.say("Ada").await;
    assert_eq!(c.texts(), vec!["Email, Ada?"]);
    c.say("I want an AGENT").await;
    assert_eq!(c.texts(), vec!["Connecting you to an agent"]);
    assert_eq!(c.out.status, TurnStatus::Completed);
}
