//! Trigger bodies: the `variables` rules (422 `invalid_input` naming the key and rule),
//! malformed bodies, unknown intents and conversations, and how context and variables reach
//! the flow (declared names only, as plain values) and persist in the conversation.

use serde_json::{Map, Value, json};

use crate::common::app::TestApp;
use crate::support::{
    DEFAULT_TENANT, ENGINE_TOKEN, code, get_conversation, order_bot, publish, tenant, texts,
    trigger, trigger_ok, unique,
};

fn with_vars(vars: Value) -> Value {
    json!({"tenant_id": DEFAULT_TENANT, "intent_name": "nope", "variables": vars})
}

fn long_key() -> Value {
    let mut m = Map::new();
    m.insert("k".repeat(65), json!(1));
    Value::Object(m)
}

async fn each_variables_rule_is_a_422_naming_the_key_and_rule(app: TestApp) {
    let many: Map<String, Value> = (0..51).map(|i| (format!("k{i}"), json!(i))).collect();
    let cases = [
        (json!({"Bad_Key": 1}), Some("Bad_Key"), "key_pattern"),
        (json!({"9lives": 1}), Some("9lives"), "key_pattern"),
        (long_key(), None, "key_pattern"),
        (json!({"obj": {"a": 1}}), Some("obj"), "value_type"),
        (
            json!({"nested": [1, [{"a": 1}]]}),
            Some("nested"),
            "value_type",
        ),
        (json!({"deep": [[[[["five"]]]]]}), Some("deep"), "max_depth"),
        (Value::Object(many), None, "max_keys"),
        (json!({"big": "x".repeat(4100)}), None, "max_bytes"),
        (json!("not an object"), None, "object"),
    ];
    for (vars, key, rule) in cases {
        let (status, err) = trigger(&app, with_vars(vars.clone())).await;
        assert_eq!(
            (status, code(&err)),
            (422, "invalid_input"),
            "{vars}: {err}"
        );
        assert_eq!(err["details"]["rule"], rule, "{err}");
        if let Some(k) = key {
            assert_eq!(err["details"]["key"], k, "{err}");
        }
        assert_eq!(err["status"], 422);
        assert_eq!(err["defined"], false);
    }
    // At the limits: 50 keys, depth 4, scalars and null are fine (the intent is unknown).
    let fifty: Map<String, Value> = (0..50).map(|i| (format!("k{i}"), json!(null))).collect();
    for vars in [
        Value::Object(fifty),
        json!({"d": [[[["four"]]]], "b": true, "n": 1.5}),
    ] {
        let (status, err) = trigger(&app, with_vars(vars)).await;
        assert_eq!((status, code(&err)), (404, "intent_not_found"), "{err}");
    }
}

async fn malformed_bodies_are_422_invalid_input(app: TestApp) {
    let cases = [
        (json!({"intent_name": "x"}), "tenant_id"),
        (json!({"tenant_id": DEFAULT_TENANT}), "intent_name"),
        (
            json!({"tenant_id": "not-a-uuid", "intent_name": "x"}),
            "tenant_id",
        ),
        (
            json!({"tenant_id": DEFAULT_TENANT, "intent_name": 3}),
            "intent_name",
        ),
        (
            json!({"tenant_id": DEFAULT_TENANT, "intent_name": "x", "conversation_id": "c"}),
            "conversation_id",
        ),
        (
            json!({"tenant_id": DEFAULT_TENANT, "intent_name": "x", "context": []}),
            "context",
        ),
    ];
    for (body, field) in cases {
        let (status, err) = trigger(&app, body.clone()).await;
        assert_eq!(
            (status, code(&err)),
            (422, "invalid_input"),
            "{body}: {err}"
        );
        assert_eq!(err["details"]["field"], field, "{err}");
    }
    let r = app
        .client
        .post(format!("{}/api/v1/engine/triggers/chat", app.base))
        .bearer_auth(ENGINE_TOKEN)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_eq!(r.status().as_u16(), 422);
}

