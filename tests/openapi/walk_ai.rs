//! Walk steps: the credentials routes and streamMessage, on a server with a secret key, a
//! declared credential and outbound HTTP allowed to the stand-in AI provider.

use std::time::Duration;

use serde_json::{Value, json};
use tessera::config::{CredentialDecl, SecretString};

use crate::checker::call;
use crate::common::app::spawn_app_with;
use crate::common::bots::{bot, input, text, var};
use crate::common::llm_stub::{self, API_KEY};
use crate::walk::{START, World, sid};

pub const CREDENTIALS: &str = "/api/v1/credentials/{id}";

pub const STREAM: &str = "/api/v2/sessions/{sessionId}/streamMessage";

fn ai_bot(id: &str, credentials_id: &str) -> Value {
    bot(
        id,
        json!([
            input("q", "text input", "v-q"),
            {"id": "ai", "type": "openai", "options": {"credentialsId": credentials_id,
                "action": "Create chat completion", "model": "m",
                "messages": [{"role": "user", "content": "{{Q}}"}],
                "responseMapping": [{"item": "Message content", "variableId": "v-a"}]}},
            text("a", "{{A}}")
        ]),
        json!([var("v-q", "Q"), var("v-a", "A")]),
    )
}

/// PUT, GET and DELETE credentials, then streamMessage's answers.
pub async fn credentials_and_stream(w: &World) {
    let api = &w.api;
    // No secret key on the walk's main server: nothing can be stored.
    let put = |id: &str| call("PUT", CREDENTIALS, &[id]).bearer();
    let openai = json!({"type": "openai", "name": "Stand-in", "data": {"apiKey": API_KEY}});
    let r = api.call(&w.app, put("c1").json(openai.clone())).await;
    assert_eq!(r.json["code"], "secret_key_missing");

    let stub = llm_stub::start(Duration::from_millis(1)).await;
    let app = spawn_app_with(|c| {
        c.secret_key = Some(SecretString(
            "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff".into(),
        ));
        c.http_allowed_hosts = vec!["127.0.0.1".into()];
        c.credentials = vec![CredentialDecl {
            id: "declared".into(),
            kind: "openai".into(),
            name: None,
            data: json!({"apiKey": "k"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            env: Default::default(),
        }];
    })
    .await;
    let good = json!({"type": "openai", "name": "Stand-in", "data": {"apiKey": API_KEY, "baseUrl": stub.base_url}});
    let r = api.call(&app, put("good").json(good)).await;
    assert_eq!(r.json["fields"], json!(["apiKey", "baseUrl"]));
    api.call(&app, put("bad").raw("{not json")).await;
    api.call(&app, call("PUT", CREDENTIALS, &["x"]).json(openai.clone()))
        .await;
    api.call(&app, put("declared").json(openai.clone())).await;
    let r = api
        .call(&app, put("bad").json(json!({"type": "nope", "data": {}})))
        .await;
    assert_eq!(r.json["code"], "credentials_invalid");
    let get = |id: &str| call("GET", CREDENTIALS, &[id]).bearer();
    let r = api.call(&app, get("good")).await;
    assert!(!r.text.contains(API_KEY));
    api.call(&app, get("a.b")).await;
    api.call(&app, call("GET", CREDENTIALS, &["good"])).await;
    api.call(&app, get("absent")).await;
    let wrong = json!({"type": "openai", "data": {"apiKey": "wrong", "baseUrl": stub.base_url}});
    api.call(&app, put("wrong").json(wrong)).await;

    // streamMessage: streamed (200), no credentials (404), not streaming (409), upstream (502).
    let mut sessions = Vec::new();
    for (bot_id, creds) in [
        ("s-good", "good"),
        ("s-none", "absent"),
        ("s-wrong", "wrong"),
    ] {
        let (status, _) = app.publish(bot_id, &ai_bot(bot_id, creds)).await;
        assert_eq!(status, 200);
        let r = api
            .call(
                &app,
                call("POST", START, &[bot_id]).json(json!({"isStreamEnabled": true})),
            )
            .await;
        let s = sid(&r);
        if bot_id == "s-good" {
            let r = api
                .call(&app, call("POST", STREAM, &[&s]).json(json!({})))
                .await;
            assert_eq!(r.json["code"], "session_not_streaming");
        }
        let (status, turn) = app
            .post(
                &format!("/api/v1/sessions/{s}/continueChat"),
                &json!({"message": {"type": "text", "text": "Hi"}}),
            )
            .await;
        assert_eq!(status, 200, "{turn}");
        sessions.push(s);
    }
    let r = api
        .call(&app, call("POST", STREAM, &[&sessions[0]]).json(json!({})))
        .await;
    assert!(r.text.starts_with("0:\""), "{}", r.text);
    let r = api
        .call(&app, call("POST", STREAM, &[&sessions[1]]).json(json!({})))
        .await;
    assert_eq!(r.json["code"], "credentials_not_found");
    let r = api
        .call(&app, call("POST", STREAM, &[&sessions[2]]).json(json!({})))
        .await;
    assert_eq!(r.json["code"], "upstream_error");

    let delete = |id: &str| call("DELETE", CREDENTIALS, &[id]).bearer();
    api.call(&app, delete("good")).await;
    api.call(&app, delete("good")).await;
    api.call(&app, delete("a.b")).await;
    api.call(&app, call("DELETE", CREDENTIALS, &["good"])).await;
    api.call(&app, delete("declared")).await;
}
