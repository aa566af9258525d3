//! The `tessera` command: the command line ([`args`]), then `serve`, `validate` and `chat`.
//! `validate` and `chat` are the only code that prints to stdout (user-facing terminal
//! output); `serve` logs to stdout, `chat` to stderr.

pub mod args;
mod chat;
mod render;
mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use self::args::{ChatArgs, Cli, Command, ServeArgs};
pub use self::chat::{chat, default_flows_dir};
pub use self::validate::validate;
use crate::config::Config;

/// Parses the process arguments and runs the subcommand. Usage errors exit with 2 (clap's
/// message), failures with 2 after `error: ...`, `validate` with 1 when a bot has errors.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Validate(a) => {
            let ok = validate(&a.paths, &mut std::io::stdout())?;
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Chat(a) => run_chat(a),
        Command::Serve(a) => serve(a),
    }
}

fn run_chat(a: ChatArgs) -> anyhow::Result<ExitCode> {
    let dir = a.flows.unwrap_or_else(|| default_flows_dir(&a.flow));
    crate::telemetry::init_on("warn", "text", crate::telemetry::LogStream::Stderr);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let stdin = std::io::stdin();
    rt.block_on(chat(
        &a.flow,
        Some(&dir),
        &mut stdin.lock(),
        &mut std::io::stdout(),
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// The configuration of `serve`: defaults, file, environment, then these flags.
pub fn serve_config(a: ServeArgs) -> anyhow::Result<Config> {
    let mut config = Config::from_process_env(a.config)?;
    if let Some(p) = a.port {
        config.port = p;
    }
    if let Some(h) = a.host {
        config.host = h;
    }
    if let Some(s) = a.store {
        config.store = s;
    }
    if a.strict {
        config.strict = true;
    }
    if let Some(f) = a.log_format {
        config.log_format = f;
    }
    if !matches!(config.log_format.as_str(), "text" | "json") {
        anyhow::bail!(
            "log_format = \"{}\": expected \"text\" or \"json\"",
            config.log_format
        );
    }
    match a.flows {
        Some(f) => config.flows = Some(f),
        None if config.flows.is_none() && std::path::Path::new("flows").is_dir() => {
            config.flows = Some(PathBuf::from("flows"))
        }
        // No flows directory at all: serve the example bots built into the binary.
        None if config.flows.is_none() => config.bundled_flows = true,
        None => {}
    }
    Ok(config)
}

fn serve(a: ServeArgs) -> anyhow::Result<ExitCode> {
    let config = serve_config(a)?;
    crate::telemetry::init(&config.log, &config.log_format);
    if config.metrics.trim() == "off" {
        // Nothing can scrape it: nothing is recorded either (one server in this process).
        crate::telemetry::metrics::stop_recording();
    }
    actix_web::rt::System::new().block_on(async move {
        let app = crate::server::Application::build(config.clone()).await?;
        // The port and store fields are what JSON log readers use (tests/redis_api.rs).
        tracing::info!(
            port = app.port(),
            store = %crate::config::redact_url(&config.store),
            "tessera listening on http://{}:{}",
            config.host,
            app.port()
        );
        app.run().await?;
        tracing::info!("tessera stopped");
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
