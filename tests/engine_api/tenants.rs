//! Tenant isolation: intents resolve within the tenant only; another tenant's execution,
//! conversation and wait token read, resume and abort nothing (404).

use serde_json::json;

use crate::common::app::TestApp;
use crate::support::{
    DEFAULT_TENANT, ENGINE_TOKEN, abort, call, code, get_conversation, get_execution, order_bot,
    publish, tenant, trigger, trigger_ok, unique,
};

async fn nothing_of_one_tenant_is_reachable_from_another(app: TestApp) {
    let (a, b) = (tenant(), tenant());
    let id = unique("orders");
    publish(&app, &order_bot(&id), Some(&a)).await;
    // The intent is tenant A's only (and not the default tenant's).
    for other in [b.as_str(), DEFAULT_TENANT] {
        let (status, err) = trigger(&app, json!({"tenant_id": other, "intent_name": id})).await;
        assert_eq!((status, code(&err)), (404, "intent_not_found"));
    }
    let env = trigger_ok(&app, &a, &id, json!({})).await;
    let eid = env["execution_id"].as_str().unwrap_or_default();
    let cid = env["conversation_id"].as_str().unwrap_or_default();

    let (status, err) = get_execution(&app, &b, eid).await;
    assert_eq!((status, code(&err)), (404, "execution_not_found"));
    let resume = json!({"tenant_id": b, "wait_token": env["metadata"]["wait_token"], "input": {"text": "x"}});
    let (status, err) = call(
        &app,
        "POST",
        &format!("/api/v1/engine/executions/{eid}/resume"),
        Some(ENGINE_TOKEN),
        None,
        Some(&resume),
    )
    .await;
    assert_eq!((status, code(&err)), (404, "execution_not_found"));
    let (status, err) = abort(&app, &b, eid).await;
    assert_eq!((status, code(&err)), (404, "execution_not_found"));
    let (status, err) = get_conversation(&app, &b, cid).await;
    assert_eq!((status, code(&err)), (404, "conversation_not_found"));
    // Tenant B's own flow of the same shape cannot attach to A's conversation.
    let id_b = unique("orders");
    publish(&app, &order_bot(&id_b), Some(&b)).await;
    let (status, err) = trigger(
        &app,
        json!({"tenant_id": b, "intent_name": id_b, "conversation_id": cid}),
    )
    .await;
    assert_eq!((status, code(&err)), (404, "conversation_not_found"));
    // A wait token of B's execution does not resume A's.
    let env_b = trigger_ok(&app, &b, &id_b, json!({})).await;
    let foreign = json!({"tenant_id": a, "wait_token": env_b["metadata"]["wait_token"], "input": {"text": "x"}});
    let (status, err) = call(
        &app,
        "POST",
        &format!("/api/v1/engine/executions/{eid}/resume"),
        Some(ENGINE_TOKEN),
        None,
        Some(&foreign),
    )
    .await;
    assert_eq!((status, code(&err)), (409, "stale_wait_token"));
    // All of that left A's execution as it was.
    assert_eq!(get_execution(&app, &a, eid).await, (200, env));
}

async fn flows_published_without_a_tenant_belong_to_the_default_one(app: TestApp) {
    let id = unique("orders");
    publish(&app, &order_bot(&id), None).await;
    let env = trigger_ok(&app, DEFAULT_TENANT, &id, json!({})).await;
    assert_eq!(env["status"], "waiting_input");
    let (status, _) = trigger(&app, json!({"tenant_id": tenant(), "intent_name": id})).await;
    assert_eq!(status, 404);
}

on_both_stores!(
    nothing_of_one_tenant_is_reachable_from_another,
    flows_published_without_a_tenant_belong_to_the_default_one
);
