//! The credentials API: PUT stores (refused without a secret key), GET shows metadata only,
//! DELETE removes; config-declared credentials are read-only.

use serde_json::json;
use tessera::config::CredentialDecl;

use crate::common::app::{TOKEN, spawn_app};
use crate::common::llm_stub::API_KEY;
use crate::setup::{app, app_with, put_credentials};

#[tokio::test]
async fn without_a_secret_key_nothing_is_stored() {
    let app = spawn_app().await;
    let (status, body) = put_credentials(
        &app,
        "c1",
        &json!({"type": "openai", "data": {"apiKey": API_KEY}}),
    )
    .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["code"], "secret_key_missing");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("TESSERA_SECRET_KEY")
    );
}

#[tokio::test]
async fn credentials_are_stored_shown_without_secrets_and_deleted() {
    let app = app().await;
    let (status, body) = put_credentials(
        &app,
        "my-openai",
        &json!({"type": "openai", "name": "Main", "data": {"apiKey": API_KEY, "baseUrl": "https://llm.example/v1"}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["type"], "openai");
    assert_eq!(body["fields"], json!(["apiKey", "baseUrl"]));
    let url = format!("{}/api/v1/credentials/my-openai", app.base);
    let r = app
        .client
        .get(&url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status().as_u16(), 200);
    let text = r.text().await.expect("body");
    assert!(
        !text.contains(API_KEY) && !text.contains("llm.example"),
        "{text}"
    );
    let r = app.client.get(&url).send().await.expect("get");
    assert_eq!(r.status().as_u16(), 401);
    let r = app
        .client
        .delete(&url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status().as_u16(), 200);
    let r = app
        .client
        .get(&url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status().as_u16(), 404);
}

#[tokio::test]
async fn data_that_does_not_fit_the_type_is_refused_without_echoing_it() {
    let app = app().await;
    for body in [
        json!({"type": "nope", "data": {"apiKey": API_KEY}}),
        json!({"type": "openai", "data": {"apiKey": API_KEY, "baseUrl": "file:///etc/passwd"}}),
        json!({"type": "smtp", "data": {"host": "smtp.example", "password": API_KEY}}),
    ] {
        let (status, answer) = put_credentials(&app, "bad", &body).await;
        assert_eq!(status, 422, "{answer}");
        assert_eq!(answer["code"], "credentials_invalid");
        assert!(!answer.to_string().contains(API_KEY));
    }
    let (status, answer) = put_credentials(
        &app,
        "bad",
        &json!({"type": "openai", "data": {"apiKey": API_KEY}, "extra": API_KEY}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(!answer.to_string().contains(API_KEY));
}

#[tokio::test]
async fn declared_credentials_are_read_only() {
    let app = app_with(|c| {
        c.credentials = vec![CredentialDecl {
            id: "from-config".into(),
            kind: "anthropic".into(),
            name: None,
            data: json!({"apiKey": API_KEY})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            env: Default::default(),
        }]
    })
    .await;
    let url = format!("{}/api/v1/credentials/from-config", app.base);
    let r = app
        .client
        .get(&url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("get");
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["source"], "config");
    let (status, body) = put_credentials(
        &app,
        "from-config",
        &json!({"type": "openai", "data": {"apiKey": "x"}}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("credentials_read_only"))
    );
    let r = app
        .client
        .delete(&url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status().as_u16(), 409);
}
