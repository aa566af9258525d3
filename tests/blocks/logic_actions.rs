//! Blocks that become client-side actions: wait (and pause), redirect, scripts; and server-side
//! scripts.

use serde_json::json;
use tessera::engine::TurnStatus;

use crate::chat::Chat;
use crate::flows::{block, linear, text, with_values};

#[tokio::test]
async fn wait_sends_a_wait_action_and_goes_on() {
    let def = with_values(
        linear(
            json!([
                block("w", "Wait", json!({"secondsToWaitFor": "{{Secs}}"})),
                text("t", "after")
            ]),
            &["Secs"],
        ),
        &[("Secs", json!("2"))],
    );
    let c = Chat::start(def).await;
    assert_eq!(
        c.action("wait").map(|a| a["wait"].clone()),
        Some(json!({"secondsToWaitFor": 2}))
    );
    assert_eq!(c.texts(), vec!["after"]);
    let def = linear(
        json!([
            block(
                "w",
                "Wait",
                json!({"secondsToWaitFor": "soon", "shouldPause": true})
            ),
            text("t", "after")
        ]),
        &[],
    );
    let c = Chat::start(def).await;
    assert!(c.out.actions.is_empty(), "unparseable seconds: no-op");
    assert_eq!(c.texts(), vec!["after"]);
}

#[tokio::test]
async fn wait_with_pause_stops_the_turn_until_the_client_resumes() {
    let def = linear(
        json!([
            block(
                "w",
                "Wait",
                json!({"secondsToWaitFor": "1", "shouldPause": true})
            ),
            text("t", "after")
        ]),
        &[],
    );
    let mut c = Chat::start(def).await;
    assert_eq!(c.out.status, TurnStatus::WaitingTime);
    assert_eq!(
        c.action("wait").map(|a| a["expectsDedicatedReply"].clone()),
        Some(json!(true))
    );
    assert!(c.texts().is_empty());
    c.send(None).await.expect("resume");
    assert_eq!(c.texts(), vec!["after"]);
    assert_eq!(c.out.status, TurnStatus::Completed);
}

async fn redirect(url: &str) -> Chat {
    let def = with_values(
        linear(
            json!([
                text("t1", "bye"),
                block("r", "Redirect", json!({"url": url, "isNewTab": true})),
                text("t2", "after")
            ]),
            &["Page"],
        ),
        &[("Page", json!("https://example.com/x"))],
    );
    Chat::start(def).await
}

#[tokio::test]
async fn redirect_adds_https_when_needed_and_does_not_stop_the_walk() {
    for (url, expected) in [
        ("example.com/pricing", "https://example.com/pricing"),
        ("http://example.com", "http://example.com"),
        ("mailto:hi@example.com", "mailto:hi@example.com"),
        ("tel:+33612345678", "tel:+33612345678"),
        ("{{Page}}", "https://example.com/x"),
    ] {
        let c = redirect(url).await;
        let a = c.action("redirect").cloned().unwrap_or_default();
        assert_eq!(
            a["redirect"],
            json!({"url": expected, "isNewTab": true}),
            "{url}"
        );
        assert_eq!(a["lastBubbleBlockId"], "t1");
        assert_eq!(c.texts(), vec!["bye", "after"]);
    }
}

#[tokio::test]
async fn redirect_refuses_javascript_urls() {
    for url in [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "data:text/html,hi",
    ] {
        let c = redirect(url).await;
        assert!(c.action("redirect").is_none(), "{url}");
        assert!(
            c.logs().iter().any(|l| l.contains("refused")),
            "{url}: {:?}",
            c.logs()
        );
    }
}

#[tokio::test]
async fn a_client_script_becomes_an_action_with_its_variables() {
    let b = block("code", "Code", json!({"content": "console.log({{Name}})"}));
    let def = with_values(
        linear(json!([text("t1", "hi"), b, text("t2", "after")]), &["Name"]),
        &[("Name", json!("Ada"))],
    );
    let c = Chat::start(def).await;
    let a = c.action("scriptToExecute").cloned().unwrap_or_default();
    assert_eq!(a["scriptToExecute"]["content"], "console.log(vName)");
    assert_eq!(
        a["scriptToExecute"]["args"],
        json!([{"id": "vName", "value": "Ada"}])
    );
    assert_eq!(a["lastBubbleBlockId"], "t1");
    assert!(a.get("expectsDedicatedReply").is_none());
    assert_eq!(c.texts(), vec!["hi", "after"]);
}

#[tokio::test]
async fn a_server_script_sets_variables_by_name_and_logs_its_errors() {
    let b = block(
        "code",
        "Code",
        json!({"isExecutedOnClient": false,
        "content": "setVariable('Total', {{A}} + {{B}}); setVariable('Unknown', 1);"}),
    );
    let def = with_values(
        linear(
            json!([b, text("t", "Total: {{Total}}")]),
            &["A", "B", "Total"],
        ),
        &[("A", json!("2")), ("B", json!("3"))],
    );
    let c = Chat::start(def).await;
    assert_eq!(c.texts(), vec!["Total: 5"]);
    assert!(c.out.actions.is_empty());
    let b = block(
        "code",
        "Code",
        json!({"isExecutedOnClient": false, "content": "throw new Error('nope')"}),
    );
    let c = Chat::start(linear(json!([b, text("t", "after")]), &[])).await;
    assert!(
        c.logs().iter().any(|l| l == "Script block failed"),
        "{:?}",
        c.logs()
    );
    assert_eq!(c.texts(), vec!["after"]);
}
