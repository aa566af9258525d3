//! Outbound HTTP: the one client every integration goes through, with SSRF protection.
//!
//! This module owns all outbound HTTP. HTTP-request blocks, LLM base URLs, media downloads,
//! channel callbacks and anything else that talks to the network call [`SafeClient::send`];
//! nothing else in the crate may build a `reqwest::Client` (peers' "raw fetch" bypasses were
//! a recurring source of SSRF advisories). It must not know about flows, sessions or the API:
//! callers turn [`OutboundError`] into Typebot's synthetic responses (400 for `Blocked`,
//! 408 for `Timeout`, 500 otherwise).
//!
//! What it enforces:
//! - only `http` and `https` URLs;
//! - `localhost`/`*.localhost` and cloud metadata host names are refused before any DNS query;
//! - every address a host resolves to is validated (`ip.rs` holds the blocked ranges: loopback,
//!   unspecified, RFC 1918, CGNAT, link-local, unique-local, multicast, broadcast, reserved,
//!   documentation, benchmarking, and IPv6 forms embedding any of those IPv4 addresses), and
//!   the connection goes to exactly those validated addresses (see `guard.rs` for the pinning);
//! - an allowlist ([`OutboundPolicy::allowed_hosts`]) re-allows listed hosts, except link-local
//!   and metadata addresses, which stay blocked;
//! - redirects are followed by hand (at most [`OutboundPolicy::max_redirects`] hops), each hop
//!   re-validated; credentials are stripped across origins and IMDS headers are never sent;
//! - a per-request deadline over the whole exchange and a response body size cap;
//! - no proxy from the environment, no automatic decompression;
//! - TLS through rustls with the ring provider, installed once as the process default when
//!   no provider is installed yet (reqwest's `rustls-no-provider` would otherwise panic).
//!
//! Error texts (after the caller's "Security validation failed: " prefix) match what Typebot's
//! server produced in the golden transcripts; the full mapping is documented on [`OutboundError`].

mod client;
mod guard;
mod ip;
mod redirect;
pub mod smtp;
mod stream;
#[cfg(test)]
mod tests;

use std::time::Duration;

pub use client::SafeClient;
pub use stream::{BodyStream, StreamingResponse};

/// What outbound requests may reach and how much they may cost. Built once from configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundPolicy {
    /// Hosts re-allowed despite resolving to internal addresses: host names or IP literals,
    /// exact match (case-insensitive, trailing dot ignored). Never re-allows link-local or
    /// cloud metadata addresses and names.
    pub allowed_hosts: Vec<String>,
    /// Deadline for a whole request (DNS, connect, redirects, body) when the request sets none.
    pub default_timeout: Duration,
    /// Largest response body accepted; a larger one is [`OutboundError::TooLarge`].
    pub max_body_bytes: usize,
    /// Redirect hops followed before giving up.
    pub max_redirects: usize,
}

impl Default for OutboundPolicy {
    fn default() -> Self {
        Self {
            allowed_hosts: Vec::new(),
            default_timeout: Duration::from_secs(10),
            max_body_bytes: 5 * 1024 * 1024,
            max_redirects: 5,
        }
    }
}

/// One outbound HTTP request as the engine describes it.
#[derive(Debug, Clone)]
pub struct OutboundRequest {
    /// HTTP method, case-insensitive ("GET", "post", …).
    pub method: String,
    /// Absolute http(s) URL, query string included.
    pub url: String,
    /// Request headers in order; repeated names are sent repeatedly. IMDS headers
    /// (`Metadata-Flavor`, `X-aws-ec2-metadata-token`, …) and framing headers (`Host`,
    /// `Content-Length`, …) are dropped.
    pub headers: Vec<(String, String)>,
    /// Request body, sent as-is.
    pub body: Option<Vec<u8>>,
    /// Deadline for this request; `None` uses [`OutboundPolicy::default_timeout`].
    pub timeout: Option<Duration>,
}

/// The final (non-redirect) response.
#[derive(Debug, Clone)]
pub struct OutboundResponse {
    /// HTTP status code; 4xx and 5xx are responses, not errors.
    pub status: u16,
    /// Response headers in order (non-UTF-8 bytes replaced).
    pub headers: Vec<(String, String)>,
    /// The full body, at most [`OutboundPolicy::max_body_bytes`] long.
    pub body: Vec<u8>,
}

/// Why an outbound request produced no response.
///
/// `Blocked` messages (the caller shows them as "Security validation failed: …"):
///
/// | situation | message |
/// |---|---|
/// | not an absolute URL (golden `ssrf-test.json`) | `Invalid URL format` |
/// | scheme other than http/https | `Only HTTP and HTTPS protocols are allowed.` |
/// | `localhost`, `*.localhost` (golden `webhook.json`) | `Access to localhost is not allowed for security reasons.` |
/// | 127.0.0.0/8 (golden `ssrf-test--loopback.json`) | `Access to loopback addresses (127.0.0.0/8) is not allowed for security reasons.` |
/// | other blocked ranges | `Access to <kind> addresses (<range>) is not allowed for security reasons.` |
/// | metadata names and addresses | `Access to cloud metadata endpoints is not allowed for security reasons.` |
/// | DNS failure (golden `movie-recommendation.json`) | `getaddrinfo ENOTFOUND <host>` |
///
/// IPv6 forms embedding an IPv4 address (mapped, compatible, NAT64, 6to4) report the IPv4
/// address's message.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum OutboundError {
    /// Refused by the SSRF rules, or the host did not resolve (Typebot reports both this way).
    #[error("Security validation failed: {0}")]
    Blocked(String),
    /// The deadline passed; carries the deadline in whole seconds, rounded up.
    #[error("Request timed out. ({0}s)")]
    Timeout(u64),
    /// Anything else: invalid method or header, connection failure, too many redirects, I/O.
    #[error("{0}")]
    Transport(String),
    /// The response body exceeded the cap (carries the cap).
    #[error("response body larger than {0} bytes")]
    TooLarge(usize),
}
