//! Token usage of streamed answers, reported the way the real APIs do (OpenAI's last chunk
//! when asked with `stream_options.include_usage`, Anthropic's `message_start` and
//! `message_delta`): it reaches the turn that brings the answer back (its response mapping,
//! its priced `token_usage`), also on another process sharing the Redis store, stays empty
//! when the provider sends none, and the engine API's envelope returns a turn's usage with its
//! cost.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use tessera::config::ModelPriceDecl;
use tessera::conversation::UsageDocs;
use tessera::engine::{
    AiServices, Engine, EngineConfig, MemoryFlows, Message, ModelPrice, StartParams, TextFormat,
    TokenUsage,
};
use tessera::net::{OutboundPolicy, SafeClient};
use tessera::store::Stores;

use crate::common::app::{TOKEN, TestApp};
use crate::common::llm_stub::{self, LlmStub};
use crate::common::redis_env::{SHARED_REDIS_VAR, raw_connect, required_by, shared_redis_url};
use crate::setup::{
    OneCredential, ai_bot, app, app_with, chat_to_ai, forge_block, openai_credentials, texts,
};

const ENGINE_TOKEN: &str = "engine-usage-token";

/// The stand-in's counts for the one request it got: (prompt, completion) tokens.
fn stub_counts(stub: &LlmStub, answer: &str) -> (u64, u64) {
    let req = &stub.requests()[0].body;
    let prompt = req["messages"].to_string().len() as u64 / 4;
    (prompt, answer.split_inclusive(' ').count() as u64)
}

/// Chats to the AI block with streaming, streams the answer and sends it back; the request
/// the stand-in got and the texts of the turn that follows.
async fn stream_and_continue(kind: &str, block: &str, model: &str) -> (LlmStub, Vec<String>) {
    let stub = llm_stub::start(Duration::from_millis(1)).await;
    let app = app().await;
    openai_credentials(&app, "cred", kind, &stub.base_url).await;
    let flow = ai_bot(
        &format!("usage-{kind}-{model}"),
        forge_block(block, "cred", model),
    );
    let (sid, _) = chat_to_ai(&app, &flow, "Count my tokens", true).await;
    let text = streamed_text(&app, &sid).await;
    assert_eq!(text, "Echo: Count my tokens");
    let (status, next) = app
        .post(
            &format!("/api/v1/sessions/{sid}/continueChat"),
            &json!({"message": {"type": "text", "text": text}}),
        )
        .await;
    assert_eq!(status, 200, "{next}");
    (stub, texts(&next))
}

async fn streamed_text(app: &TestApp, sid: &str) -> String {
    let body = app
        .client
        .post(format!("{}/api/v2/sessions/{sid}/streamMessage", app.base))
        .json(&json!({}))
        .send()
        .await
        .expect("streamMessage")
        .text()
        .await
        .expect("body");
    body.lines()
        .filter_map(|l| l.strip_prefix("0:"))
        .map(|j| serde_json::from_str::<String>(j).expect("a JSON string"))
        .collect()
}

#[tokio::test]
async fn a_streamed_openai_answer_asks_for_its_usage_and_maps_its_total_tokens() {
    let (stub, shown) = stream_and_continue("openai", "openai", "m").await;
    assert_eq!(
        stub.requests()[0].body["stream_options"],
        json!({"include_usage": true})
    );
    let (prompt, completion) = stub_counts(&stub, "Echo: Count my tokens");
    assert_eq!(shown[0], format!("Tokens: {}", prompt + completion));
}

#[tokio::test]
async fn a_streamed_anthropic_answer_maps_the_usage_of_its_events() {
    let (stub, shown) = stream_and_continue("anthropic", "anthropic", "m").await;
    assert!(stub.requests()[0].body.get("stream_options").is_none());
    let (prompt, completion) = stub_counts(&stub, "Echo: Count my tokens");
    assert_eq!(shown[0], format!("Tokens: {}", prompt + completion));
}

#[tokio::test]
async fn a_provider_that_sends_no_usage_leaves_the_tokens_empty() {
    let (_, shown) = stream_and_continue("openai", "openai", "no-usage").await;
    assert_eq!(shown[0].trim_end(), "Tokens:");
    // Mistral refuses `stream_options` (422): it is not asked, and this stand-in then sends
    // no usage, as OpenAI would.
    let (stub, shown) = stream_and_continue("mistral", "mistral", "m").await;
    assert!(stub.requests()[0].body.get("stream_options").is_none());
    assert_eq!(shown[0].trim_end(), "Tokens:");
}

#[tokio::test]
async fn on_redis_the_usage_reaches_the_continue_chat_of_another_process() {
    let url = shared_redis_url();
    if raw_connect(&url).is_err() {
        assert!(!required_by(SHARED_REDIS_VAR), "Redis is required here");
        return;
    }
    let on_redis = |c: &mut tessera::config::Config| c.store = url.clone();
    let (a, b) = (app_with(on_redis).await, app_with(on_redis).await);
    let stub = llm_stub::start(Duration::from_millis(1)).await;
    let cred = format!("cred-{}", tessera::ids::new_id());
    openai_credentials(&a, &cred, "openai", &stub.base_url).await;
    let id = format!("usage-redis-{}", tessera::ids::new_id());
    let flow = ai_bot(&id, forge_block("openai", &cred, "m"));
    let (sid, _) = chat_to_ai(&a, &flow, "Count my tokens", true).await;
    let text = streamed_text(&a, &sid).await;
    let (status, next) = b
        .post(
            &format!("/api/v1/sessions/{sid}/continueChat"),
            &json!({"message": {"type": "text", "text": text}}),
        )
        .await;
    assert_eq!(status, 200, "{next}");
    let (prompt, completion) = stub_counts(&stub, "Echo: Count my tokens");
    assert_eq!(texts(&next)[0], format!("Tokens: {}", prompt + completion));
}

