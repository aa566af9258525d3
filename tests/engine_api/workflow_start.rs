//! The web player's start of a workflow run (`POST /api/workflows/{name}/start`): no token, a
//! startChat body plus `userId`; the run is listed under that user with its prefilled
//! variables as context, and the player continues it with continueChat. With an identity
//! secret, the user id needs its HMAC.

use serde_json::{Value, json};
use tessera::api::identity::user_hash;

use crate::common::app::{TOKEN, TestApp, spawn_app_with};
use crate::support::{call, code, continue_ok, first_said, order_bot, publish, tenant, unique};

async fn start(app: &TestApp, name: &str, body: &Value, hash: Option<&str>) -> (u16, Value) {
    start_keyed(app, name, body, hash, None).await
}

async fn start_keyed(
    app: &TestApp,
    name: &str,
    body: &Value,
    hash: Option<&str>,
    key: Option<&str>,
) -> (u16, Value) {
    let mut rb = app
        .client
        .post(format!("{}/api/workflows/{name}/start", app.base))
        .json(body);
    if let Some(h) = hash {
        rb = rb.header("x-tessera-user-hash", h);
    }
    if let Some(k) = key {
        rb = rb.header("idempotency-key", k);
    }
    crate::common::http::into_json(rb.send().await.expect("request")).await
}

async fn runs_of(app: &TestApp, name: &str, user: &str) -> Value {
    let path = format!("/api/workflows/{name}/runs?user_id={user}");
    let (status, page) = call(app, "GET", &path, Some(TOKEN), None, None).await;
    assert_eq!(status, 200, "{page}");
    page["runs"].clone()
}

async fn the_player_starts_a_run_that_the_runs_api_lists_with_its_context(app: TestApp) {
    let name = unique("support");
    publish(&app, &order_bot(&name), None).await;
    // The page's variables are the context; a user id among them cannot name another user.
    let body = json!({"userId": "user_7", "isStreamEnabled": true,
        "prefilledVariables": {"order_number": "o-1", "user_id": "someone_else"}});
    let (status, run) = start(&app, &name, &body, None).await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["runId"], run["sessionId"]);
    assert_eq!(run["userId"], "user_7");
    assert!(
        run["typebot"]["theme"].is_object(),
        "startChat's shape: {run}"
    );
    let said = first_said(&run);
    assert_eq!(said, "Hello o-1", "{run}");
    assert_eq!(run["input"]["id"], "i-name");
    let sid = run["sessionId"].as_str().unwrap_or_default();
    continue_ok(&app, sid, "Ada").await;
    let runs = runs_of(&app, &name, "user_7").await;
    assert_eq!(runs.as_array().map(Vec::len), Some(1), "{runs}");
    assert_eq!(runs[0]["run_id"], run["runId"]);
    assert_eq!(runs[0]["context"], json!({"order_number": "o-1"}));
    let transcript = runs[0]["transcript"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let roles: Vec<&str> = transcript
        .iter()
        .filter_map(|e| e["role"].as_str())
        .collect();
    assert_eq!(roles, vec!["bot", "user"], "{runs}");
    assert_eq!(transcript[1]["text"], "Ada");
    assert_eq!(runs_of(&app, &name, "someone_else").await, json!([]));
}

async fn player_start_errors(app: TestApp) {
    let name = unique("support");
    publish(&app, &order_bot(&name), None).await;
    for body in [
        json!({}),
        json!({"userId": ""}),
        json!({"userId": 7}),
        json!({"userId": "u".repeat(257)}),
    ] {
        let (status, err) = start(&app, &name, &body, None).await;
        assert_eq!((status, code(&err)), (422, "invalid_input"), "{body}");
    }
    let (status, err) = start(
        &app,
        &name,
        &json!({"userId": "u", "prefilledVariables": 1}),
        None,
    )
    .await;
    assert_eq!((status, code(&err)), (400, "invalid_request"), "{err}");
    let (status, err) = start(&app, "no-such", &json!({"userId": "u"}), None).await;
    assert_eq!((status, code(&err)), (404, "workflow_not_found"));
    let theirs = unique("support");
    publish(&app, &order_bot(&theirs), Some(&tenant())).await;
    let (status, err) = start(&app, &theirs, &json!({"userId": "u"}), None).await;
    assert_eq!(
        (status, code(&err)),
        (404, "workflow_not_found"),
        "another tenant's flow"
    );
    assert_eq!(
        runs_of(&app, &name, "u").await,
        json!([]),
        "nothing was recorded"
    );
}

/// A player start retried with its `Idempotency-Key`: the same answer (its run id included),
/// one run listed; the key with another body is a conflict.
async fn a_player_start_retried_with_its_key_is_one_run(app: TestApp) {
    let name = unique("support");
    publish(&app, &order_bot(&name), None).await;
    let body = json!({"userId": "user_9", "prefilledVariables": {"order_number": "o-9"}});
    let key = unique("key");
    let first = start_keyed(&app, &name, &body, None, Some(&key)).await;
    assert_eq!(first.0, 200, "{}", first.1);
    for _ in 0..3 {
        let again = start_keyed(&app, &name, &body, None, Some(&key)).await;
        assert_eq!(again, first, "the stored answer");
    }
    let runs = runs_of(&app, &name, "user_9").await;
    assert_eq!(runs.as_array().map(Vec::len), Some(1), "{runs}");
    assert_eq!(runs[0]["run_id"], first.1["runId"]);
    let other = json!({"userId": "user_9"});
    let (status, err) = start_keyed(&app, &name, &other, None, Some(&key)).await;
    assert_eq!((status, code(&err)), (409, "idempotency_conflict"), "{err}");
}

on_both_stores!(
    the_player_starts_a_run_that_the_runs_api_lists_with_its_context,
    player_start_errors,
    a_player_start_retried_with_its_key_is_one_run
);

#[tokio::test]
async fn with_an_identity_secret_a_player_start_needs_the_user_ids_hmac() {
    let app = spawn_app_with(|c| c.identity_secret = Some("s3cret".into())).await;
    let name = unique("support");
    publish(&app, &order_bot(&name), None).await;
    let body = json!({"userId": "user_123"});
    for hash in [
        None,
        Some(user_hash("s3cret", "user_124")),
        Some("zz".into()),
    ] {
        let (status, err) = start(&app, &name, &body, hash.as_deref()).await;
        assert_eq!((status, code(&err)), (403, "identity_mismatch"), "{hash:?}");
    }
    assert_eq!(
        runs_of(&app, &name, "user_123").await,
        json!([]),
        "a refused start records no run"
    );
    let good = user_hash("s3cret", "user_123");
    let (status, run) = start(&app, &name, &body, Some(&good)).await;
    assert_eq!(status, 200, "{run}");
    let runs = runs_of(&app, &name, "user_123").await;
    assert_eq!(runs[0]["run_id"], run["runId"]);
}
