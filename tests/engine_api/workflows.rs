//! The workflow API: the default tenant's workflows, a trigger for a user (a session a web
//! player continues with continueChat), and the user's runs with their transcripts, newest
//! first and paginated.

use serde_json::{Value, json};

use crate::common::app::TOKEN;
use crate::common::app::TestApp;
use crate::support::{call, code, continue_ok, first_said, order_bot, publish, tenant, unique};

async fn workflows_lists_the_default_tenants_flows(app: TestApp) {
    let mine = unique("support");
    let theirs = unique("support");
    publish(&app, &order_bot(&mine), None).await;
    publish(&app, &order_bot(&theirs), Some(&tenant())).await;
    let (status, body) = call(&app, "GET", "/api/workflows", Some(TOKEN), None, None).await;
    assert_eq!(status, 200, "{body}");
    let list = body["workflows"].as_array().expect("workflows");
    let found: Vec<&Value> = list.iter().filter(|w| w["name"] == mine.as_str()).collect();
    assert_eq!(found.len(), 1, "{body}");
    assert_eq!(found[0]["title"], format!("Bot {mine}"));
    assert!(found[0]["description"].is_string());
    assert!(
        found[0]["variables"]
            .as_array()
            .expect("variables")
            .contains(&json!("order_number"))
    );
    assert!(
        !list.iter().any(|w| w["name"] == theirs.as_str()),
        "another tenant's flow is not listed"
    );
}

async fn a_trigger_starts_a_run_the_player_can_continue_and_the_runs_show_it(app: TestApp) {
    let name = unique("support");
    publish(&app, &order_bot(&name), None).await;
    let trigger = format!("/api/workflows/{name}/trigger");
    let body = json!({"user_id": "user_123", "context": {"order_number": "order_456", "issue": "payment_failed"}});
    let (status, run) = call(&app, "POST", &trigger, Some(TOKEN), None, Some(&body)).await;
    assert_eq!(status, 201, "{run}");
    assert_eq!(run["run_id"], run["session_id"]);
    assert_eq!(run["workflow"], name.as_str());
    assert_eq!(run["user_id"], "user_123");
    assert_eq!(run["status"], "waiting_input");
    let said = first_said(&run);
    assert_eq!(said, "Hello order_456", "{run}");
    assert_eq!(run["input"]["id"], "i-name");
    // The web player goes on with continueChat.
    let sid = run["session_id"].as_str().unwrap_or_default();
    continue_ok(&app, sid, "Ada").await;
    // A second run, newer.
    let (_, run2) = call(
        &app,
        "POST",
        &trigger,
        Some(TOKEN),
        None,
        Some(&json!({"user_id": "user_123"})),
    )
    .await;
    let runs = format!("/api/workflows/{name}/runs?user_id=user_123&limit=1");
    let (status, page) = call(&app, "GET", &runs, Some(TOKEN), None, None).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["runs"][0]["run_id"], run2["run_id"], "newest first");
    let cursor = page["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_string();
    let (_, page2) = call(
        &app,
        "GET",
        &format!("{runs}&cursor={cursor}"),
        Some(TOKEN),
        None,
        None,
    )
    .await;
    let first = &page2["runs"][0];
    assert_eq!(first["run_id"], run["run_id"], "{page2}");
    assert_eq!(page2["next_cursor"], Value::Null);
    assert_eq!(first["status"], "waiting_input");
    assert_eq!(first["context"]["issue"], "payment_failed");
    assert!(first["started_at"].is_string() && first["updated_at"].is_string());
    let transcript = first["transcript"].as_array().expect("transcript");
    let roles: Vec<&str> = transcript
        .iter()
        .filter_map(|e| e["role"].as_str())
        .collect();
    assert_eq!(roles, vec!["bot", "user"], "{first}");
    assert_eq!(transcript[1]["text"], "Ada");
    assert!(transcript.iter().all(|e| e["at"].is_string()));
    // Another user sees none of them.
    let (_, none) = call(
        &app,
        "GET",
        &format!("/api/workflows/{name}/runs?user_id=other"),
        Some(TOKEN),
        None,
        None,
    )
    .await;
    assert_eq!(none["runs"], json!([]));
}

async fn workflow_errors(app: TestApp) {
    let (status, err) = call(
        &app,
        "POST",
        "/api/workflows/no-such/trigger",
        Some(TOKEN),
        None,
        Some(&json!({"user_id": "u"})),
    )
    .await;
    assert_eq!((status, code(&err)), (404, "workflow_not_found"));
    let (status, err) = call(
        &app,
        "GET",
        "/api/workflows/no-such/runs?user_id=u",
        Some(TOKEN),
        None,
        None,
    )
    .await;
    assert_eq!((status, code(&err)), (404, "workflow_not_found"));
    let name = unique("support");
    publish(&app, &order_bot(&name), None).await;
    let trigger = format!("/api/workflows/{name}/trigger");
    for body in [
        json!({}),
        json!({"user_id": ""}),
        json!({"user_id": "u".repeat(257)}),
        json!({"user_id": "u", "context": 1}),
    ] {
        let (status, err) = call(&app, "POST", &trigger, Some(TOKEN), None, Some(&body)).await;
        assert_eq!((status, code(&err)), (422, "invalid_input"), "{body}");
    }
    let (status, err) = call(
        &app,
        "GET",
        &format!("/api/workflows/{name}/runs"),
        Some(TOKEN),
        None,
        None,
    )
    .await;
    assert_eq!((status, code(&err)), (422, "invalid_input"));
    // A flow of another tenant is no workflow.
    let theirs = unique("support");
    publish(&app, &order_bot(&theirs), Some(&tenant())).await;
    let (status, _) = call(
        &app,
        "POST",
        &format!("/api/workflows/{theirs}/trigger"),
        Some(TOKEN),
        None,
        Some(&json!({"user_id": "u"})),
    )
    .await;
    assert_eq!(status, 404);
}

/// Found by the API fuzzer (scripts/api-fuzz.sh): what the spec allows is accepted. A null
/// `context` is the same as none (it was documented as an object only), and `limit` is any
/// integer, clamped to 1..100 (a negative one was a 422).
async fn workflow_inputs_the_spec_allows_are_accepted(app: TestApp) {
    let name = unique("support");
    publish(&app, &order_bot(&name), None).await;
    let trigger = format!("/api/workflows/{name}/trigger");
    let body = json!({"user_id": "u", "context": null});
    let (status, run) = call(&app, "POST", &trigger, Some(TOKEN), None, Some(&body)).await;
    assert_eq!(status, 201, "{run}");
    for limit in ["-143", "0", "9223372036854775807"] {
        let runs = format!("/api/workflows/{name}/runs?user_id=u&limit={limit}");
        let (status, page) = call(&app, "GET", &runs, Some(TOKEN), None, None).await;
        assert_eq!(status, 200, "limit={limit}: {page}");
        assert_eq!(page["runs"][0]["run_id"], run["run_id"], "limit={limit}");
    }
}

on_both_stores!(
    workflow_inputs_the_spec_allows_are_accepted,
    workflows_lists_the_default_tenants_flows,
    a_trigger_starts_a_run_the_player_can_continue_and_the_runs_show_it,
    workflow_errors
);
