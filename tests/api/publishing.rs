//! Publishing, listing, reading and unpublishing bots (`/api/v1/flows`), with each way publishing
//! fails, and sessions surviving a new version or an unpublish.

use serde_json::{Value, json};

use crate::common::app::{TOKEN, spawn_app, spawn_app_with};
use crate::common::bots::{bot, input, text, var};
use crate::common::http::into_json;
use crate::common::replies::{assert_error, said, session_id};
use crate::support::{cont, delete, get, greeter, publish, start};

#[tokio::test]
async fn publish_returns_422_listing_every_issue_with_ids_for_a_broken_bot() {
    let app = spawn_app().await;
    let mut b = bot(
        "broken",
        json!([
            {"id": "b-jump", "type": "Jump", "options": {"groupId": "g-missing"}},
            {"id": "b-input", "type": "text input", "options": {"variableId": "v-undeclared"},
             "outgoingEdgeId": "e-missing"}
        ]),
        json!([]),
    );
    b["edges"].as_array_mut().expect("edges").push(
        json!({"id": "e-dangling", "from": {"blockId": "b-input"}, "to": {"groupId": "g-gone"}}),
    );
    let (status, body) = app.publish("broken", &b).await;
    assert_eq!(
        (status, body["code"].clone()),
        (422, json!("flow_invalid")),
        "{body}"
    );
    let issues = body["details"]["issues"].as_array().expect("issues");
    let about = |id: &str| issues.iter().any(|i| i["location"]["id"] == id);
    for id in ["b-jump", "b-input"] {
        assert!(about(id), "no issue names {id}: {issues:?}");
    }
    assert!(issues.iter().any(|i| i["severity"] == "error"));
    for i in issues {
        assert!(
            i["code"].is_string() && i["message"].is_string() && i["location"]["kind"].is_string()
        );
    }
    assert!(issues.len() >= 3, "every issue is listed: {issues:?}");
    let r = get(&app, "/api/v1/flows/broken", Some(TOKEN)).await;
    assert_eq!(r.status().as_u16(), 404, "nothing was published");
}

#[tokio::test]
async fn publish_returns_409_when_the_public_id_belongs_to_another_bot() {
    let app = spawn_app().await;
    let mut first = greeter("first");
    first["publicId"] = json!("shared-name");
    publish(&app, &first).await;
    let mut second = greeter("second");
    second["publicId"] = json!("shared-name");
    let got = app.publish("second", &second).await;
    assert_error(&got, 409, "public_id_taken");
    // Republishing the owner is fine.
    publish(&app, &first).await;
}

#[tokio::test]
async fn publish_returns_400_flow_malformed_for_json_that_is_not_a_flow() {
    let app = spawn_app().await;
    let got = app.publish("shape", &json!({"groups": "nope"})).await;
    assert_error(&got, 400, "flow_malformed");
    let got = app.publish("shape", &json!([1, 2])).await;
    assert_error(&got, 400, "flow_malformed");
}

#[tokio::test]
async fn publish_returns_400_for_malformed_json_a_mismatched_id_or_a_bad_id() {
    let app = spawn_app().await;
    let r = app
        .client
        .put(format!("{}/api/v1/flows/x", app.base))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_error(&into_json(r).await, 400, "invalid_request");
    let got = app.publish("path-id", &greeter("body-id")).await;
    assert_error(&got, 400, "invalid_request");
    assert!(
        got.1["message"]
            .as_str()
            .is_some_and(|m| m.contains("path-id"))
    );
    let mut b = greeter("bad!id");
    b.as_object_mut().expect("bot").remove("id");
    let got = app.publish("bad!id", &b).await;
    assert_error(&got, 400, "invalid_request");
}

#[tokio::test]
async fn publish_requires_the_bearer_token() {
    let app = spawn_app().await;
    for token in [None, Some("wrong")] {
        let mut rb = app
            .client
            .put(format!("{}/api/v1/flows/guarded", app.base))
            .json(&greeter("guarded"));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        let got = into_json(rb.send().await.expect("request")).await;
        assert_error(&got, 401, "unauthorized");
    }
    assert_error(
        &start(&app, "guarded", json!({})).await,
        404,
        "flow_not_found",
    );
}

#[tokio::test]
async fn publish_returns_the_revision_and_warnings() {
    let app = spawn_app().await;
    let b = bot(
        "warned",
        json!([input("i", "text input", "v-undeclared"), text("t", "ok")]),
        json!([]),
    );
    let (status, body) = app.publish("warned", &b).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], "warned");
    assert_eq!(body["publicId"], "warned");
    assert!(body["revision"].is_string() && body["publishedAt"].is_string());
    let warnings = body["warnings"].as_array().expect("warnings");
    assert!(warnings.iter().all(|w| w["severity"] == "warning"));
    assert!(
        warnings.iter().any(|w| w["location"]["id"] == "i"),
        "{warnings:?}"
    );
    let (_, again) = app.publish("warned", &b).await;
    assert_eq!(
        again["revision"], body["revision"],
        "revisions are content hashes"
    );
}

