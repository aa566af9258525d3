//! The command line: `clap` derive definitions of every subcommand and flag (what `--help`
//! prints). Flags keep the meaning documented in the README's Commands table; every server
//! setting also has a `TESSERA_*` variable and a config-file key (src/config.rs).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "tessera",
    version,
    about = "tessera: run Typebot-format bots",
    long_about = "tessera: run bots exported from Typebot behind Typebot's chat API, check them, or talk to them in the terminal.",
    arg_required_else_help = true,
    after_help = "Every server setting: see the README (Configuration: TOML keys and TESSERA_* variables)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The HTTP chat API (Typebot-compatible). Defaults: port 8080, in-memory store, the bots
    /// in ./flows (else the examples built into the binary).
    Serve(ServeArgs),
    /// Checks bots and prints every problem; exits 1 when one has errors.
    Validate(ValidateArgs),
    /// Talks to a bot in the terminal: bubbles printed, inputs prompted, choices numbered.
    Chat(ChatArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port to listen on (0: any free port) [env: TESSERA_PORT, default 8080]
    #[arg(long, value_name = "N")]
    pub port: Option<u16>,
    /// Address to bind [env: TESSERA_HOST, default 0.0.0.0]
    #[arg(long, value_name = "ADDR")]
    pub host: Option<String>,
    /// Directory whose *.json bots are published at start-up [env: TESSERA_FLOWS; default
    /// ./flows if it exists, else the bundled examples]
    #[arg(long, value_name = "DIR")]
    pub flows: Option<PathBuf>,
    /// Session store: memory, redis://host:port/db or redis+cluster://h1:p1,h2:p2
    /// [env: TESSERA_STORE, default memory]
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
    /// TOML configuration file [env: TESSERA_CONFIG]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Refuse to start when a bot of the flows directory has problems (by default bad files
    /// are logged and left out) [env: TESSERA_STRICT]
    #[arg(long)]
    pub strict: bool,
    /// Log lines as text, or as one JSON object per line carrying the request's span fields
    /// (request_id, and flow_id/session_id in turns) [env: TESSERA_LOG_FORMAT, default text]
    #[arg(long, value_name = "FORMAT", value_parser = ["text", "json"])]
    pub log_format: Option<String>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Bot files, or directories (every *.json in them is checked)
    #[arg(required = true, value_name = "FLOW.json|DIR")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ChatArgs {
    /// The bot file to talk to
    #[arg(value_name = "FLOW.json")]
    pub flow: PathBuf,
    /// Where linked bots are looked up (default: the bot's folder)
    #[arg(long, value_name = "DIR")]
    pub flows: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
