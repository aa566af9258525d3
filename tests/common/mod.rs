//! Helpers shared by the test binaries, one module per kind of helper. A flat test file takes
//! them with `mod common;`, a directory test binary (`tests/NAME/main.rs`) with
//! `#[path = "../common/mod.rs"] mod common;`; each binary uses only part of them.
#![allow(dead_code)]

pub mod app;
pub mod bots;
pub mod cli;
pub mod core;
pub mod corpus;
pub mod engine;
pub mod http;
pub mod http_stub;
pub mod llm_stub;
pub mod redis_env;
pub mod redis_proxy;
pub mod redis_server;
pub mod replies;
pub mod temp;
pub mod ws;
