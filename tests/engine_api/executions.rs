//! Executions walked end to end: trigger, resumes to `completed` (with a retried invalid
//! reply), stale and reused wait tokens, finished executions, `failed` from a looping bot,
//! `aborted`, and idempotent trigger and resume.

use serde_json::json;

use crate::common::app::TestApp;
use crate::support::{
    ENGINE_TOKEN, abort, call, code, get_execution, looping_bot, order_bot, publish, resume,
    tenant, texts, trigger_ok, unique,
};

async fn an_execution_walks_from_trigger_to_completed(app: TestApp) {
    let t = tenant();
    let id = unique("orders");
    publish(&app, &order_bot(&id), Some(&t)).await;
    let env = trigger_ok(
        &app,
        &t,
        &id,
        json!({"variables": {"order_number": "4567"}}),
    )
    .await;
    assert_eq!(env["status"], "waiting_input", "{env}");
    assert!(uuid::Uuid::parse_str(env["execution_id"].as_str().unwrap_or_default()).is_ok());
    assert!(uuid::Uuid::parse_str(env["conversation_id"].as_str().unwrap_or_default()).is_ok());
    assert_eq!(env["blocks"][0]["type"], "text");
    assert_eq!(env["blocks"][0]["id"], "t-hello");
    assert_eq!(env["blocks"][0]["payload"]["text"], "Hello 4567");
    assert_eq!(env["blocks"][0]["meta"]["group_id"], "g-main");
    assert_eq!(env["expected_input"]["id"], "i-name");
    assert_eq!(env["expected_input"]["type"], "text input");
    assert_eq!(env["token_usage"], json!(null));
    let first_token = env["metadata"]["wait_token"].clone();
    assert!(first_token.is_string());

    let (status, env2) = resume(&app, &t, &env, "Ada").await;
    assert_eq!(
        (status, env2["status"].as_str()),
        (200, Some("waiting_input")),
        "{env2}"
    );
    assert_eq!(env2["expected_input"]["id"], "i-email");
    assert_eq!(env2["execution_id"], env["execution_id"]);
    // The first token is used up: a second use (or a stale one) changes nothing.
    let (status, err) = resume(&app, &t, &env, "Ada again").await;
    assert_eq!((status, code(&err)), (409, "stale_wait_token"), "{err}");
    let (_, now) = get_execution(&app, &t, env["execution_id"].as_str().unwrap_or_default()).await;
    assert_eq!(now, env2, "a stale token changed nothing");

    // An invalid email: still waiting on the same input, retry message, a new token.
    let (status, env3) = resume(&app, &t, &env2, "not an email").await;
    assert_eq!(
        (status, env3["status"].as_str()),
        (200, Some("waiting_input")),
        "{env3}"
    );
    assert_eq!(env3["expected_input"]["id"], "i-email");
    assert!(!texts(&env3).is_empty(), "the retry message: {env3}");
    assert_ne!(
        env3["metadata"]["wait_token"],
        env2["metadata"]["wait_token"]
    );

    let (_, env4) = resume(&app, &t, &env3, "ada@example.com").await;
    assert_eq!(env4["expected_input"]["id"], "i-choice", "{env4}");
    let items = env4["expected_input"]["items"]
        .as_array()
        .expect("choice items");
    assert_eq!(items[1]["id"], "c-b");
    let (_, done) = resume(&app, &t, &env4, "Beta").await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(texts(&done), vec!["Bye Ada, you picked Beta".to_string()]);
    assert_eq!(done["expected_input"], json!(null));
    assert!(done["metadata"].get("wait_token").is_none());
    // Finished: resume and abort are 409 execution_finished; GET returns the last envelope.
    let (status, err) = resume(&app, &t, &env4, "Beta").await;
    assert_eq!((status, code(&err)), (409, "execution_finished"));
    let eid = done["execution_id"].as_str().unwrap_or_default();
    let (status, err) = abort(&app, &t, eid).await;
    assert_eq!((status, code(&err)), (409, "execution_finished"));
    assert_eq!(get_execution(&app, &t, eid).await, (200, done));
}

async fn a_looping_bot_fails_with_the_reason(app: TestApp) {
    let t = tenant();
    let id = unique("loop");
    publish(&app, &looping_bot(&id), Some(&t)).await;
    let env = trigger_ok(&app, &t, &id, json!({})).await;
    assert_eq!(env["status"], "failed", "{env}");
    let error = env["metadata"]["error"].as_str().unwrap_or_default();
    assert!(!error.is_empty(), "{env}");
    assert_eq!(env["expected_input"], json!(null));
}

async fn an_aborted_execution_ends_and_cannot_resume(app: TestApp) {
    let t = tenant();
    let id = unique("orders");
    publish(&app, &order_bot(&id), Some(&t)).await;
    let env = trigger_ok(&app, &t, &id, json!({})).await;
    let eid = env["execution_id"].as_str().unwrap_or_default();
    let abort = format!("/api/v1/engine/executions/{eid}/abort");
    let body = json!({"tenant_id": t});
    let (status, aborted) = call(&app, "POST", &abort, Some(ENGINE_TOKEN), None, Some(&body)).await;
    assert_eq!(
        (status, aborted["status"].as_str()),
        (200, Some("aborted")),
        "{aborted}"
    );
    assert_eq!(get_execution(&app, &t, eid).await.1["status"], "aborted");
    let (status, err) = resume(&app, &t, &env, "Ada").await;
    assert_eq!((status, code(&err)), (409, "execution_finished"));
    let (status, err) = call(&app, "POST", &abort, Some(ENGINE_TOKEN), None, Some(&body)).await;
    assert_eq!((status, code(&err)), (409, "execution_finished"));
}

