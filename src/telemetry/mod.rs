//! Telemetry, in one place: the tracing subscriber (a filter from config or `RUST_LOG`, text or
//! JSON lines), the per-turn span, the HTTP access log with request ids ([`access`]), and the
//! metrics registry behind `GET /metrics` ([`metrics`]). Nothing else installs subscribers or
//! names spans. It imports nothing of the crate: the layers record into it, beside the core.
//!
//! `serve` logs to standard output (what containers and process managers collect);
//! `tessera chat` to standard error, since its standard output is the conversation. Colours
//! only when that stream is a terminal: no escape codes in files, pipes or container logs.

pub mod access;
pub mod metrics;

use std::io::IsTerminal;

use tracing::Span;
use tracing_subscriber::EnvFilter;

/// Where log lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogStream {
    Stdout,
    Stderr,
}

/// Installs the global subscriber on standard output (idempotent: later calls are ignored).
pub fn init(filter: &str, format: &str) {
    init_on(filter, format, LogStream::Stdout);
}

/// Installs the global subscriber on the given stream (idempotent).
pub fn init_on(filter: &str, format: &str, stream: LogStream) {
    // actix-server's start and stop lines ("starting 2 workers", "Actix runtime found",
    // "shutting down idle worker"...) are noise at info: kept unless asked for by name.
    let filter = if filter.contains("actix") {
        filter.to_string()
    } else {
        format!("{filter},actix_server=warn")
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let ansi = format != "json"
        && match stream {
            LogStream::Stdout => std::io::stdout().is_terminal(),
            LogStream::Stderr => std::io::stderr().is_terminal(),
        };
    let _ = match (stream, format == "json") {
        (LogStream::Stdout, true) => builder.json().with_ansi(false).try_init(),
        (LogStream::Stdout, false) => builder.with_ansi(ansi).try_init(),
        (LogStream::Stderr, true) => builder
            .with_writer(std::io::stderr)
            .json()
            .with_ansi(false)
            .try_init(),
        (LogStream::Stderr, false) => builder
            .with_writer(std::io::stderr)
            .with_ansi(ansi)
            .try_init(),
    };
}

/// The span of one turn: the bot, its revision and the session; `blocks` (the number of
/// blocks the turn ran) is recorded when the turn is over ([`record_blocks`]).
pub fn turn_span(flow_id: &str, session_id: &str, revision: &str) -> Span {
    tracing::info_span!(
        "turn",
        flow_id = %flow_id,
        session_id = %session_id,
        revision = %revision,
        blocks = tracing::field::Empty,
    )
}

/// Records how many blocks a turn ran on its span.
pub fn record_blocks(span: &Span, blocks: u32) {
    span.record("blocks", blocks);
}
