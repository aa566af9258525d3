//! Tessera: a block-flow chat engine that runs Typebot-format bots turn by turn.
//!
//! Crate map (imports point one way, down: api -> service -> engine -> eval -> flow; the stores
//! and the HTTP client sit beside):
//! - [`flow`]: the published bot as data: serde model, validation, compilation.
//! - [`eval`]: evaluation of bot-authored text and code: templating, conditions, the JS sandbox, rich text, variable scope.
//! - [`engine`]: the turn runner: the walker, the turn context, block execution ([`engine::blocks`]).
//! - [`service`]: the application layer: runs turns, persists sessions and results, shapes responses.
//! - [`session`]: session and result stores (in-memory default, Redis).
//! - [`net`]: the one outbound HTTP client, with SSRF protection.
//! - [`api`]: the HTTP surfaces (chat API, publishing, results, health).
//! - [`config`], [`telemetry`], [`error`], [`ids`]: cross-cutting pieces.

pub mod api;
pub mod bundled;
pub mod cli;
pub mod config;
pub mod conversation;
pub mod engine;
pub mod eval;
pub mod flow;
pub mod ids;
pub mod layers;
pub mod net;
pub mod registry;
pub mod server;
pub mod store;
pub mod telemetry;