#[tokio::test]
async fn publish_returns_413_for_a_bot_over_16_times_the_body_limit() {
    let app = spawn_app_with(|c| c.max_body_bytes = 1024).await;
    let mut b = greeter("fat");
    b["name"] = json!("x".repeat(10_000));
    publish(&app, &b).await;
    b["name"] = json!("x".repeat(20_000));
    let got = app.publish("fat", &b).await;
    assert_error(&got, 413, "payload_too_large");
}

#[tokio::test]
async fn a_new_version_does_not_break_sessions_running_on_the_old_one() {
    let app = spawn_app().await;
    let v1 = bot(
        "versioned",
        json!([input("i", "text input", "v"), text("t-end", "Old ending")]),
        json!([var("v", "V")]),
    );
    publish(&app, &v1).await;
    let (_, old) = start(&app, "versioned", json!({})).await;
    let mut v2 = v1.clone();
    v2["groups"][0]["blocks"][1] = text("t-end", "New ending");
    let (_, outcome) = app.publish("versioned", &v2).await;
    assert!(outcome["revision"].is_string());
    let (status, body) = cont(&app, &session_id(&old), json!({"message": "x"})).await;
    assert_eq!((status, said(&body)), (200, vec!["Old ending".to_string()]));
    let (_, new) = start(&app, "versioned", json!({})).await;
    let (_, body) = cont(&app, &session_id(&new), json!({"message": "x"})).await;
    assert_eq!(said(&body), ["New ending"]);
}

#[tokio::test]
async fn list_flows_returns_every_published_bot() {
    let app = spawn_app().await;
    let mut b = greeter("listed-a");
    b["publicId"] = json!("listed-a-public");
    publish(&app, &b).await;
    publish(&app, &greeter("listed-b")).await;
    let r = get(&app, "/api/v1/flows", Some(TOKEN)).await;
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.json().await.expect("json");
    let flows = body["flows"].as_array().expect("flows");
    let mut ids: Vec<&str> = flows.iter().filter_map(|f| f["flowId"].as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["listed-a", "listed-b"]);
    let a = flows.iter().find(|f| f["flowId"] == "listed-a").expect("a");
    assert_eq!(a["publicId"], "listed-a-public");
    assert_eq!(a["name"], "Bot listed-a");
    assert!(a["revision"].is_string() && a["publishedAt"].is_string());
}

#[tokio::test]
async fn get_flow_returns_the_published_version_and_404_for_an_unknown_id() {
    let app = spawn_app().await;
    publish(&app, &greeter("one")).await;
    let r = get(&app, "/api/v1/flows/one", Some(TOKEN)).await;
    let (status, body) = into_json(r).await;
    assert_eq!((status, body["flowId"].clone()), (200, json!("one")));
    let got = into_json(get(&app, "/api/v1/flows/two", Some(TOKEN)).await).await;
    assert_error(&got, 404, "flow_not_found");
}

#[tokio::test]
async fn delete_flow_unpublishes_it_and_running_sessions_go_on() {
    let app = spawn_app().await;
    publish(&app, &greeter("doomed")).await;
    let (_, s) = start(&app, "doomed", json!({})).await;
    let (status, body) = delete(&app, "/api/v1/flows/doomed", Some(TOKEN)).await;
    assert_eq!(
        (status, body["unpublished"]["flowId"].clone()),
        (200, json!("doomed"))
    );
    assert_error(
        &start(&app, "doomed", json!({})).await,
        404,
        "flow_not_found",
    );
    let (status, body) = cont(&app, &session_id(&s), json!({"message": "Ann"})).await;
    assert_eq!(
        (status, said(&body)),
        (200, vec!["Nice to meet you Ann".to_string()])
    );
    assert_error(
        &delete(&app, "/api/v1/flows/doomed", Some(TOKEN)).await,
        404,
        "flow_not_found",
    );
    let r = get(&app, "/api/v1/flows", Some(TOKEN)).await;
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["flows"], json!([]));
}

#[tokio::test]
async fn flow_and_result_routes_require_the_bearer_token() {
    let app = spawn_app().await;
    publish(&app, &greeter("private")).await;
    for path in [
        "/api/v1/flows",
        "/api/v1/flows/private",
        "/api/v1/flows/private/results",
        "/api/v1/flows/private/results.csv",
    ] {
        for token in [None, Some("wrong")] {
            let got = into_json(get(&app, path, token).await).await;
            assert_error(&got, 401, "unauthorized");
        }
    }
    assert_error(
        &delete(&app, "/api/v1/flows/private", None).await,
        401,
        "unauthorized",
    );
    let r = get(&app, "/api/v1/flows/private", Some(TOKEN)).await;
    assert_eq!(r.status().as_u16(), 200, "still published");
}
