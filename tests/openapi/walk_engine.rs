//! Walk steps: the engine API (trigger, resume, get, abort, conversation) and the workflow API
//! (list, trigger, runs), every documented status of each.

use serde_json::{Value, json};

use crate::checker::call;
use crate::common::bots::{bot, input, text, var};
use crate::walk::{FLOW, World};

pub const ENGINE_TOKEN: &str = "openapi-engine-token";
pub const TRIGGER: &str = "/api/v1/engine/triggers/chat";
pub const RESUME: &str = "/api/v1/engine/executions/{executionId}/resume";
pub const EXECUTION: &str = "/api/v1/engine/executions/{executionId}";
pub const ABORT: &str = "/api/v1/engine/executions/{executionId}/abort";
pub const CONVERSATION: &str = "/api/v1/engine/conversations/{conversationId}";
pub const WORKFLOWS: &str = "/api/workflows";
pub const WORKFLOW_TRIGGER: &str = "/api/workflows/{name}/trigger";
pub const RUNS: &str = "/api/workflows/{name}/runs";
pub const PLAYER_START: &str = "/api/workflows/{name}/start";
pub const TENANT: &str = "7d0f4a52-5c1e-4d8e-9a55-0a4c1c0e7e11";

pub fn intent_bot(id: &str) -> Value {
    let mut b = bot(
        id,
        json!([
            text("t-hi", "Hi {{order_number}}"),
            input("i-name", "text input", "v-name"),
            text("t-bye", "Bye {{Name}}")
        ]),
        json!([var("v-name", "Name"), var("v-order", "order_number")]),
    );
    b["publicId"] = json!(id);
    b
}

