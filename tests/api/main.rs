//! The HTTP API, end to end: the real server on port 0, small bots published inline, every
//! request flag of the chat API and every error the routes document (see openapi.yaml).

#[path = "../common/mod.rs"]
mod common;

mod client_logs;
mod concurrency;
mod continue_chat;
mod errors;
mod idempotency;
mod identity;
mod limits;
mod origins;
mod preview;
mod publishing;
mod results;
mod routes;
mod slow_clients;
mod start_chat;
mod start_options;
mod support;
mod text_format;
mod web;
