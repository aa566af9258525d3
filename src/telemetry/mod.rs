//! Telemetry, in one place: the tracing subscriber (a filter from config or `RUST_LOG`, text or
//! JSON lines), the per-turn span, and the HTTP access log with request ids ([`access`]).
//! Nothing else installs subscribers or names spans.

pub mod access;

use tracing::Span;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber (idempotent: later calls are ignored).
pub fn init(filter: &str, format: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let _ = if format == "json" {
        builder.json().with_ansi(false).try_init()
    } else {
        builder.try_init()
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
