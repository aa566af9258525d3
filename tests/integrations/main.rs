//! Integration blocks against local stand-ins that speak the real protocols: the credentials
//! API, AI blocks (OpenAI-compatible and Anthropic, whole and streamed), email over SMTP
//! (aiosmtpd, when Python can provide it), and the secrets never leaving in clear.

#[path = "../common/mod.rs"]
mod common;

mod ai_blocks;
mod credentials_api;
mod email;
mod perf;
mod secrets;
mod setup;
mod streaming;
mod templates;
mod uploads;
mod usage;
mod webhooks;
