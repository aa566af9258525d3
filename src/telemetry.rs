//! Tracing set-up, in one place: a filter from config or `RUST_LOG`, text or JSON lines, on
//! standard error (standard output is the conversation of `tessera chat`). Colours only when
//! standard error is a terminal: no escape codes in files, pipes or container logs.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber (idempotent: later calls are ignored).
pub fn init(filter: &str, format: &str) {
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
        .with_target(false)
        .with_writer(std::io::stderr);
    let _ = if format == "json" {
        builder.json().with_ansi(false).try_init()
    } else {
        builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init()
    };
}
