//! The engine API (executions of a tenant's intents, resumed by wait token) and the workflow
//! API (a user's runs with their transcripts), end to end on the real server: every route and
//! error, on the in-memory store and (where it matters: idempotency, timers, several
//! processes) on Redis.

#[path = "../common/mod.rs"]
mod common;

mod auth;
mod executions;
#[allow(dead_code)]
#[path = "../redis_api/server.rs"]
mod server;
mod support;
mod tenants;
mod variables;
mod waits;
mod workflows;
