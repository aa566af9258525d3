//! The `tessera` command: parse arguments, load configuration, set up telemetry, run the
//! chosen subcommand. Everything else lives in the library.

use std::path::PathBuf;
use std::process::ExitCode;

use tessera::config::Config;

/// jemalloc instead of glibc's malloc: a third of the worker's time went to glibc's allocator
/// under load; with jemalloc the in-memory store serves ~28% more turns with a lower p99
/// (docs/PERFORMANCE.md). mimalloc was faster still but had a 5-10 ms p99 tail.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const USAGE: &str = "\
tessera — run Typebot-format bots

USAGE:
  tessera serve [--port N] [--host ADDR] [--flows DIR] [--store URL] [--config FILE]
  tessera validate FLOW.json...
  tessera chat FLOW.json [--flows DIR]
  tessera --help | --version

serve     HTTP chat API (Typebot-compatible). Defaults: port 8080, in-memory store,
          the bots in ./flows. Every setting: see the README (TESSERA_* variables).
validate  Checks bots and prints every problem; exits 1 when one has errors.
chat      Talks to a bot in the terminal (--flows: where linked bots live).";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn take(args: &mut Vec<String>, flag: &str) -> anyhow::Result<Option<String>> {
    if let Some(i) = args.iter().position(|a| a == flag) {
        if i + 1 >= args.len() {
            anyhow::bail!("{flag} needs a value");
        }
        let v = args.remove(i + 1);
        args.remove(i);
        return Ok(Some(v));
    }
    Ok(None)
}

fn run(mut args: Vec<String>) -> anyhow::Result<ExitCode> {
    let Some(cmd) = (!args.is_empty()).then(|| args.remove(0)) else {
        println!("{USAGE}");
        return Ok(ExitCode::from(2));
    };
    match cmd.as_str() {
        "--help" | "-h" | "help" => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        "--version" | "-V" => {
            println!("tessera {}", env!("CARGO_PKG_VERSION"));
            Ok(ExitCode::SUCCESS)
        }
        "validate" => {
            if args.is_empty() {
                anyhow::bail!("validate needs at least one FLOW.json");
            }
            let paths: Vec<PathBuf> = args.iter().map(PathBuf::from).collect();
            let ok = tessera::cli::validate(&paths, &mut std::io::stdout())?;
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        "chat" => {
            let flows = take(&mut args, "--flows")?.map(PathBuf::from);
            let [path] = args.as_slice() else {
                anyhow::bail!("chat needs exactly one FLOW.json")
            };
            let path = PathBuf::from(path);
            let dir = flows.or_else(|| path.parent().map(PathBuf::from));
            tessera::telemetry::init("warn", "text");
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let stdin = std::io::stdin();
            rt.block_on(tessera::cli::chat(
                &path,
                dir.as_deref(),
                &mut stdin.lock(),
                &mut std::io::stdout(),
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        "serve" => {
            let config_file = take(&mut args, "--config")?.map(PathBuf::from);
            let port = take(&mut args, "--port")?;
            let host = take(&mut args, "--host")?;
            let flows = take(&mut args, "--flows")?;
            let store = take(&mut args, "--store")?;
            if let Some(extra) = args.first() {
                anyhow::bail!("unknown argument {extra} (see --help)");
            }
            let mut config = Config::from_process_env(config_file)?;
            if let Some(p) = port {
                config.port = p
                    .parse()
                    .map_err(|_| anyhow::anyhow!("--port must be a number"))?;
            }
            if let Some(h) = host {
                config.host = h;
            }
            if let Some(s) = store {
                config.store = s;
            }
            match flows {
                Some(f) => config.flows = Some(PathBuf::from(f)),
                None if config.flows.is_none() && std::path::Path::new("flows").is_dir() => {
                    config.flows = Some(PathBuf::from("flows"))
                }
                // No flows directory at all: serve the example bots built into the binary.
                None if config.flows.is_none() => config.bundled_flows = true,
                None => {}
            }
            tessera::telemetry::init(&config.log, &config.log_format);
            actix_web::rt::System::new().block_on(async move {
                let app = tessera::server::Application::build(config.clone()).await?;
                tracing::info!(port = app.port(), store = %tessera::config::redact_url(&config.store), "tessera listening on http://{}:{}", config.host, app.port());
                app.run().await?;
                anyhow::Ok(())
            })?;
            Ok(ExitCode::SUCCESS)
        }
        other => anyhow::bail!("unknown command {other} (see --help)"),
    }
}
