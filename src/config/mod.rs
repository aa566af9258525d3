//! Layered configuration: built-in defaults, then a TOML file (`--config` or
//! `TESSERA_CONFIG`), then `TESSERA_*` environment variables, then command-line flags.
//! Unknown keys in the file are an error; every setting is documented in the README.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

mod limits;
pub use limits::Limits;
mod uploads;
pub use uploads::{S3Config, UploadsConfig};

/// Every server setting. Field names are the TOML keys; the env variable is
/// `TESSERA_` + the upper-cased name (lists are comma-separated).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to bind.
    pub host: String,
    /// Port to listen on (0 picks a free port).
    pub port: u16,
    /// Directory of bots published at start-up (every `*.json`).
    pub flows: Option<PathBuf>,
    /// `memory` (default), `redis://host:port/db` or `redis+cluster://h1:p1,h2:p2`.
    pub store: String,
    /// Bearer token for the authenticated routes (publishing, preview, results). Unset: those
    /// routes answer 401 explaining how to set it.
    pub api_token: Option<String>,
    /// Bearer token of the engine API (`/api/v1/engine/...`), server to server. Unset: those
    /// routes answer 401 explaining how to set it.
    pub engine_api_token: Option<String>,
    /// Default inactivity TTL of sessions, in seconds (a bot may set its own).
    pub session_ttl_secs: u64,
    /// How long `Idempotency-Key` responses are kept, in seconds.
    pub idempotency_ttl_secs: u64,
    /// How long results are kept, in days.
    pub results_retention_days: u64,
    /// Most results, and most transcripts, the in-memory store keeps (the least recently
    /// written go first); a Redis store keeps them for their retention.
    pub memory_max_results: usize,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Blocks executed per turn before a turn is stopped (cycle guard).
    pub step_budget: u32,
    /// Time limit of one JavaScript evaluation, in milliseconds.
    pub js_timeout_ms: u64,
    /// Memory limit of the JavaScript sandbox, in MiB.
    pub js_memory_mib: usize,
    /// Hosts outbound HTTP blocks may reach even though they resolve to private addresses.
    pub http_allowed_hosts: Vec<String>,
    /// Default timeout of outbound HTTP requests, in seconds.
    pub http_timeout_secs: u64,
    /// Public URLs of this server (origins), trusted with `x-typebot-iframe-referrer-origin`.
    pub viewer_urls: Vec<String>,
    /// How long a turn may hold a session before another request may take it, in milliseconds.
    pub turn_lease_ms: u64,
    /// HTTP worker threads (default: number of CPUs).
    pub workers: Option<usize>,
    /// Log filter (`info`, `tessera=debug`, ...); `RUST_LOG` also works.
    pub log: String,
    /// Log format: `text` or `json` (one JSON object per line, with the request's span fields,
    /// `request_id` among them, on every line logged while serving it).
    pub log_format: String,
    /// Where `GET /metrics` is served: `token` (default: on the main port, with
    /// `Authorization: Bearer <metrics_token>`; 401 while no token is set), `open` (without a
    /// token, on `metrics_bind` only) or `off`.
    pub metrics: String,
    /// Bearer token of `/metrics` in `token` mode (`TESSERA_METRICS_TOKEN`).
    pub metrics_token: Option<SecretString>,
    /// Address of the separate metrics listener in `open` mode (port 0: any free port).
    pub metrics_bind: String,
    /// Refuse to start when a bot of the flows directory has problems (by default the bad
    /// files are logged and left out, and the good ones are served).
    pub strict: bool,
    /// Include a bot's custom head code (`settings.metadata.customHeadCode`) in its page.
    pub web_custom_head_code: bool,
    /// Secret of the identity check: when set, a startChat prefilling `user_id`/`userId`, and
    /// the web player's start of a workflow run, must carry `X-Tessera-User-Hash` (the
    /// HMAC-SHA256 of the user id under this secret).
    pub identity_secret: Option<String>,
    /// Key sealing stored credentials: 32 bytes, hex-encoded (`TESSERA_SECRET_KEY`). Unset:
    /// credentials can only be declared in this file, not stored through the API.
    pub secret_key: Option<SecretString>,
    /// Credentials declared here (`[[credentials]]`), their secrets read from environment
    /// variables (`env = { apiKey = "OPENAI_API_KEY" }`).
    pub credentials: Vec<CredentialDecl>,
    /// Prices per model for token usage costs (`[model_prices."gpt-4o-mini"]`).
    pub model_prices: BTreeMap<String, ModelPriceDecl>,
    /// Abuse limits (`[limits]`): request rates, slow clients, connections.
    pub limits: Limits,
    /// Background workers running trigger events in this process (0: an API-only process
    /// that accepts events and leaves them to others).
    pub trigger_workers: usize,
    /// Paused executions (Wait blocks) one process resumes at once when their timers fall
    /// due (the rest wait under their claim's lease).
    pub timer_concurrency: usize,
    /// How long a delivered trigger event may stay unacknowledged before another worker takes
    /// it (a worker that died), in milliseconds.
    pub trigger_visibility_timeout_ms: u64,
    /// Most trigger events waiting at once; beyond, posting an event answers 429.
    pub trigger_queue_max: u64,
    /// Triggers declared here (`[[triggers]]`), their secret read from an environment variable
    /// (`secret_env = "MY_TRIGGER_SECRET"`).
    pub triggers: Vec<TriggerDecl>,
    /// Upload storage of file inputs (`[uploads]`).
    pub uploads: UploadsConfig,
    /// Publish the example bots compiled into the binary (set by `tessera serve` when no
    /// flows directory is configured or found).
    #[serde(skip)]
    pub bundled_flows: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: "0.0.0.0".into(),
            port: 8080,
            flows: None,
            store: "memory".into(),
            api_token: None,
            engine_api_token: None,
            session_ttl_secs: 86_400,
            idempotency_ttl_secs: 86_400,
            results_retention_days: 30,
            memory_max_results: 100_000,
            max_body_bytes: 256 * 1024,
            step_budget: 1000,
            js_timeout_ms: 1000,
            js_memory_mib: 32,
            http_allowed_hosts: Vec::new(),
            http_timeout_secs: 10,
            viewer_urls: Vec::new(),
            turn_lease_ms: 30_000,
            workers: None,
            log: "info".into(),
            log_format: "text".into(),
            metrics: "token".into(),
            metrics_token: None,
            metrics_bind: "127.0.0.1:9464".into(),
            strict: false,
            web_custom_head_code: false,
            identity_secret: None,
            secret_key: None,
            credentials: Vec::new(),
            model_prices: BTreeMap::new(),
            limits: Limits::default(),
            trigger_workers: 4,
            timer_concurrency: 256,
            trigger_visibility_timeout_ms: 30_000,
            trigger_queue_max: 100_000,
            triggers: Vec::new(),
            uploads: UploadsConfig::default(),
            bundled_flows: false,
        }
    }
}

