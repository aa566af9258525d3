//! Every corpus template with AI blocks, walked end to end through the chat API against the
//! stand-in provider: its AI blocks get credentials (pointing at the stand-in), the walk answers
//! each input with a plausible reply, follows `stream` actions through streamMessage, and checks
//! that the provider was called and no chat block missed its credentials.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::app::{TOKEN, TestApp};
use crate::common::corpus::corpus_dir;
use crate::common::llm_stub::{self, LlmStub};
use crate::setup::{app, openai_credentials};

const AI_TYPES: &[&str] = &[
    "OpenAI",
    "openai",
    "mistral",
    "anthropic",
    "groq",
    "together-ai",
    "open-router",
    "deepseek",
    "perplexity",
];

/// Gives every AI block of a bot the credentials named after its provider.
fn with_credentials(flow: Value) -> Value {
    let mut flow = flow.get("typebot").cloned().unwrap_or(flow);
    let groups = flow["groups"].as_array_mut().expect("groups").iter_mut();
    for g in groups {
        for b in g["blocks"].as_array_mut().into_iter().flatten() {
            let kind = b["type"].as_str().unwrap_or_default().to_string();
            if AI_TYPES.contains(&kind.as_str()) {
                let cred = if kind == "OpenAI" {
                    "openai".into()
                } else {
                    kind
                };
                b["options"]["credentialsId"] = json!(cred);
            }
        }
    }
    flow
}

/// A reply for an input, by its type.
fn reply_for(input: &Value) -> String {
    let first_item = || {
        input["items"][0]["content"]
            .as_str()
            .or_else(|| input["items"][0]["title"].as_str())
            .unwrap_or("1")
            .to_string()
    };
    match input["type"].as_str().unwrap_or_default() {
        "email input" => "john@example.com".into(),
        "number input" => "3".into(),
        "phone number input" => "+33612345678".into(),
        "url input" => "https://example.com".into(),
        "date input" => "2024-01-01".into(),
        "rating input" => "5".into(),
        "choice input" | "picture choice input" => first_item(),
        _ => "I would like some help with my order".into(),
    }
}

async fn post(app: &TestApp, path: &str, body: &Value, token: bool) -> Value {
    let mut rb = app.client.post(format!("{}{path}", app.base)).json(body);
    if token {
        rb = rb.bearer_auth(TOKEN);
    }
    let r = rb.send().await.expect("request");
    let status = r.status().as_u16();
    let body: Value = r.json().await.expect("json");
    assert_eq!(status, 200, "{path}: {body}");
    body
}

/// Walks one template; returns every log line the walk saw.
async fn walk(app: &TestApp, name: &str, group: Option<&str>, stream: bool) -> Vec<Value> {
    let dir = corpus_dir().expect("corpus");
    let text =
        std::fs::read_to_string(dir.join(format!("templates/{name}.json"))).expect("template");
    let flow = with_credentials(serde_json::from_str(&text).expect("json"));
    let id = flow["id"].as_str().expect("id").to_string();
    let (status, body) = app.publish(&id, &flow).await;
    assert_eq!(status, 200, "{name}: {body}");
    let mut turn = match group {
        Some(title) => {
            let gid = flow["groups"]
                .as_array()
                .and_then(|g| g.iter().find(|g| g["title"] == title))
                .and_then(|g| g["id"].as_str())
                .expect("group");
            let body =
                json!({"isStreamEnabled": stream, "startFrom": {"type": "group", "groupId": gid}});
            post(
                app,
                &format!("/api/v1/typebots/{id}/preview/startChat"),
                &body,
                true,
            )
            .await
        }
        None => {
            post(
                app,
                &format!("/api/v1/typebots/{id}/startChat"),
                &json!({"isStreamEnabled": stream}),
                false,
            )
            .await
        }
    };
    let sid = turn["sessionId"].as_str().expect("sid").to_string();
    let mut logs = Vec::new();
    for _ in 0..10 {
        logs.extend(turn["logs"].as_array().cloned().unwrap_or_default());
        let streams = turn["clientSideActions"]
            .as_array()
            .is_some_and(|a| a.iter().any(|a| a["type"] == "stream"));
        let message = if streams {
            let r = app
                .client
                .post(format!("{}/api/v2/sessions/{sid}/streamMessage", app.base))
                .json(&json!({}))
                .send()
                .await
                .expect("stream");
            assert_eq!(r.status().as_u16(), 200, "{name}");
            let body = r.text().await.expect("body");
            let text: String = body
                .lines()
                .filter_map(|l| l.strip_prefix("0:"))
                .filter_map(|j| serde_json::from_str::<String>(j).ok())
                .collect();
            assert!(text.starts_with("Echo: "), "{name}: {body}");
            json!({"type": "text", "text": text})
        } else if turn["input"].is_object() {
            json!({"type": "text", "text": reply_for(&turn["input"])})
        } else {
            break;
        };
        turn = post(
            app,
            &format!("/api/v1/sessions/{sid}/continueChat"),
            &json!({"message": message}),
            false,
        )
        .await;
    }
    logs
}

async fn setup() -> (TestApp, LlmStub) {
    let stub = llm_stub::start(Duration::ZERO).await;
    let app = app().await;
    for kind in ["openai", "mistral", "anthropic"] {
        openai_credentials(&app, kind, kind, &stub.base_url).await;
    }
    (app, stub)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_ai_template_walks_against_the_stand_in() {
    if corpus_dir().is_none() {
        return;
    }
    let walks: &[(&str, Option<&str>)] = &[
        ("basic-chat-gpt", Some("Intro")),
        ("audio-chat-gpt", Some("Intro")),
        ("chat-gpt-personas", Some("Menu")),
        ("openai-conditions", Some("User input")),
        ("quick-carb-calculator", Some("Sport")),
        ("high-ticket-lead-follow-up", Some("Welcome")),
        ("lead-gen-ai", Some("[AI] Additional information")),
        ("skin-typology", Some("Group #27")),
        ("savings-estimator", Some("Gen AI")),
    ];
    for stream in [false, true] {
        for (name, group) in walks {
            let (app, stub) = setup().await;
            let logs = walk(&app, name, *group, stream).await;
            let text = serde_json::to_string(&logs).unwrap_or_default();
            assert!(
                !stub.requests().is_empty(),
                "{name} (stream {stream}) never called the provider; logs: {text}"
            );
            assert!(
                !text.contains("Could not find credentials"),
                "{name}: {text}"
            );
            assert!(!text.contains("returned an error"), "{name}: {text}");
            let streamed = stub.requests().iter().any(|r| r.body["stream"] == true);
            if *name == "basic-chat-gpt" {
                assert_eq!(
                    streamed, stream,
                    "the player's answer streams when it asks to"
                );
            }
        }
    }
}

#[tokio::test]
async fn ai_actions_not_supported_yet_say_so() {
    if corpus_dir().is_none() {
        return;
    }
    let (app, stub) = setup().await;
    let logs = walk(&app, "openai-assistant-chat", Some("AI loop"), false).await;
    let text = serde_json::to_string(&logs).unwrap_or_default();
    assert!(
        text.contains("openai action \\\"Ask Model\\\" is not supported yet"),
        "{text}"
    );
    assert!(stub.requests().is_empty());
}
