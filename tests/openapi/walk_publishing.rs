//! Walk steps: health and the document, publishing (with each way it fails), listing, reading
//! and unpublishing.

use serde_json::json;

use crate::checker::call;
use crate::common::bots::{bot, input, slow_questions, text};
use crate::document::SPEC_TEXT;
use crate::walk::{FLOW, FLOWS, World};
use crate::walk_bots::{broken_bot, chat_bot, sink_bot};

/// Health and the document itself.
pub async fn health(w: &World) {
    let (api, app) = (&w.api, &w.app);
    for path in ["/healthz", "/api/healthz"] {
        let r = api.call(app, call("GET", path, &[])).await;
        assert_eq!(r.json, json!({"status": "ok"}));
    }
    let r = api.call(app, call("GET", "/readyz", &[])).await;
    assert_eq!(r.json["store"], "memory");
    let r = api.call(app, call("GET", "/openapi.yaml", &[])).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text, SPEC_TEXT, "the served document is openapi.yaml");
    let metrics = call("GET", "/metrics", &[]).token_of(crate::walk::METRICS_TOKEN);
    let r = api.call(app, metrics).await;
    assert!(
        r.text.contains("# TYPE tessera_turns_total counter"),
        "{}",
        r.text
    );
    let r = api.call(app, call("GET", "/metrics", &[])).await;
    assert_eq!(r.status, 401, "no token sent");
    let r = api.call(&w.small, call("GET", "/metrics", &[])).await;
    assert_eq!(r.status, 401, "no token configured");
    let r = api.call(&w.tokenless, call("GET", "/metrics", &[])).await;
    assert_eq!(r.status, 404, "metrics off");
}

/// Publishing, with each way it fails.
pub async fn publishing(w: &World) {
    let (api, app, small) = (&w.api, &w.app, &w.small);
    let r = api
        .call(
            app,
            call("PUT", FLOW, &["oa-chat"]).bearer().json(chat_bot()),
        )
        .await;
    assert_eq!(
        (r.status, r.json["publicId"].clone()),
        (200, json!("oa-chat-public"))
    );
    for b in [sink_bot(), slow_questions("oa-slow", &w.slow_url)] {
        let id = b["id"].as_str().expect("id").to_string();
        let r = api
            .call(app, call("PUT", FLOW, &[&id]).bearer().json(b))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let mut ttl = bot(
        "oa-ttl",
        json!([input("i", "text input", "v")]),
        json!([{"id": "v", "name": "V"}]),
    );
    ttl["settings"] = json!({"tessera": {"sessionTtlSeconds": 1}});
    let pay = bot(
        "oa-pay",
        json!([{"id": "p", "type": "payment input", "options": {}}]),
        json!([]),
    );
    let mut pay2 = pay.clone();
    pay2["id"] = json!("oa-pay2");
    pay2["groups"][0]["blocks"][0]["options"] = json!({"credentialsId": "nope"});
    for b in [ttl, pay, pay2] {
        let id = b["id"].as_str().expect("id").to_string();
        let r = api
            .call(app, call("PUT", FLOW, &[&id]).bearer().json(b))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let broken = broken_bot();
    let r = api
        .call(
            app,
            call("PUT", FLOW, &["oa-broken"])
                .bearer()
                .json(broken.clone()),
        )
        .await;
    assert_eq!(
        (r.status, r.json["code"].clone()),
        (422, json!("flow_invalid"))
    );
    let r = api
        .call(
            app,
            call("PUT", FLOW, &["oa-bad"])
                .bearer()
                .json(json!({"groups": 5})),
        )
        .await;
    assert_eq!(r.json["code"], "flow_malformed");
    let r = api
        .call(app, call("PUT", FLOW, &["oa-bad"]).bearer().raw("{nope"))
        .await;
    assert_eq!(r.json["code"], "invalid_request");
    let r = api
        .call(app, call("PUT", FLOW, &["oa-x"]).json(chat_bot()))
        .await;
    assert_eq!(r.status, 401);
    let mut thief = bot("oa-thief", json!([text("t", "hi")]), json!([]));
    thief["publicId"] = json!("oa-chat-public");
    let r = api
        .call(app, call("PUT", FLOW, &["oa-thief"]).bearer().json(thief))
        .await;
    assert_eq!(r.json["code"], "public_id_taken");
    let mut fat = bot("oa-fat", json!([text("t", "hi")]), json!([]));
    fat["name"] = json!("x".repeat(20_000));
    let r = api
        .call(small, call("PUT", FLOW, &["oa-fat"]).bearer().json(fat))
        .await;
    assert_eq!(r.status, 413);
}

/// Listing, reading, unpublishing.
pub async fn flows(w: &World) {
    let (api, app) = (&w.api, &w.app);
    let r = api.call(app, call("GET", FLOWS, &[]).bearer()).await;
    assert!(r.json["flows"].as_array().is_some_and(|f| f.len() >= 6));
    api.call(app, call("GET", FLOWS, &[])).await;
    let r = api
        .call(app, call("GET", FLOW, &["oa-chat"]).bearer())
        .await;
    assert_eq!(r.json["publicId"], "oa-chat-public");
    api.call(app, call("GET", FLOW, &["oa-none"]).bearer())
        .await;
    api.call(app, call("GET", FLOW, &["oa-chat"]).token_of("wrong"))
        .await;
    let gone = bot("oa-gone", json!([text("t", "hi")]), json!([]));
    api.call(app, call("PUT", FLOW, &["oa-gone"]).bearer().json(gone))
        .await;
    let r = api
        .call(app, call("DELETE", FLOW, &["oa-gone"]).bearer())
        .await;
    assert_eq!(r.json["unpublished"]["flowId"], "oa-gone");
    let r = api
        .call(app, call("DELETE", FLOW, &["oa-gone"]).bearer())
        .await;
    assert_eq!(r.status, 404);
    api.call(app, call("DELETE", FLOW, &["oa-gone"])).await;
}
