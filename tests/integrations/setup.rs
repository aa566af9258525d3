//! The servers these tests run: Tessera with a secret key and outbound HTTP allowed to
//! 127.0.0.1 (where the stand-ins listen), and helpers to store credentials and start chats.

use serde_json::{Map, Value, json};
use tessera::config::{Config, SecretString};
use tessera::engine::flows::BoxFuture;
use tessera::engine::{Credential, CredentialSource};

use crate::common::app::{TOKEN, TestApp, spawn_app_with};
use crate::common::bots::{bot, input, text, var};
use crate::common::llm_stub::API_KEY;

pub const SECRET_KEY: &str = "8f2c1d0e9b7a65432100112233445566778899aabbccddeeff0011223344ff01";

/// Tessera with a secret key, outbound HTTP allowed to 127.0.0.1 and `tweak` applied.
pub async fn app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_with(|c| {
        c.secret_key = Some(SecretString(SECRET_KEY.into()));
        c.http_allowed_hosts = vec!["127.0.0.1".into()];
        tweak(c);
    })
    .await
}

pub async fn app() -> TestApp {
    app_with(|_| {}).await
}

/// PUTs credentials; the status and the body.
pub async fn put_credentials(app: &TestApp, id: &str, body: &Value) -> (u16, Value) {
    let r = app
        .client
        .put(format!("{}/api/v1/credentials/{id}", app.base))
        .bearer_auth(TOKEN)
        .json(body)
        .send()
        .await
        .expect("put");
    crate::common::http::into_json(r).await
}

/// Stores `openai`-type credentials pointing at a stand-in.
pub async fn openai_credentials(app: &TestApp, id: &str, kind: &str, base_url: &str) {
    let (status, body) = put_credentials(
        app,
        id,
        &json!({"type": kind, "name": "Stand-in", "data": {"apiKey": API_KEY, "baseUrl": base_url}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

/// A bot: ask a question (saved in `Question`), run the AI block `block`, show `{{Answer}}`,
/// then `Tokens: {{Tokens}}`, then ask again.
pub fn ai_bot(id: &str, block: Value) -> Value {
    bot(
        id,
        json!([
            input("q", "text input", "v-q"),
            block,
            text("answer", "{{Answer}}"),
            text("tokens", "Tokens: {{Tokens}}"),
            input("q2", "text input", "v-q2")
        ]),
        json!([
            var("v-q", "Question"),
            var("v-a", "Answer"),
            var("v-t", "Tokens"),
            var("v-q2", "Again")
        ]),
    )
}

/// A forge chat block (`openai`, `mistral`, `anthropic`, ...) asking `{{Question}}`.
pub fn forge_block(block_type: &str, credentials_id: &str, model: &str) -> Value {
    let action = if block_type == "anthropic" {
        "Create Chat Message"
    } else {
        "Create chat completion"
    };
    json!({"id": "ai", "type": block_type, "options": {
        "credentialsId": credentials_id, "action": action, "model": model,
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "{{Question}}"}],
        "responseMapping": [{"item": "Message content", "variableId": "v-a"}, {"item": "Total tokens", "variableId": "v-t"}]
    }})
}

/// The texts of a chat response's messages.
pub fn texts(v: &Value) -> Vec<String> {
    v["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            m["content"]["richText"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|p| p["children"].as_array().cloned().unwrap_or_default())
                .filter_map(|c| c["text"].as_str().map(str::to_string))
                .collect::<String>()
        })
        .collect()
}

/// Publishes `flow`, starts it (`stream`: as the player does) and answers the first question.
pub async fn chat_to_ai(
    app: &TestApp,
    flow: &Value,
    question: &str,
    stream: bool,
) -> (String, Value) {
    let id = flow["id"].as_str().expect("id").to_string();
    let (status, body) = app.publish(&id, flow).await;
    assert_eq!(status, 200, "{body}");
    let (status, start) = app
        .post(
            &format!("/api/v1/typebots/{id}/startChat"),
            &json!({"isStreamEnabled": stream}),
        )
        .await;
    assert_eq!(status, 200, "{start}");
    let sid = start["sessionId"].as_str().expect("sessionId").to_string();
    let (status, turn) = app
        .post(
            &format!("/api/v1/sessions/{sid}/continueChat"),
            &json!({"message": {"type": "text", "text": question}}),
        )
        .await;
    assert_eq!(status, 200, "{turn}");
    (sid, turn)
}

/// The engine's credentials when it runs without a server: `oa`, OpenAI-type, at a stand-in.
pub struct OneCredential(pub String);

impl CredentialSource for OneCredential {
    fn credential<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Option<Credential>> {
        let mut data = Map::new();
        data.insert("apiKey".into(), Value::String(API_KEY.into()));
        data.insert("baseUrl".into(), Value::String(self.0.clone()));
        let found = (id == "oa").then(|| Credential {
            kind: "openai".into(),
            data,
        });
        Box::pin(std::future::ready(found))
    }
}
