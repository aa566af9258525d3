//! AI blocks against the stand-in provider: forge OpenAI-compatible blocks, Anthropic, the
//! legacy OpenAI block with a dialogue, errors, the SSRF guard on base URLs, token usage.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tessera::engine::{
    AiServices, Engine, EngineConfig, MemoryFlows, Message, ModelPrice, StartParams, TextFormat,
};
use tessera::net::{OutboundPolicy, SafeClient};

use crate::common::app::spawn_app_with;
use crate::common::llm_stub;
use crate::setup::{
    OneCredential, ai_bot, app, chat_to_ai, forge_block, openai_credentials, put_credentials, texts,
};

#[tokio::test]
async fn the_openai_block_answers_through_the_provider_and_maps_content_and_tokens() {
    let stub = llm_stub::start(Duration::ZERO).await;
    let app = app().await;
    openai_credentials(&app, "oa", "openai", &stub.base_url).await;
    let flow = ai_bot("ai-openai", forge_block("openai", "oa", "gpt-4o-mini"));
    let (_, turn) = chat_to_ai(&app, &flow, "Hello there", false).await;
    let shown = texts(&turn);
    assert_eq!(shown[0], "Echo: Hello there", "{turn}");
    let tokens: u64 = shown[1]
        .trim_start_matches("Tokens: ")
        .parse()
        .expect("a number");
    assert!(tokens > 0);
    let req = &stub.requests()[0];
    assert_eq!(req.path, "/v1/chat/completions");
    assert_eq!(req.body["model"], "gpt-4o-mini");
    assert_eq!(
        req.body["messages"],
        json!([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello there"}])
    );
    assert!(req.body.get("stream").is_none());
}

#[tokio::test]
async fn every_openai_compatible_block_uses_its_credentials_base_url() {
    let stub = llm_stub::start(Duration::ZERO).await;
    let app = app().await;
    let pairs = [
        ("mistral", "mistral"),
        ("groq", "groq"),
        ("together-ai", "together"),
        ("open-router", "openrouter"),
        ("deepseek", "deepseek"),
        ("perplexity", "perplexity"),
    ];
    for (block, kind) in pairs {
        openai_credentials(&app, kind, kind, &stub.base_url).await;
        let flow = ai_bot(&format!("ai-{block}"), forge_block(block, kind, ""));
        let (_, turn) = chat_to_ai(&app, &flow, block, false).await;
        assert_eq!(texts(&turn)[0], format!("Echo: {block}"), "{turn}");
    }
    let models: Vec<Value> = stub
        .requests()
        .iter()
        .map(|r| r.body["model"].clone())
        .collect();
    assert_eq!(models.len(), pairs.len());
    assert!(
        models
            .iter()
            .all(|m| m.as_str().is_some_and(|m| !m.is_empty())),
        "{models:?}"
    );
}

#[tokio::test]
async fn the_anthropic_block_speaks_the_messages_api() {
    let stub = llm_stub::start(Duration::ZERO).await;
    let app = app().await;
    openai_credentials(&app, "claude", "anthropic", &stub.base_url).await;
    let flow = ai_bot(
        "ai-anthropic",
        forge_block("anthropic", "claude", "claude-3-5-haiku-latest"),
    );
    let (_, turn) = chat_to_ai(&app, &flow, "Bonjour", false).await;
    assert_eq!(texts(&turn)[0], "Echo: Bonjour", "{turn}");
    let req = &stub.requests()[0];
    assert_eq!(req.path, "/v1/messages");
    assert_eq!(req.body["system"], "Be brief.");
    assert_eq!(
        req.body["messages"],
        json!([{"role": "user", "content": "Bonjour"}])
    );
    assert!(req.body["max_tokens"].as_u64().is_some());
    assert!(
        req.headers
            .iter()
            .any(|(k, v)| k == "anthropic-version" && !v.is_empty())
    );
}

#[tokio::test]
async fn the_legacy_openai_block_sends_the_dialogue_and_maps_value_to_extract() {
    let stub = llm_stub::start(Duration::ZERO).await;
    let app = app().await;
    openai_credentials(&app, "legacy", "openai", &stub.base_url).await;
    let block = json!({"id": "ai", "type": "OpenAI", "options": {
        "task": "Create chat completion", "credentialsId": "legacy", "model": "gpt-3.5-turbo",
        "messages": [
            {"id": "m1", "role": "system", "content": "You are a marketing agency."},
            {"id": "m2", "role": "Dialogue", "dialogueVariableId": "v-q"}
        ],
        "advancedSettings": {"temperature": "0.5"},
        "responseMapping": [
            {"id": "r1", "valueToExtract": "Message content", "variableId": "v-a"},
            {"id": "r2", "valueToExtract": "Total tokens", "variableId": "v-t"}
        ]
    }});
    let (_, turn) = chat_to_ai(&app, &ai_bot("ai-legacy", block), "We sell shoes", false).await;
    assert_eq!(texts(&turn)[0], "Echo: We sell shoes", "{turn}");
    let req = &stub.requests()[0];
    assert_eq!(
        req.body["messages"][1],
        json!({"role": "user", "content": "We sell shoes"})
    );
    assert_eq!(req.body["temperature"], json!(0.5));
}

#[tokio::test]
async fn provider_errors_are_logged_and_the_flow_goes_on() {
    let stub = llm_stub::start(Duration::ZERO).await;
    let app = app().await;
    let (status, _) = put_credentials(
        &app,
        "wrong",
        &json!({"type": "openai", "data": {"apiKey": "sk-wrong-key", "baseUrl": stub.base_url}}),
    )
    .await;
    assert_eq!(status, 200);
    let (_, turn) = chat_to_ai(
        &app,
        &ai_bot("ai-wrong", forge_block("openai", "wrong", "m")),
        "Hi",
        false,
    )
    .await;
    let logs = turn["logs"].to_string();
    assert!(
        logs.contains("openai block returned an error") && logs.contains("401"),
        "{turn}"
    );
    assert!(!turn.to_string().contains("sk-wrong-key"));
    assert_eq!(turn["input"]["id"], "q2", "the flow went on");
}

#[tokio::test]
async fn missing_credentials_keep_typebots_log() {
    let app = app().await;
    let (_, turn) = chat_to_ai(
        &app,
        &ai_bot("ai-none", forge_block("openai", "absent", "m")),
        "Hi",
        false,
    )
    .await;
    assert!(
        turn["logs"]
            .to_string()
            .contains("Could not find credentials for block openai"),
        "{turn}"
    );
}

#[tokio::test]
async fn base_urls_are_subject_to_the_ssrf_guard() {
    let stub = llm_stub::start(Duration::ZERO).await;
    let app = spawn_app_with(|c| {
        c.secret_key = Some(tessera::config::SecretString(
            crate::setup::SECRET_KEY.into(),
        ));
    })
    .await;
    openai_credentials(&app, "internal", "openai", &stub.base_url).await;
    let (_, turn) = chat_to_ai(
        &app,
        &ai_bot("ai-ssrf", forge_block("openai", "internal", "m")),
        "Hi",
        false,
    )
    .await;
    assert!(
        turn["logs"]
            .to_string()
            .contains("Security validation failed"),
        "{turn}"
    );
    assert!(
        stub.requests().is_empty(),
        "nothing reached the internal address"
    );
}

#[tokio::test]
async fn token_usage_is_recorded_on_the_turn_with_its_cost() {
    let stub = llm_stub::start(Duration::ZERO).await;
    let def = ai_bot("usage", forge_block("openai", "oa", "gpt-4o-mini"));
    let flow = tessera::flow::load_str(&def.to_string()).expect("compiles");
    let flows = Arc::new(MemoryFlows::new());
    flows.publish(flow.clone());
    let http = SafeClient::new(OutboundPolicy {
        allowed_hosts: vec!["127.0.0.1".into()],
        ..OutboundPolicy::default()
    })
    .expect("client");
    let mut prices = BTreeMap::new();
    prices.insert(
        "gpt-4o-mini".to_string(),
        ModelPrice {
            input_per_mtok: 150.0,
            output_per_mtok: 600.0,
        },
    );
    let engine = Engine::new(flows, Some(http), EngineConfig::default()).with_ai(AiServices {
        credentials: Some(Arc::new(OneCredential(stub.base_url.clone()))),
        prices,
        streamed: None,
    });
    let (state, _) = engine
        .start(flow, StartParams::default(), "r1".into())
        .await
        .expect("start");
    let (_, out) = engine
        .resume(state, Some(Message::text("Hello")), TextFormat::RichText)
        .await
        .expect("turn");
    let usage = out.token_usage.expect("usage recorded");
    assert_eq!(usage.model.as_deref(), Some("gpt-4o-mini"));
    assert_eq!(
        usage.total_tokens,
        usage.prompt_tokens + usage.completion_tokens
    );
    let cost = usage.prompt_tokens * 150 + usage.completion_tokens * 600;
    assert_eq!(usage.cost_micros, Some(cost));
    assert!(usage.cost_usd.is_some());
}