pub async fn engine(w: &World) {
    let (api, app) = (&w.api, &w.app);
    let r = api
        .call(
            app,
            call("PUT", FLOW, &["oa-intent"])
                .bearer()
                .query(&format!("tenant_id={TENANT}"))
                .json(intent_bot("oa-intent")),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let body = json!({"tenant_id": TENANT, "intent_name": "oa-intent", "variables": {"order_number": "42"}});
    let engine = |c: crate::checker::Call| c.token_of(ENGINE_TOKEN);
    let env = api
        .call(
            app,
            engine(call("POST", TRIGGER, &[]))
                .header("idempotency-key", "oa-1")
                .json(body.clone()),
        )
        .await;
    assert_eq!(env.status, 200, "{}", env.json);
    let env = env.json;
    api.call(app, call("POST", TRIGGER, &[]).json(body.clone()))
        .await;
    let other = json!({"tenant_id": TENANT, "intent_name": "oa-intent"});
    let r = api
        .call(
            app,
            engine(call("POST", TRIGGER, &[]))
                .header("idempotency-key", "oa-1")
                .json(other),
        )
        .await;
    assert_eq!(r.json["code"], "idempotency_conflict");
    let r = api
        .call(
            app,
            engine(call("POST", TRIGGER, &[]))
                .json(json!({"tenant_id": TENANT, "intent_name": "nope"})),
        )
        .await;
    assert_eq!(r.json["code"], "intent_not_found");
    let mut closed = intent_bot("oa-closed");
    closed["isClosed"] = json!(true);
    let put = call("PUT", FLOW, &["oa-closed"]).bearer();
    let put = put.query(&format!("tenant_id={TENANT}")).json(closed);
    api.call(app, put).await;
    let closed = json!({"tenant_id": TENANT, "intent_name": "oa-closed"});
    let r = api
        .call(app, engine(call("POST", TRIGGER, &[])).json(closed))
        .await;
    assert_eq!(r.json["code"], "bot_closed");
    let r = api
        .call(
            app,
            engine(call("POST", TRIGGER, &[])).json(json!({"intent_name": "oa-intent"})),
        )
        .await;
    assert_eq!(r.json["code"], "invalid_input");

    let eid = env["execution_id"]
        .as_str()
        .expect("execution id")
        .to_string();
    let cid = env["conversation_id"]
        .as_str()
        .expect("conversation id")
        .to_string();
    let tenant_q = format!("tenant_id={TENANT}");
    api.call(
        app,
        engine(call("GET", EXECUTION, &[&eid])).query(&tenant_q),
    )
    .await;
    api.call(app, call("GET", EXECUTION, &[&eid]).query(&tenant_q))
        .await;
    let unknown = uuid::Uuid::new_v4().to_string();
    api.call(
        app,
        engine(call("GET", EXECUTION, &[&unknown])).query(&tenant_q),
    )
    .await;
    api.call(app, engine(call("GET", EXECUTION, &[&eid]))).await;

    let reply = json!({"tenant_id": TENANT, "wait_token": env["metadata"]["wait_token"], "input": {"text": "Ada"}});
    let r = api
        .call(
            app,
            engine(call("POST", RESUME, &[&eid])).json(reply.clone()),
        )
        .await;
    assert_eq!(r.json["status"], "completed", "{}", r.json);
    let r = api
        .call(
            app,
            engine(call("POST", RESUME, &[&eid])).json(reply.clone()),
        )
        .await;
    assert_eq!(r.status, 409);
    api.call(app, call("POST", RESUME, &[&eid]).json(reply.clone()))
        .await;
    api.call(app, engine(call("POST", RESUME, &[&unknown])).json(reply))
        .await;
    api.call(
        app,
        engine(call("POST", RESUME, &[&eid])).json(json!({"tenant_id": TENANT})),
    )
    .await;

    let env2 = api
        .call(
            app,
            engine(call("POST", TRIGGER, &[])).json(
                json!({"tenant_id": TENANT, "intent_name": "oa-intent", "conversation_id": cid}),
            ),
        )
        .await
        .json;
    let eid2 = env2["execution_id"]
        .as_str()
        .expect("execution id")
        .to_string();
    let tenant_body = json!({"tenant_id": TENANT});
    let r = api
        .call(
            app,
            engine(call("POST", ABORT, &[&eid2])).json(tenant_body.clone()),
        )
        .await;
    assert_eq!(r.json["status"], "aborted");
    api.call(
        app,
        engine(call("POST", ABORT, &[&eid2])).json(tenant_body.clone()),
    )
    .await;
    api.call(app, call("POST", ABORT, &[&eid2]).json(tenant_body.clone()))
        .await;
    api.call(
        app,
        engine(call("POST", ABORT, &[&unknown])).json(tenant_body),
    )
    .await;
    api.call(app, engine(call("POST", ABORT, &[&eid2])).json(json!({})))
        .await;

    let r = api
        .call(
            app,
            engine(call("GET", CONVERSATION, &[&cid])).query(&tenant_q),
        )
        .await;
    assert_eq!(r.json["executions"].as_array().map(Vec::len), Some(2));
    api.call(app, call("GET", CONVERSATION, &[&cid]).query(&tenant_q))
        .await;
    api.call(
        app,
        engine(call("GET", CONVERSATION, &[&unknown])).query(&tenant_q),
    )
    .await;
    api.call(app, engine(call("GET", CONVERSATION, &[&cid])))
        .await;
}

pub async fn workflows(w: &World) {
    let (api, app) = (&w.api, &w.app);
    let r = api
        .call(
            app,
            call("PUT", FLOW, &["oa-workflow"])
                .bearer()
                .json(intent_bot("oa-workflow")),
        )
        .await;
    assert_eq!(r.status, 200);
    let r = api.call(app, call("GET", WORKFLOWS, &[]).bearer()).await;
    assert!(
        r.json["workflows"]
            .as_array()
            .is_some_and(|l| l.iter().any(|w| w["name"] == "oa-workflow"))
    );
    api.call(app, call("GET", WORKFLOWS, &[])).await;
    let body = json!({"user_id": "u-1", "context": {"order_number": "7"}});
    let r = api
        .call(
            app,
            call("POST", WORKFLOW_TRIGGER, &["oa-workflow"])
                .bearer()
                .json(body.clone()),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.json);
    api.call(
        app,
        call("POST", WORKFLOW_TRIGGER, &["oa-workflow"]).json(body.clone()),
    )
    .await;
    api.call(
        app,
        call("POST", WORKFLOW_TRIGGER, &["nope"])
            .bearer()
            .json(body.clone()),
    )
    .await;
    let mut closed = intent_bot("oa-closed-workflow");
    closed["isClosed"] = json!(true);
    let put = call("PUT", FLOW, &["oa-closed-workflow"])
        .bearer()
        .json(closed);
    api.call(app, put).await;
    let closed = call("POST", WORKFLOW_TRIGGER, &["oa-closed-workflow"])
        .bearer()
        .json(body);
    let r = api.call(app, closed).await;
    assert_eq!(r.json["code"], "bot_closed");
    api.call(
        app,
        call("POST", WORKFLOW_TRIGGER, &["oa-workflow"])
            .bearer()
            .json(json!({})),
    )
    .await;
    let r = api
        .call(
            app,
            call("GET", RUNS, &["oa-workflow"])
                .bearer()
                .query("user_id=u-1"),
        )
        .await;
    assert_eq!(
        r.json["runs"].as_array().map(Vec::len),
        Some(1),
        "{}",
        r.json
    );
    api.call(
        app,
        call("GET", RUNS, &["oa-workflow"]).query("user_id=u-1"),
    )
    .await;
    api.call(
        app,
        call("GET", RUNS, &["nope"]).bearer().query("user_id=u-1"),
    )
    .await;
    api.call(app, call("GET", RUNS, &["oa-workflow"]).bearer())
        .await;
}

/// The web player's start of a workflow run (no token) and its errors.
pub async fn workflow_start(w: &World) {
    let (api, app, small) = (&w.api, &w.app, &w.small);
    let start = |name: &str| call("POST", PLAYER_START, &[name]);
    let body = json!({"userId": "u-2", "isStreamEnabled": true,
        "prefilledVariables": {"order_number": "8"}});
    let r = api.call(app, start("oa-workflow").json(body.clone())).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["runId"], r.json["sessionId"]);
    let r = api
        .call(
            app,
            start("oa-workflow").json(json!({"prefilledVariables": 1})),
        )
        .await;
    assert_eq!(r.json["code"], "invalid_request", "{}", r.json);
    let r = api
        .call(app, start("oa-workflow").json(json!({"userId": ""})))
        .await;
    assert_eq!(r.json["code"], "invalid_input", "{}", r.json);
    let r = api.call(app, start("nope").json(body.clone())).await;
    assert_eq!(r.json["code"], "workflow_not_found");
    // oa-chat allows https://allowed.example only.
    let evil = start("oa-chat-public").header("origin", "https://evil.example");
    let r = api.call(app, evil.json(body.clone())).await;
    assert_eq!(r.json["code"], "origin_not_allowed", "{}", r.json);
    let first = start("oa-workflow").header("idempotency-key", "oa-player-start");
    assert_eq!(api.call(app, first.json(body.clone())).await.status, 200);
    let again = start("oa-workflow").header("idempotency-key", "oa-player-start");
    let r = api.call(app, again.json(json!({"userId": "u-3"}))).await;
    assert_eq!(r.json["code"], "idempotency_conflict");
    let big = json!({"userId": "u", "prefilledVariables": {"x": "x".repeat(2000)}});
    let r = api.call(small, start("oa-workflow").json(big)).await;
    assert_eq!(r.status, 413);
}
