//! The step budget, prefilled variables, unsupported blocks, blocks without network or credentials,
//! and finished sessions.

use std::time::{Duration, Instant};

use serde_json::json;
use tessera::engine::{EngineConfig, EngineError, Message, StartParams, TurnStatus};
use tessera::flow::VarValue;

use crate::chat::Chat;
use crate::flows::{block, compile, custom, flow_def, group, linear, text, vid};

#[tokio::test]
async fn a_flow_looping_through_jumps_and_set_variables_fails_the_turn_quickly() {
    let def = flow_def(
        json!([group(
            "g-loop",
            "Loop",
            json!([
                custom("s1", "N", "({{N}} || 0) + 1"),
                block("j", "Jump", json!({"groupId": "g-loop"})),
            ])
        )]),
        json!([]),
        &["N"],
    );
    let started = Instant::now();
    let c = Chat::start(def).await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(c.out.status, TurnStatus::Failed);
    assert!(
        c.logs()
            .iter()
            .any(|l| l.starts_with("Stopped after 1000 blocks in one turn")),
        "{:?}",
        c.logs()
    );
    assert_eq!(c.out.steps, 1001);
    assert!(c.state().done, "the session is over");
    let n: u32 = c.var_str("N").and_then(|n| n.parse().ok()).unwrap_or(0);
    assert!(
        (499..=501).contains(&n),
        "the loop ran until the budget: {n}"
    );
}

#[tokio::test]
async fn the_step_budget_is_configurable_and_counts_every_block() {
    let def = flow_def(
        json!([group(
            "g-loop",
            "Loop",
            json!([
                text("t", "again"),
                block("j", "Jump", json!({"groupId": "g-loop"}))
            ])
        )]),
        json!([]),
        &[],
    );
    let config = EngineConfig {
        step_budget: 10,
        ..EngineConfig::default()
    };
    let c = Chat::try_start(def, StartParams::default(), &[], config)
        .await
        .expect("start");
    assert_eq!(c.out.status, TurnStatus::Failed);
    assert_eq!(c.texts().len(), 5, "5 bubbles and 5 jumps");
    assert!(
        c.logs()
            .iter()
            .any(|l| l.starts_with("Stopped after 10 blocks")),
        "{:?}",
        c.logs()
    );
}

#[tokio::test]
async fn prefilled_variables_match_names_exactly_and_are_coerced() {
    let def = linear(
        json!([text("t", "{{Name}}|{{Age}}|{{Tags}}|{{name}}")]),
        &["Name", "Age", "Tags"],
    );
    let mut prefilled = serde_json::Map::new();
    prefilled.insert("Name".into(), json!("Ada"));
    prefilled.insert("name".into(), json!("wrong case"));
    prefilled.insert("Age".into(), json!(36));
    prefilled.insert("Tags".into(), json!(["a", 1]));
    prefilled.insert("Unknown".into(), json!("ignored"));
    let params = StartParams {
        prefilled,
        ..StartParams::default()
    };
    let c = Chat::start_with(def, params, &[]).await;
    assert_eq!(c.texts(), vec![r#"Ada|36|["a","1"]|"#.to_string()]);
    assert_eq!(
        c.var("Tags"),
        Some(VarValue::List(vec![Some("a".into()), Some("1".into())]))
    );
    assert!(c.flow.variable_by_name("Unknown").is_none());
}

#[tokio::test]
async fn prefilled_variables_can_be_restricted_by_the_bot() {
    let mut def = linear(json!([text("t", "{{Name}}|{{Role}}")]), &["Name", "Role"]);
    def["settings"] = json!({"tessera": {"prefillableVariables": ["Name"]}});
    let mut prefilled = serde_json::Map::new();
    prefilled.insert("Name".into(), json!("Ada"));
    prefilled.insert("Role".into(), json!("admin"));
    let c = Chat::start_with(
        def,
        StartParams {
            prefilled,
            ..StartParams::default()
        },
        &[],
    )
    .await;
    assert_eq!(c.texts(), vec!["Ada|"]);
}

#[tokio::test]
async fn unsupported_block_types_are_skipped_with_a_log() {
    let def = linear(
        json!([
            text("t1", "before"),
            block("x", "Teleport", json!({"to": "mars"})),
            text("t2", "after")
        ]),
        &[],
    );
    assert!(
        compile(&def)
            .warnings
            .iter()
            .any(|w| w.code == "unsupported_block"),
        "validation warns about it"
    );
    let c = Chat::start(def).await;
    assert_eq!(c.texts(), vec!["before", "after"]);
    assert!(
        c.logs()
            .iter()
            .any(|l| l == "Block type \"Teleport\" is not supported by this engine: skipped"),
        "{:?}",
        c.logs()
    );
    assert_eq!(c.out.status, TurnStatus::Completed);
}

#[tokio::test]
async fn an_http_request_without_network_logs_the_refusal_and_maps_the_status() {
    let b = block(
        "http",
        "Webhook",
        json!({
        "webhook": {"url": "https://api.example.com/items", "method": "GET"},
        "responseVariableMapping": [{"variableId": vid("Status"), "bodyPath": "statusCode"},
                                    {"variableId": vid("Msg"), "bodyPath": "data.message"}]}),
    );
    let c = Chat::start(linear(
        json!([b, text("t", "{{Status}}")]),
        &["Status", "Msg"],
    ))
    .await;
    assert_eq!(c.texts(), vec!["400"]);
    assert!(
        c.logs()
            .iter()
            .any(|l| l.starts_with("Security validation failed")),
        "{:?}",
        c.logs()
    );
    assert!(
        c.var_str("Msg")
            .is_some_and(|m| m.starts_with("Security validation failed"))
    );
}

#[tokio::test]
async fn forge_and_email_blocks_without_credentials_are_skipped_with_a_log() {
    let def = linear(
        json!([
            block(
                "ai",
                "openai",
                json!({"action": "Create chat completion", "responseMapping": [
                {"item": "Message content", "variableId": vid("Reply")}]})
            ),
            block(
                "mail",
                "Email",
                json!({"recipients": ["a@example.com"], "subject": "Hi"})
            ),
            block("cfg", "mistral", json!({})),
            text("t", "after"),
        ]),
        &["Reply"],
    );
    let c = Chat::start(def.clone()).await;
    assert_eq!(c.texts(), vec!["after"]);
    assert_eq!(
        c.logs(),
        vec![
            "Could not find credentials for block openai".to_string(),
            "No credentials found, make sure to configure your SMTP provider properly".to_string(),
            "mistral is not configured".to_string(),
        ]
    );
    // In preview, emails are skipped with an info log instead.
    let c = Chat::start_with(
        def,
        StartParams {
            preview: true,
            ..StartParams::default()
        },
        &[],
    )
    .await;
    assert!(
        c.logs()
            .iter()
            .any(|l| l == "Emails are not sent in preview mode"),
        "{:?}",
        c.logs()
    );
}

#[tokio::test]
async fn a_finished_session_cannot_be_resumed() {
    let mut c = Chat::start(linear(json!([text("t", "only")]), &[])).await;
    assert_eq!(c.out.status, TurnStatus::Completed);
    assert_eq!(
        c.send(Some(Message::text("hi"))).await,
        Err(EngineError::Finished)
    );
}
