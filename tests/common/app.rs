//! The Tessera server in-process for the HTTP tests: [`spawn_app`] starts the real server on
//! port 0 (in-memory store unless the config says otherwise) and [`TestApp`] talks to it.

use serde_json::Value;
use tessera::config::{Config, Limits};
use tessera::server::Application;

use super::http::into_json;

/// The API token of the servers [`spawn_app`] starts.
pub const TOKEN: &str = "test-token";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
}

/// Starts a server on a free port with the given config tweaks (in-memory store by default).
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let mut config = Config {
        host: "127.0.0.1".into(),
        port: 0,
        api_token: Some(TOKEN.into()),
        // The rate limits have their own tests (tests/api/limits.rs); here they would turn the
        // concurrency and load-shaped tests' bursts into 429s.
        limits: Limits::default().without_rates(),
        ..Config::default()
    };
    tweak(&mut config);
    let app = Application::build(config).await.expect("app builds");
    let port = app.port();
    tokio::spawn(app.run());
    TestApp {
        base: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::new(),
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

impl TestApp {
    /// POSTs `body` as JSON; the status and the body (JSON, or the text as a JSON string).
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await
            .expect("request");
        into_json(r).await
    }

    pub async fn publish(&self, id: &str, flow: &Value) -> (u16, Value) {
        let r = self
            .client
            .put(format!("{}/api/v1/flows/{id}", self.base))
            .bearer_auth(TOKEN)
            .json(flow)
            .send()
            .await
            .expect("publish");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}
