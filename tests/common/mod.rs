//! Shared helpers for the API tests: spawn the real server on port 0, talk to it over HTTP.
#![allow(dead_code)]

pub mod bots;
pub mod cli;
pub mod http_stub;
pub mod redis_server;

use std::path::PathBuf;

use serde_json::Value;
use tessera::config::Config;
use tessera::server::Application;

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
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        let text = r.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
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

/// The Typebot corpus directory (`TESSERA_TYPEBOT_CORPUS`). In CI it must be set.
pub fn corpus_dir() -> Option<PathBuf> {
    match std::env::var("TESSERA_TYPEBOT_CORPUS") {
        Ok(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => {
            assert!(
                std::env::var("CI").is_err(),
                "TESSERA_TYPEBOT_CORPUS must be set in CI"
            );
            eprintln!("TESSERA_TYPEBOT_CORPUS is not set: skipping corpus test");
            None
        }
    }
}

/// Every bot of the corpus with the public id the golden transcripts use (file stem;
/// fixtures/linkTypebots/N.json -> link-N).
pub fn corpus_bots(dir: &std::path::Path) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for sub in ["templates", "fixtures", "fixtures/linkTypebots"] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        let mut paths: Vec<_> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        for p in paths {
            let stem = p
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            let public_id = if sub.ends_with("linkTypebots") {
                format!("link-{stem}")
            } else {
                stem
            };
            let json: Value =
                serde_json::from_str(&std::fs::read_to_string(&p).expect("read")).expect("json");
            out.push((public_id, json));
        }
    }
    out
}
