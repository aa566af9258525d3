//! Tests of the configuration loader.

use super::*;

#[test]
fn store_urls_are_logged_without_credentials() {
    assert_eq!(
        redact_url("redis://:s3cret@127.0.0.1:6379/0"),
        "redis://***@127.0.0.1:6379/0"
    );
    assert_eq!(
        redact_url("redis://127.0.0.1:6379"),
        "redis://127.0.0.1:6379"
    );
    assert_eq!(redact_url("memory"), "memory");
}

#[test]
fn env_overrides_defaults() {
    let env = |k: &str| match k {
        "TESSERA_PORT" => Some("9000".to_string()),
        "TESSERA_HTTP_ALLOWED_HOSTS" => Some("a.internal, b.internal".to_string()),
        _ => None,
    };
    let c = Config::load(None, &env).map_err(|e| e.to_string());
    let Ok(c) = c else { panic!("config failed") };
    assert_eq!(c.port, 9000);
    assert_eq!(c.http_allowed_hosts, vec!["a.internal", "b.internal"]);
    assert_eq!(c.store, "memory");
    assert!(!c.strict);
}

#[test]
fn strict_comes_from_the_file_or_the_environment() {
    let on = |k: &str| (k == "TESSERA_STRICT").then(|| "true".to_string());
    assert!(Config::load(None, &on).is_ok_and(|c| c.strict));
    let bad = |k: &str| (k == "TESSERA_STRICT").then(|| "maybe".to_string());
    assert!(Config::load(None, &bad).is_err());
    assert!(toml::from_str::<Config>("strict = true").is_ok_and(|c| c.strict));
}

#[test]
fn the_memory_store_cap_comes_from_the_file_or_the_environment() {
    assert!(Config::load(None, &|_| None).is_ok_and(|c| c.memory_max_results == 100_000));
    let env = |k: &str| (k == "TESSERA_MEMORY_MAX_RESULTS").then(|| "5000".to_string());
    assert!(Config::load(None, &env).is_ok_and(|c| c.memory_max_results == 5000));
    let bad = |k: &str| (k == "TESSERA_MEMORY_MAX_RESULTS").then(|| "-1".to_string());
    assert!(Config::load(None, &bad).is_err());
    let file = toml::from_str::<Config>("memory_max_results = 20");
    assert!(file.is_ok_and(|c| c.memory_max_results == 20));
}

#[test]
fn declared_credentials_take_secrets_from_the_environment() {
    let file = r#"
        [[credentials]]
        id = "main"
        type = "openai"
        data = { baseUrl = "https://llm.example/v1" }
        env = { apiKey = "MY_OPENAI_KEY" }
        [model_prices."gpt-4o-mini"]
        input_per_mtok = 0.15
        output_per_mtok = 0.6
    "#;
    let Ok(mut c) = toml::from_str::<Config>(file) else {
        panic!("parses")
    };
    let env = |k: &str| (k == "MY_OPENAI_KEY").then(|| "sk-test".to_string());
    assert!(c.apply_env(&env).is_ok());
    assert_eq!(c.credentials[0].data["apiKey"], "sk-test");
    assert!(!format!("{c:?}").contains("sk-test"));
    assert_eq!(c.model_prices["gpt-4o-mini"].output_per_mtok, 0.6);
    let Ok(mut c) = toml::from_str::<Config>(file) else {
        panic!("parses")
    };
    assert!(c.apply_env(&|_| None).is_err());
}

#[test]
fn declared_triggers_take_their_secret_from_the_environment() {
    let file = r#"
        trigger_workers = 0
        [[triggers]]
        id = "orders"
        flow = "order-bot"
        default_text = "new order"
        secret_env = "ORDERS_TRIGGER_SECRET"
    "#;
    let Ok(mut c) = toml::from_str::<Config>(file) else {
        panic!("parses")
    };
    assert_eq!(c.trigger_workers, 0);
    let env = |k: &str| (k == "ORDERS_TRIGGER_SECRET").then(|| "s3cret".to_string());
    assert!(c.apply_env(&env).is_ok());
    assert_eq!(c.triggers[0].secret.0, "s3cret");
    assert!(!format!("{c:?}").contains("s3cret"));
    let Ok(mut c) = toml::from_str::<Config>(file) else {
        panic!("parses")
    };
    assert!(c.apply_env(&|_| None).is_err());
}

#[test]
fn bad_numbers_and_unknown_keys_are_errors() {
    let env = |k: &str| (k == "TESSERA_PORT").then(|| "eighty".to_string());
    assert!(Config::load(None, &env).is_err());
    assert!(toml::from_str::<Config>("nope = 1").is_err());
    assert!(toml::from_str::<Config>("port = 1234").is_ok());
}
