//! Tessera: a block-flow chat engine that runs Typebot-format bots turn by turn.
//!
//! Crate map (data flows one way: api -> engine -> flow/blocks/session):
//! - [`flow`]: the published bot as data: serde model, validation, compilation.
//! - [`engine`]: the walker, variables, templating, conditions, the JS sandbox.
//! - [`blocks`]: block execution, one module per family (bubbles, inputs, logic, integrations).
//! - [`session`]: session and result stores (in-memory default, Redis).
//! - [`net`]: the one outbound HTTP client, with SSRF protection.
//! - [`api`]: the HTTP surfaces (chat API, publishing, results, health).
//! - [`config`], [`telemetry`], [`error`], [`ids`]: cross-cutting pieces.

pub mod api;
pub mod blocks;
pub mod bundled;
pub mod cli;
pub mod config;
pub mod engine;
pub mod error;
pub mod flow;
pub mod ids;
pub mod net;
pub mod registry;
pub mod server;
pub mod service;
pub mod session;
pub mod startup;
pub mod telemetry;