/// The engine with the stand-in's credentials, a price for `gpt-4o-mini` and the streamed
/// usage kept in an in-memory executions store.
fn engine(stub: &LlmStub, flows: Arc<MemoryFlows>) -> Engine {
    let http = SafeClient::new(OutboundPolicy {
        allowed_hosts: vec!["127.0.0.1".into()],
        ..OutboundPolicy::default()
    })
    .expect("client");
    let prices = BTreeMap::from([(
        "gpt-4o-mini".to_string(),
        ModelPrice {
            input_per_mtok: 150.0,
            output_per_mtok: 600.0,
        },
    )]);
    Engine::new(flows, Some(http), EngineConfig::default()).with_ai(AiServices {
        credentials: Some(Arc::new(OneCredential(stub.base_url.clone()))),
        prices,
        streamed: Some(Arc::new(UsageDocs(Stores::memory().executions))),
    })
}

/// Streams the AI answer of a fresh session on `model` and resumes with it: the usage of
/// the turn that brought it back.
async fn streamed_turn_usage(model: &str) -> (LlmStub, Option<TokenUsage>) {
    let stub = llm_stub::start(Duration::ZERO).await;
    let def = ai_bot("usage", forge_block("openai", "oa", model));
    let flow = tessera::flow::load_str(&def.to_string()).expect("compiles");
    let flows = Arc::new(MemoryFlows::new());
    flows.publish(flow.clone());
    let engine = engine(&stub, flows);
    let params = StartParams {
        stream: true,
        ..StartParams::default()
    };
    let (state, _) = engine
        .start(flow.clone(), params, "r1".into())
        .await
        .expect("start");
    let (state, out) = engine
        .resume(state, Some(Message::text("Hello")), TextFormat::RichText)
        .await
        .expect("turn");
    assert_eq!(out.actions[0]["type"], "stream", "{:?}", out.actions);
    assert_eq!(out.token_usage, None, "nothing ran yet");
    let plan = engine.stream_plan(state.clone(), flow).await.expect("plan");
    let pieces: Vec<_> = engine
        .open_stream(plan)
        .await
        .expect("open")
        .collect()
        .await;
    let text: String = pieces.into_iter().map(|p| p.expect("text")).collect();
    let (_, out) = engine
        .resume(state, Some(Message::text(&text)), TextFormat::RichText)
        .await
        .expect("turn");
    (stub, out.token_usage)
}

#[tokio::test]
async fn the_usage_of_a_streamed_answer_is_priced_on_the_turn_that_brings_it_back() {
    let (stub, usage) = streamed_turn_usage("gpt-4o-mini").await;
    let usage = usage.expect("usage recorded");
    let (prompt, completion) = stub_counts(&stub, "Echo: Hello");
    assert_eq!(usage.model.as_deref(), Some("gpt-4o-mini"));
    assert_eq!(
        (
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens
        ),
        (prompt, completion, prompt + completion)
    );
    assert_eq!(usage.cost_micros, Some(prompt * 150 + completion * 600));
    let (_, none) = streamed_turn_usage("no-usage").await;
    assert_eq!(none, None, "no usage sent: none recorded");
}

#[tokio::test]
async fn the_engine_envelope_returns_the_token_usage_of_its_turn_with_the_cost() {
    let stub = llm_stub::start(Duration::ZERO).await;
    let app = app_with(|c| {
        c.engine_api_token = Some(ENGINE_TOKEN.into());
        c.model_prices.insert(
            "gpt-4o-mini".into(),
            ModelPriceDecl {
                input_per_mtok: 150.0,
                output_per_mtok: 600.0,
            },
        );
    })
    .await;
    openai_credentials(&app, "cred", "openai", &stub.base_url).await;
    let tenant = uuid::Uuid::new_v4().to_string();
    let flow = ai_bot("usage-env", forge_block("openai", "cred", "gpt-4o-mini"));
    let r = app
        .client
        .put(format!(
            "{}/api/v1/flows/usage-env?tenant_id={tenant}",
            app.base
        ))
        .bearer_auth(TOKEN)
        .json(&flow)
        .send()
        .await
        .expect("publish");
    assert_eq!(r.status().as_u16(), 200);
    let engine_call = |path: String, body: Value| {
        let req = app
            .client
            .post(format!("{}{path}", app.base))
            .bearer_auth(ENGINE_TOKEN)
            .json(&body);
        async move {
            req.send()
                .await
                .expect("engine")
                .json::<Value>()
                .await
                .expect("json")
        }
    };
    let env = engine_call(
        "/api/v1/engine/triggers/chat".into(),
        json!({"tenant_id": tenant, "intent_name": "usage-env"}),
    )
    .await;
    assert_eq!(env["token_usage"], Value::Null, "{env}");
    let id = env["execution_id"].as_str().expect("execution id");
    let env = engine_call(
        format!("/api/v1/engine/executions/{id}/resume"),
        json!({"tenant_id": tenant, "wait_token": env["metadata"]["wait_token"],
               "input": {"text": "Price me"}}),
    )
    .await;
    let (prompt, completion) = stub_counts(&stub, "Echo: Price me");
    let cost = prompt * 150 + completion * 600;
    assert_eq!(
        env["token_usage"],
        json!({"prompt_tokens": prompt, "completion_tokens": completion,
               "total_tokens": prompt + completion, "model": "gpt-4o-mini",
               "cost_micros": cost, "cost_usd": cost as f64 / 1_000_000.0}),
        "{env}"
    );
}
