//! Tessera: a block-flow chat engine that runs Typebot-format bots turn by turn.
//!
//! Crate map (imports point one way, down: api -> conversation -> engine -> eval -> flow, with
//! the registry and the stores beside; `layers` holds the rule and its test; the whole picture
//! is in docs/ARCHITECTURE.md):
//! - [`flow`]: the published bot as data: serde model, validation, compilation.
//! - [`eval`]: evaluation of bot-authored text and code: templating, conditions, the JS
//!   sandbox, rich text, variable scope.
//! - [`engine`]: the turn runner: the walker, the turn context, block execution
//!   ([`engine::blocks`]).
//! - [`store`]: sessions, idempotency records, results and published flows, one trait each
//!   (in-memory default, Redis).
//! - [`registry`]: publishing and serving compiled bots.
//! - [`credentials`]: integration credentials (config-declared or stored sealed) for blocks.
//! - [`conversation`]: the conversation core every surface calls: start, resume, results.
//! - [`api`]: the HTTP surfaces (Typebot chat API, publishing, results, health) and `ApiError`.
//! - [`net`]: the one outbound HTTP client, with SSRF protection.
//! - [`cli`], [`server`]: the terminal client and `tessera validate`; wiring from a config.
//! - [`uploads`]: storage of the files visitors upload (a directory, or an S3 bucket).
//! - [`config`], [`telemetry`], [`ids`], [`bundled`]: cross-cutting pieces.

pub mod api;
pub mod bundled;
pub mod cli;
pub mod config;
pub mod conversation;
pub mod credentials;
pub mod engine;
pub mod eval;
pub mod flow;
pub mod ids;
pub mod layers;
pub mod net;
pub mod registry;
pub mod server;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod uploads;
