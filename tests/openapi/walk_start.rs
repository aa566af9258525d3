//! Walk steps: startChat on the typebot and mozbot routes, and preview startChat.

use serde_json::json;

use crate::checker::call;
use crate::common::bots::{bot, text};
use crate::walk::{MOZ, PREVIEW, START, World, sid};
use crate::walk_bots::broken_bot;

/// startChat on the typebot and mozbot routes.
pub async fn start_routes(w: &World) {
    let (api, app, small) = (&w.api, &w.app, &w.small);
    for route in [START, MOZ] {
        let key = if route == MOZ { "mozbot" } else { "typebot" };
        let r = api
            .call(
                app,
                call("POST", route, &["oa-chat-public"])
                    .header("origin", "https://allowed.example")
                    .json(
                        json!({"prefilledVariables": {"Name": "Ann"}, "isStreamEnabled": true,
                                 "textBubbleContentFormat": "markdown"}),
                    ),
            )
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json[key]["id"], "oa-chat");
        assert!(r.json["progress"].is_number() && r.json["dynamicTheme"].is_object());
        let r = api
            .call(
                app,
                call("POST", route, &["oa-chat"])
                    .json(json!({"message": {"type": "text", "text": "Bob"}})),
            )
            .await;
        assert_eq!(r.status, 200, "the id works too");
        let r = api
            .call(
                app,
                call("POST", route, &["oa-chat"]).json(json!({"isOnlyRegistering": "yes"})),
            )
            .await;
        assert_eq!(r.json["details"]["field"], "isOnlyRegistering");
        let r = api
            .call(app, call("POST", route, &["oa-pay"]).json(json!({})))
            .await;
        assert_eq!(r.json["code"], "missing_credentials");
        let r = api
            .call(app, call("POST", route, &["oa-pay2"]).json(json!({})))
            .await;
        assert_eq!(r.json["code"], "credentials_not_found");
        let r = api
            .call(
                app,
                call("POST", route, &["oa-chat"])
                    .header("origin", "https://evil.example")
                    .json(json!({})),
            )
            .await;
        assert_eq!(r.status, 403);
        let r = api
            .call(app, call("POST", route, &["oa-none"]).json(json!({})))
            .await;
        assert_eq!(r.json["code"], "flow_not_found");
        let key_header = format!("oa-{key}-conflict");
        let first = call("POST", route, &["oa-chat"]).header("idempotency-key", key_header.clone());
        let r = api.call(app, first.json(json!({}))).await;
        assert_eq!(r.status, 200);
        let again = call("POST", route, &["oa-chat"]).header("idempotency-key", key_header);
        let r = api
            .call(app, again.json(json!({"isStreamEnabled": true})))
            .await;
        assert_eq!(r.json["code"], "idempotency_conflict");
        let big = json!({"prefilledVariables": {"Name": "x".repeat(2000)}});
        let r = api
            .call(small, call("POST", route, &["oa-chat"]).json(big))
            .await;
        assert_eq!(r.status, 413);
    }
}

/// Preview startChat (published, inline, startFrom) and its errors.
pub async fn preview_route(w: &World) -> String {
    let (api, app, small, tokenless) = (&w.api, &w.app, &w.small, &w.tokenless);
    let r = api
        .call(
            app,
            call("POST", PREVIEW, &["oa-chat"]).bearer().json(json!({})),
        )
        .await;
    assert!(r.json.get("resultId").is_none() && r.json["typebot"].get("publishedAt").is_none());
    let preview_sid = sid(&r);
    let inline = json!({"typebot": bot("ignored", json!([text("t", "Inline")]), json!([])),
                        "startFrom": {"type": "group", "groupId": "g-main"}});
    let r = api
        .call(
            app,
            call("POST", PREVIEW, &["oa-inline"]).bearer().json(inline),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = api
        .call(
            app,
            call("POST", PREVIEW, &["oa-chat"])
                .bearer()
                .json(json!({"startFrom": {"type": "event", "eventId": "ev-help"}})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = api
        .call(
            app,
            call("POST", PREVIEW, &["oa-chat"])
                .bearer()
                .json(json!({"startFrom": {"type": "group", "groupId": "nope"}})),
        )
        .await;
    assert_eq!(r.json["code"], "start_group_not_found");
    api.call(app, call("POST", PREVIEW, &["oa-chat"]).json(json!({})))
        .await;
    let r = api
        .call(
            tokenless,
            call("POST", PREVIEW, &["oa-chat"]).bearer().json(json!({})),
        )
        .await;
    assert!(
        r.json["message"]
            .as_str()
            .is_some_and(|m| m.contains("TESSERA_API_TOKEN"))
    );
    api.call(
        app,
        call("POST", PREVIEW, &["oa-none"]).bearer().json(json!({})),
    )
    .await;
    let r = api
        .call(
            app,
            call("POST", PREVIEW, &["oa-x"])
                .bearer()
                .json(json!({"typebot": broken_bot()})),
        )
        .await;
    assert_eq!(r.json["code"], "flow_invalid");
    let a = call("POST", PREVIEW, &["oa-chat"])
        .bearer()
        .header("idempotency-key", "oa-p");
    api.call(app, a.json(json!({}))).await;
    let b = call("POST", PREVIEW, &["oa-chat"])
        .bearer()
        .header("idempotency-key", "oa-p");
    let r = api
        .call(app, b.json(json!({"isStreamEnabled": true})))
        .await;
    assert_eq!(r.json["code"], "idempotency_conflict");
    let big = json!({"prefilledVariables": {"Name": "x".repeat(2000)}});
    api.call(
        small,
        call("POST", PREVIEW, &["oa-chat"]).bearer().json(big),
    )
    .await;
    preview_sid
}

/// The prefill limits as the document states them: at most 200 entries (`maxProperties`, so a
/// schema-valid body never exceeds it) and names of at most 256 bytes (no OpenAPI 3.0 keyword:
/// described), each over-limit body a 400 `invalid_request` naming `prefilledVariables`.
#[tokio::test]
async fn prefilled_variables_over_the_limits_are_the_documented_400() {
    let (app, api) = crate::walk_bots::chat_app().await;
    let schema = &api.spec["components"]["schemas"]["StartChatRequest"];
    let names = |n: usize, len: usize| -> serde_json::Map<String, serde_json::Value> {
        (0..n)
            .map(|i| (format!("{i:0>len$}"), json!("v")))
            .collect()
    };
    // At the limits: accepted (and valid against the document).
    let body = json!({ "prefilledVariables": names(200, 256) });
    let r = api
        .call(&app, call("POST", START, &["oa-chat-public"]).json(body))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let too_many = json!({ "prefilledVariables": names(201, 3) });
    let errs = crate::validator::check(&api.spec, schema, &too_many);
    assert!(
        !errs.is_empty(),
        "201 entries must be invalid by the document"
    );
    let long = json!({ "prefilledVariables": names(1, 257) });
    // Two-byte characters: 129 of them are 258 bytes, over the limit in bytes.
    let wide = json!({ "prefilledVariables": {"é".repeat(129): "v"} });
    for (body, rule) in [
        (too_many, "too many prefilled variables"),
        (long, "prefilled variable name too long"),
        (wide, "prefilled variable name too long"),
    ] {
        let r = api
            .call(&app, call("POST", START, &["oa-chat-public"]).json(body))
            .await;
        assert_eq!(
            (r.status, &r.json["code"], &r.json["details"]["fields"]),
            (
                400,
                &json!("invalid_request"),
                &json!(["prefilledVariables"])
            ),
            "{}",
            r.text
        );
        assert!(r.text.contains(rule), "{}", r.text);
    }
}
