//! What AI and email blocks need from above the engine, as small capabilities: credentials
//! resolved by the `credentialsId` of a block ([`CredentialSource`], implemented by the
//! credentials registry, which decrypts stored secrets), and the price table turning token
//! usage into a cost, and where the usage of a streamed answer waits for the turn that brings
//! the answer back ([`StreamedUsage`]). The engine never reads stores itself.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::flows::BoxFuture;

/// One credential, decrypted: its type (`openai`, `anthropic`, `smtp`, ...) and its data
/// (`apiKey`, `baseUrl`, `host`, ...). Debug output never shows the data.
#[derive(Clone, PartialEq)]
pub struct Credential {
    pub kind: String,
    pub data: Map<String, Value>,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("kind", &self.kind)
            .field("data", &"<redacted>")
            .finish()
    }
}

impl Credential {
    /// A string field of the data (empty strings count as absent).
    pub fn field(&self, key: &str) -> Option<&str> {
        self.data
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }
}

/// Credential types of OpenAI-compatible APIs, with their default base URL.
pub const OPENAI_COMPATIBLE: &[(&str, &str)] = &[
    ("openai", "https://api.openai.com/v1"),
    ("mistral", "https://api.mistral.ai/v1"),
    ("groq", "https://api.groq.com/openai/v1"),
    ("together", "https://api.together.xyz/v1"),
    ("openrouter", "https://openrouter.ai/api/v1"),
    ("deepseek", "https://api.deepseek.com/v1"),
    ("perplexity", "https://api.perplexity.ai"),
];

/// Anthropic's messages API.
pub const ANTHROPIC_BASE_URL: &str = "https://api.anthropic.com/v1";

/// Every credential type this server accepts.
pub fn is_credential_type(kind: &str) -> bool {
    kind == "anthropic" || kind == "smtp" || OPENAI_COMPATIBLE.iter().any(|(k, _)| *k == kind)
}

/// The default base URL of an AI credential type.
pub fn default_base_url(kind: &str) -> Option<&'static str> {
    if kind == "anthropic" {
        return Some(ANTHROPIC_BASE_URL);
    }
    OPENAI_COMPATIBLE
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, u)| *u)
}

/// Where blocks find credentials by id. `None`: no such credential (or it cannot be read).
pub trait CredentialSource: Send + Sync {
    fn credential<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Option<Credential>>;
}

/// Where the usage of a streamed answer waits: the streamMessage request records it when the
/// provider's stream ends, and the continueChat that brings the answer back reads it (the
/// two are separate requests, perhaps on separate processes). `key` names the session state
/// the stream was planned from, so a later stream of the same block never reads an older one.
pub trait StreamedUsage: Send + Sync {
    fn record<'a>(&'a self, key: &'a str, usage: &'a TokenUsage) -> BoxFuture<'a, ()>;
    fn read<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Option<TokenUsage>>;
}

/// The price of a model, in US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ModelPrice {
    pub input_per_mtok: f64,
    pub output_per_mtok: f64,
}

/// Credentials and prices, handed to the engine once at start-up.
#[derive(Clone, Default)]
pub struct AiServices {
    pub credentials: Option<Arc<dyn CredentialSource>>,
    /// Model name -> price (exact match).
    pub prices: BTreeMap<String, ModelPrice>,
    /// Usage of streamed answers (none: streamed answers report no usage).
    pub streamed: Option<Arc<dyn StreamedUsage>>,
}

/// Tokens an AI call (or a whole turn) used, and what they cost when the model has a price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TokenUsage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
    pub model: Option<String>,
    /// Cost in millionths of a US dollar; null when the model has no price.
    pub cost_micros: Option<u64>,
    pub cost_usd: Option<f64>,
}

impl TokenUsage {
    /// Usage of one call, priced from the table.
    pub fn priced(
        model: &str,
        prompt: u64,
        completion: u64,
        total: Option<u64>,
        prices: &BTreeMap<String, ModelPrice>,
    ) -> TokenUsage {
        let mut u = TokenUsage {
            prompt_tokens: prompt,
            completion_tokens: completion,
            total_tokens: total.unwrap_or(prompt + completion),
            model: Some(model.to_string()),
            cost_micros: None,
            cost_usd: None,
        };
        if let Some(p) = prices.get(model) {
            // USD per million tokens * tokens = micro-dollars.
            let micros = p.input_per_mtok * prompt as f64 + p.output_per_mtok * completion as f64;
            let micros = micros.max(0.0).round() as u64;
            u.cost_micros = Some(micros);
            u.cost_usd = Some(micros as f64 / 1_000_000.0);
        }
        u
    }

    /// Adds another call's usage (the model becomes the latest; the cost is null as soon as
    /// one call had no price).
    pub fn add(&mut self, other: &TokenUsage) {
        let first = self.model.is_none() && self.total_tokens == 0;
        self.prompt_tokens += other.prompt_tokens;
        self.completion_tokens += other.completion_tokens;
        self.total_tokens += other.total_tokens;
        self.model = other.model.clone().or(self.model.take());
        self.cost_micros = match (first, self.cost_micros, other.cost_micros) {
            (true, _, c) => c,
            (false, Some(a), Some(b)) => Some(a + b),
            _ => None,
        };
        self.cost_usd = self.cost_micros.map(|m| m as f64 / 1_000_000.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_is_priced_per_million_tokens() {
        let mut prices = BTreeMap::new();
        prices.insert(
            "gpt-4o-mini".to_string(),
            ModelPrice {
                input_per_mtok: 0.15,
                output_per_mtok: 0.6,
            },
        );
        let u = TokenUsage::priced("gpt-4o-mini", 1000, 500, None, &prices);
        assert_eq!(u.total_tokens, 1500);
        assert_eq!(u.cost_micros, Some(450));
        let none = TokenUsage::priced("other", 1, 1, Some(2), &prices);
        assert_eq!(none.cost_micros, None);
        let mut sum = TokenUsage::default();
        sum.add(&u);
        assert_eq!(sum.cost_micros, Some(450));
        sum.add(&u);
        assert_eq!(sum.cost_micros, Some(900));
        sum.add(&none);
        assert_eq!((sum.total_tokens, sum.cost_micros), (3002, None));
    }

    #[test]
    fn credential_debug_hides_the_data() {
        let mut data = Map::new();
        data.insert("apiKey".into(), Value::String("sk-secret".into()));
        let c = Credential {
            kind: "openai".into(),
            data,
        };
        assert!(!format!("{c:?}").contains("sk-secret"));
    }
}