/// A secret setting: its Debug output is redacted.
#[derive(Clone, Deserialize, PartialEq, Default)]
#[serde(transparent)]
pub struct SecretString(pub String);

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A credential declared in the config file. `data` holds its non-secret fields; `env` maps
/// secret fields to the environment variables holding them (read at start-up; a missing one
/// is an error).
#[derive(Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CredentialDecl {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub data: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

impl std::fmt::Debug for CredentialDecl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialDecl")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// A trigger declared in the config file.
#[derive(Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TriggerDecl {
    pub id: String,
    /// The bot (public id or id).
    pub flow: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub default_text: Option<String>,
    #[serde(default)]
    pub session_ttl_secs: Option<u64>,
    /// The environment variable holding the secret (read at start-up; a missing one is an
    /// error).
    pub secret_env: String,
    #[serde(skip)]
    pub secret: SecretString,
}

impl std::fmt::Debug for TriggerDecl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TriggerDecl")
            .field("id", &self.id)
            .field("flow", &self.flow)
            .finish_non_exhaustive()
    }
}

/// The price of a model in US dollars per million tokens.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ModelPriceDecl {
    pub input_per_mtok: f64,
    pub output_per_mtok: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("invalid config file {0}: {1}")]
    Parse(PathBuf, String),
    #[error("invalid value for {0}: {1}")]
    Env(String, String),
}

