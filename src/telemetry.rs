//! Tracing set-up, in one place: a filter from config or `RUST_LOG`, text or JSON lines.

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