async fn unknown_intents_and_conversations_are_404(app: TestApp) {
    let t = tenant();
    let (status, err) = trigger(
        &app,
        json!({"tenant_id": t, "intent_name": "no-such-intent"}),
    )
    .await;
    assert_eq!((status, code(&err)), (404, "intent_not_found"));
    let id = unique("orders");
    publish(&app, &order_bot(&id), Some(&t)).await;
    let missing = uuid::Uuid::new_v4().to_string();
    let body = json!({"tenant_id": t, "intent_name": id, "conversation_id": missing});
    let (status, err) = trigger(&app, body).await;
    assert_eq!((status, code(&err)), (404, "conversation_not_found"));
    let (status, err) = get_conversation(&app, &t, &missing).await;
    assert_eq!((status, code(&err)), (404, "conversation_not_found"));
}

async fn variables_set_declared_variables_as_plain_values_and_persist(app: TestApp) {
    let t = tenant();
    let id = unique("orders");
    publish(&app, &order_bot(&id), Some(&t)).await;
    let vars = json!({"order_number": "{{Name}} 4567", "tags": ["vip"]});
    let env = trigger_ok(
        &app,
        &t,
        &id,
        json!({"variables": vars, "context": {"page_url": "https://acme.test"}}),
    )
    .await;
    // Not re-templated: the value is shown as given.
    assert_eq!(
        texts(&env),
        vec!["Hello {{Name}} 4567".to_string()],
        "{env}"
    );
    let cid = env["conversation_id"]
        .as_str()
        .expect("conversation id")
        .to_string();
    // A second execution in the same conversation sees the merged variables.
    let env2 = trigger_ok(
        &app,
        &t,
        &id,
        json!({"conversation_id": cid, "variables": {"extra": 1}}),
    )
    .await;
    assert_eq!(texts(&env2), vec!["Hello {{Name}} 4567".to_string()]);
    assert_eq!(env2["conversation_id"], cid.as_str());
    let (status, conv) = get_conversation(&app, &t, &cid).await;
    assert_eq!(status, 200, "{conv}");
    assert_eq!(
        conv["variables"],
        json!({"order_number": "{{Name}} 4567", "tags": ["vip"], "extra": 1})
    );
    let ids: Vec<&Value> = conv["executions"]
        .as_array()
        .expect("executions")
        .iter()
        .map(|e| &e["execution_id"])
        .collect();
    assert_eq!(
        ids,
        vec![&env2["execution_id"], &env["execution_id"]],
        "newest first"
    );
}

/// Triggers on one conversation at once, each setting a name of its own: every name stays
/// (the conversation's variables are merged per name, not written back as a whole).
async fn concurrent_triggers_keep_each_others_variables(app: TestApp) {
    let t = tenant();
    let id = unique("orders");
    publish(&app, &order_bot(&id), Some(&t)).await;
    let env = trigger_ok(&app, &t, &id, json!({"variables": {"first": 0}})).await;
    let cid = env["conversation_id"].as_str().expect("conversation id");
    let n = 24;
    let triggers = (0..n).map(|i| {
        let vars = json!({ format!("key_{i}"): i });
        trigger_ok(
            &app,
            &t,
            &id,
            json!({"conversation_id": cid, "variables": vars}),
        )
    });
    futures_util::future::join_all(triggers).await;
    let (status, conv) = get_conversation(&app, &t, cid).await;
    assert_eq!(status, 200, "{conv}");
    let mut expected = Map::new();
    expected.insert("first".into(), json!(0));
    for i in 0..n {
        expected.insert(format!("key_{i}"), json!(i));
    }
    assert_eq!(conv["variables"], Value::Object(expected));
    assert_eq!(conv["executions"].as_array().map(Vec::len), Some(n + 1));
}

on_both_stores!(
    each_variables_rule_is_a_422_naming_the_key_and_rule,
    malformed_bodies_are_422_invalid_input,
    unknown_intents_and_conversations_are_404,
    variables_set_declared_variables_as_plain_values_and_persist,
    concurrent_triggers_keep_each_others_variables
);