impl Config {
    /// Defaults, then the file (if any), then the environment.
    pub fn load(
        file: Option<PathBuf>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let file = file.or_else(|| env("TESSERA_CONFIG").map(PathBuf::from));
        let mut cfg = match file {
            Some(path) => {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| ConfigError::Read(path.clone(), e))?;
                toml::from_str(&text)
                    .map_err(|e| ConfigError::Parse(path.clone(), e.to_string()))?
            }
            None => Config::default(),
        };
        cfg.apply_env(env)?;
        Ok(cfg)
    }

    /// Reads the process environment.
    pub fn from_process_env(file: Option<PathBuf>) -> Result<Config, ConfigError> {
        Self::load(file, &|k| std::env::var(k).ok())
    }

    fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn num<T: std::str::FromStr>(key: &str, v: String) -> Result<T, ConfigError> {
            v.trim()
                .parse()
                .map_err(|_| ConfigError::Env(key.into(), format!("\"{v}\" is not a valid number")))
        }
        let list = |v: String| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
        };
        let get = |k: &str| env(k).filter(|v| !v.is_empty());
        if let Some(v) = get("TESSERA_HOST") {
            self.host = v;
        }
        if let Some(v) = get("TESSERA_PORT") {
            self.port = num("TESSERA_PORT", v)?;
        }
        if let Some(v) = get("TESSERA_FLOWS") {
            self.flows = Some(PathBuf::from(v));
        }
        if let Some(v) = get("TESSERA_STORE") {
            self.store = v;
        }
        if let Some(v) = get("TESSERA_API_TOKEN") {
            self.api_token = Some(v);
        }
        if let Some(v) = get("TESSERA_ENGINE_API_TOKEN") {
            self.engine_api_token = Some(v);
        }
        if let Some(v) = get("TESSERA_SESSION_TTL_SECS") {
            self.session_ttl_secs = num("TESSERA_SESSION_TTL_SECS", v)?;
        }
        if let Some(v) = get("TESSERA_IDEMPOTENCY_TTL_SECS") {
            self.idempotency_ttl_secs = num("TESSERA_IDEMPOTENCY_TTL_SECS", v)?;
        }
        if let Some(v) = get("TESSERA_RESULTS_RETENTION_DAYS") {
            self.results_retention_days = num("TESSERA_RESULTS_RETENTION_DAYS", v)?;
        }
        if let Some(v) = get("TESSERA_MEMORY_MAX_RESULTS") {
            self.memory_max_results = num("TESSERA_MEMORY_MAX_RESULTS", v)?;
        }
        if let Some(v) = get("TESSERA_MAX_BODY_BYTES") {
            self.max_body_bytes = num("TESSERA_MAX_BODY_BYTES", v)?;
        }
        if let Some(v) = get("TESSERA_STEP_BUDGET") {
            self.step_budget = num("TESSERA_STEP_BUDGET", v)?;
        }
        if let Some(v) = get("TESSERA_JS_TIMEOUT_MS") {
            self.js_timeout_ms = num("TESSERA_JS_TIMEOUT_MS", v)?;
        }
        if let Some(v) = get("TESSERA_JS_MEMORY_MIB") {
            self.js_memory_mib = num("TESSERA_JS_MEMORY_MIB", v)?;
        }
        if let Some(v) = get("TESSERA_HTTP_ALLOWED_HOSTS") {
            self.http_allowed_hosts = list(v);
        }
        if let Some(v) = get("TESSERA_HTTP_TIMEOUT_SECS") {
            self.http_timeout_secs = num("TESSERA_HTTP_TIMEOUT_SECS", v)?;
        }
        if let Some(v) = get("TESSERA_VIEWER_URLS") {
            self.viewer_urls = list(v);
        }
        if let Some(v) = get("TESSERA_TURN_LEASE_MS") {
            self.turn_lease_ms = num("TESSERA_TURN_LEASE_MS", v)?;
        }
        if let Some(v) = get("TESSERA_WORKERS") {
            self.workers = Some(num("TESSERA_WORKERS", v)?);
        }
        if let Some(v) = get("TESSERA_LOG") {
            self.log = v;
        }
        if let Some(v) = get("TESSERA_LOG_FORMAT") {
            self.log_format = v;
        }
        if let Some(v) = get("TESSERA_METRICS") {
            self.metrics = v;
        }
        if let Some(v) = get("TESSERA_METRICS_TOKEN") {
            self.metrics_token = Some(SecretString(v));
        }
        if let Some(v) = get("TESSERA_METRICS_BIND") {
            self.metrics_bind = v;
        }
        if let Some(v) = get("TESSERA_STRICT") {
            self.strict = match v.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => true,
                "0" | "false" | "no" | "off" => false,
                _ => {
                    return Err(ConfigError::Env(
                        "TESSERA_STRICT".into(),
                        format!("\"{v}\" is not a boolean (true or false)"),
                    ));
                }
            };
        }
        if let Some(v) = get("TESSERA_IDENTITY_SECRET") {
            self.identity_secret = Some(v);
        }
        if let Some(v) = get("TESSERA_WEB_CUSTOM_HEAD_CODE") {
            self.web_custom_head_code = matches!(v.trim(), "1" | "true" | "yes" | "on");
        }
        if let Some(v) = get("TESSERA_SECRET_KEY") {
            self.secret_key = Some(SecretString(v));
        }
        self.limits.apply_env(&get, num::<u64>)?;
        if let Some(v) = get("TESSERA_TRIGGER_WORKERS") {
            self.trigger_workers = num("TESSERA_TRIGGER_WORKERS", v)?;
        }
        if let Some(v) = get("TESSERA_TIMER_CONCURRENCY") {
            self.timer_concurrency = num("TESSERA_TIMER_CONCURRENCY", v)?;
        }
        if let Some(v) = get("TESSERA_TRIGGER_VISIBILITY_TIMEOUT_MS") {
            self.trigger_visibility_timeout_ms = num("TESSERA_TRIGGER_VISIBILITY_TIMEOUT_MS", v)?;
        }
        if let Some(v) = get("TESSERA_TRIGGER_QUEUE_MAX") {
            self.trigger_queue_max = num("TESSERA_TRIGGER_QUEUE_MAX", v)?;
        }
        for t in &mut self.triggers {
            let secret = get(&t.secret_env).ok_or_else(|| {
                ConfigError::Env(
                    t.secret_env.clone(),
                    format!("is not set (the secret of trigger {})", t.id),
                )
            })?;
            t.secret = SecretString(secret);
        }
        self.uploads.apply_env(&get)?;
        for c in &mut self.credentials {
            for (field, var) in &c.env {
                let value = get(var).ok_or_else(|| {
                    ConfigError::Env(
                        var.clone(),
                        format!("is not set (field {field} of credentials {})", c.id),
                    )
                })?;
                c.data
                    .insert(field.clone(), serde_json::Value::String(value));
            }
        }
        Ok(())
    }
}

/// A store URL fit for logs: credentials (`user:password@`) are masked.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