async fn unknown_execution_ids_are_404(app: TestApp) {
    let t = tenant();
    for id in [uuid::Uuid::new_v4().to_string(), "not-a-uuid".to_string()] {
        let (status, err) = get_execution(&app, &t, &id).await;
        assert_eq!((status, code(&err)), (404, "execution_not_found"));
    }
    let (status, err) = get_execution(&app, "nope", &uuid::Uuid::new_v4().to_string()).await;
    assert_eq!((status, code(&err)), (422, "invalid_input"), "{err}");
}

async fn trigger_and_resume_are_idempotent(app: TestApp) {
    let t = tenant();
    let id = unique("orders");
    publish(&app, &order_bot(&id), Some(&t)).await;
    let path = "/api/v1/engine/triggers/chat";
    let body = json!({"tenant_id": t, "intent_name": id});
    let first = call(
        &app,
        "POST",
        path,
        Some(ENGINE_TOKEN),
        Some("k-1"),
        Some(&body),
    )
    .await;
    assert_eq!(first.0, 200);
    let again = call(
        &app,
        "POST",
        path,
        Some(ENGINE_TOKEN),
        Some("k-1"),
        Some(&body),
    )
    .await;
    assert_eq!(again, first, "same key, same body: the cached response");
    let other = json!({"tenant_id": t, "intent_name": id, "variables": {"a": 1}});
    let (status, err) = call(
        &app,
        "POST",
        path,
        Some(ENGINE_TOKEN),
        Some("k-1"),
        Some(&other),
    )
    .await;
    assert_eq!((status, code(&err)), (409, "idempotency_conflict"));

    let env = first.1;
    let eid = env["execution_id"].as_str().unwrap_or_default();
    let rpath = format!("/api/v1/engine/executions/{eid}/resume");
    let rbody = json!({"tenant_id": t, "wait_token": env["metadata"]["wait_token"], "input": {"text": "Ada"}});
    let r1 = call(
        &app,
        "POST",
        &rpath,
        Some(ENGINE_TOKEN),
        Some("r-1"),
        Some(&rbody),
    )
    .await;
    assert_eq!(r1.1["expected_input"]["id"], "i-email", "{}", r1.1);
    let r2 = call(
        &app,
        "POST",
        &rpath,
        Some(ENGINE_TOKEN),
        Some("r-1"),
        Some(&rbody),
    )
    .await;
    assert_eq!(
        r2, r1,
        "a retried resume replays instead of hitting the used token"
    );
    let mut changed = rbody.clone();
    changed["input"]["text"] = json!("Bob");
    let (status, err) = call(
        &app,
        "POST",
        &rpath,
        Some(ENGINE_TOKEN),
        Some("r-1"),
        Some(&changed),
    )
    .await;
    assert_eq!((status, code(&err)), (409, "idempotency_conflict"));
}

on_both_stores!(
    an_execution_walks_from_trigger_to_completed,
    a_looping_bot_fails_with_the_reason,
    an_aborted_execution_ends_and_cannot_resume,
    unknown_execution_ids_are_404,
    trigger_and_resume_are_idempotent
);

/// A session paused inside a linked bot whose revision is gone (deleted from Redis, resumed
/// by a process that never cached it): the resume ends the execution `failed`, not a 500.
#[tokio::test]
async fn a_linked_bot_gone_fails_the_execution() {
    use crate::common::bots::{bot, input, text};
    use crate::support::{app_on, private_redis};
    let Some(redis) = private_redis() else {
        return;
    };
    let first = app_on(Some(&redis.url())).await;
    let t = tenant();
    let (root, linked) = (unique("root"), unique("linked"));
    let mut inner = bot(
        &linked,
        json!([input("i-in", "text input", "v-in")]),
        json!([]),
    );
    inner["publicId"] = json!(linked);
    let r = first
        .client
        .put(format!(
            "{}/api/v1/flows/{linked}?tenant_id={t}",
            first.base
        ))
        .bearer_auth(crate::common::app::TOKEN)
        .json(&inner)
        .send()
        .await
        .expect("publish");
    let revision = r.json::<serde_json::Value>().await.expect("json")["revision"]
        .as_str()
        .expect("revision")
        .to_string();
    let mut outer = bot(
        &root,
        json!([text("t-go", "go"), {"id": "link", "type": "Typebot link", "options": {"typebotId": linked}}]),
        json!([]),
    );
    outer["publicId"] = json!(root);
    publish(&first, &outer, Some(&t)).await;
    let env = trigger_ok(&first, &t, &root, json!({})).await;
    assert_eq!(env["expected_input"]["id"], "i-in", "{env}");
    let mut con = redis.raw().expect("raw redis");
    let _: i64 = redis::cmd("DEL")
        .arg(format!("tessera:{{rev:{linked}}}:{revision}"))
        .query(&mut con)
        .expect("DEL");
    let second = app_on(Some(&redis.url())).await;
    let (status, failed) = resume(&second, &t, &env, "hello").await;
    assert_eq!(
        (status, failed["status"].as_str()),
        (200, Some("failed")),
        "{failed}"
    );
    assert!(
        failed["metadata"]["error"]
            .as_str()
            .is_some_and(|e| !e.is_empty())
    );
    let eid = env["execution_id"].as_str().unwrap_or_default();
    assert_eq!(get_execution(&second, &t, eid).await.1, failed);
    let (status, err) = resume(&second, &t, &env, "again").await;
    assert_eq!((status, code(&err)), (409, "execution_finished"), "{err}");
}
