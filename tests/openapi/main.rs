//! openapi.yaml against the real server: every route is called over HTTP, every documented
//! error status is provoked, and every response is checked against the document (status
//! declared for that route and method, content type, body against the declared schema, error
//! code among the response's `x-error-codes`). A coverage check then fails when a path or a
//! documented status was never exercised, so the document cannot silently drift from the code.
//!
//! The YAML is parsed with `yaml-rust2` (dev-dependency): maintained, pure Rust, YAML 1.2, only
//! two small dependencies with default features off; it gives a plain tree that converts to
//! `serde_json::Value` in a few lines, so no serde YAML layer is needed. Schemas are checked by
//! the small validator below, which implements exactly the keywords the document uses (and a
//! test fails if the document uses any other).

#[path = "../common/mod.rs"]
mod common;

mod checker;
mod document;
mod document_checks;
mod error_codes;
mod validator;
mod walk;
mod walk_ai;
mod walk_bots;
mod walk_continue;
mod walk_engine;
mod walk_outage;
mod walk_publishing;
mod walk_results;
mod walk_sessions;
mod walk_start;
mod walk_triggers;
mod walk_uploads;
mod walk_web;
