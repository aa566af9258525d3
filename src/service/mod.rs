//! The application layer between HTTP handlers and the engine: resolves bots, checks origins,
//! runs turns, persists sessions and results, applies idempotency, shapes responses.
//! Handlers only translate HTTP to these calls and back.

mod chat;
mod idempotency;
pub mod response;
mod results;
pub mod wire;

use std::sync::Arc;

use crate::engine::Engine;
use crate::registry::Registry;
use crate::session::Store;

/// Knobs of the service layer (from [`crate::config::Config`]).
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub session_ttl_secs: u64,
    pub idempotency_ttl_secs: u64,
    pub results_retention_secs: u64,
    pub turn_lease_ms: u64,
    pub viewer_urls: Vec<String>,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            session_ttl_secs: 86_400,
            idempotency_ttl_secs: 86_400,
            results_retention_secs: 30 * 86_400,
            turn_lease_ms: 30_000,
            viewer_urls: Vec::new(),
        }
    }
}

/// Everything a request needs; built once at start-up and shared.
pub struct ChatService {
    pub engine: Arc<Engine>,
    pub registry: Arc<Registry>,
    pub store: Arc<dyn Store>,
    pub config: ServiceConfig,
}

/// Request facts that matter to the chat API.
#[derive(Debug, Clone, Default)]
pub struct RequestCtx {
    pub origin: Option<String>,
    pub iframe_referrer_origin: Option<String>,
    pub idempotency_key: Option<String>,
    /// Hash of method, path, Origin and body, to detect an Idempotency-Key reused with another
    /// request. Computed only when an Idempotency-Key was sent (empty otherwise, and unused).
    pub fingerprint: String,
}

/// Which key the bot object uses in start responses (`typebot`, or `mozbot` on the Mozbot
/// routes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BotKey {
    Typebot,
    Mozbot,
}

impl BotKey {
    pub fn as_str(self) -> &'static str {
        match self {
            BotKey::Typebot => "typebot",
            BotKey::Mozbot => "mozbot",
        }
    }
}

/// A JSON response with its status, as stored for idempotent replays.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: String,
}

/// FNV-1a of a request, for idempotency fingerprints.
pub fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in method
        .bytes()
        .chain(std::iter::once(0))
        .chain(path.bytes())
        .chain(std::iter::once(0))
        .chain(body.iter().copied())
    {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}
