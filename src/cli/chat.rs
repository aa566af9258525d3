//! `tessera chat FLOW.json`: a conversation in the terminal, without a server or a browser.
//! Bubbles are printed, inputs prompted (with their placeholder and button labels), choices
//! numbered: type the number or the text, in any case. An empty line skips an optional input.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use serde_json::Value;

use super::render;
use crate::conversation::{Caller, ConversationConfig, Conversations, FlowChoice, StartOptions};
use crate::engine::{Engine, EngineConfig, Message, TextFormat, TurnOutput, TurnStatus};
use crate::flow;
use crate::net::{OutboundPolicy, SafeClient};
use crate::registry::Registry;
use crate::store::Stores;

/// The directory linked bots are looked up in when `--flows` is not given: the bot's folder
/// (the current directory for a bare file name).
pub fn default_flows_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Runs a conversation with the bot of `path`; linked bots are read from `flows_dir`. The
/// conversation goes through the conversation core, on the in-memory store, like any surface.
pub async fn chat(
    path: &Path,
    flows_dir: Option<&Path>,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let text = read_bot(path, flows_dir)?;
    // Compiled first on its own, so a broken bot is reported as `validate` would.
    let main = flow::load_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e} (run `tessera validate {}` for details)",
            path.display(),
            path.display()
        )
    })?;
    let core = conversations();
    let json: Value = serde_json::from_str(&text)?;
    let published = core
        .registry
        .publish(&json, None, path.file_stem().and_then(|s| s.to_str()))
        .await
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    if let Some(dir) = flows_dir {
        publish_linked(&core, dir, &published.id).await?;
    }
    let title = if main.name.is_empty() {
        &main.id
    } else {
        &main.name
    };
    writeln!(out, "Chatting with \"{title}\" (Ctrl-D to quit)\n")?;
    let caller = Caller::of(crate::conversation::Surface::Cli);
    let choice = FlowChoice::Published(published.public_id);
    let started = core.start(choice, StartOptions::default(), &caller).await?;
    let session = started.session_id;
    let mut turn = started.output;
    loop {
        render::show(&turn, out)?;
        if turn.status.is_finished() {
            writeln!(out, "\n— end of conversation —")?;
            return Ok(());
        }
        let Some(reply) = prompt(&turn, input, out)? else {
            writeln!(out)?;
            return Ok(());
        };
        turn = core
            .resume(&session, reply, TextFormat::RichText, &caller)
            .await?
            .output;
    }
}

/// The conversation core on the in-memory store, with the default limits.
fn conversations() -> Conversations {
    let stores = Stores::memory();
    let registry = Arc::new(Registry::new(stores.flows.clone()));
    let http = SafeClient::new(OutboundPolicy::default()).ok();
    Conversations {
        engine: Arc::new(Engine::new(registry.clone(), http, EngineConfig::default())),
        registry,
        stores,
        config: ConversationConfig::default(),
        claims: Default::default(),
    }
}

/// Publishes the other bots of `dir`, for typebot links (files that are not bots, or whose
/// public id another bot has, are left out).
async fn publish_linked(core: &Conversations, dir: &Path, main_id: &str) -> anyhow::Result<()> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the flows directory {}", dir.display()))?;
    for entry in entries.flatten() {
        let p = entry.path();
        let stem = p.file_stem().and_then(|s| s.to_str());
        if p.extension().is_some_and(|x| x == "json")
            && let Ok(t) = std::fs::read_to_string(&p)
            && let Ok(json) = serde_json::from_str::<Value>(&t)
            && json.get("id").and_then(Value::as_str) != Some(main_id)
        {
            let _ = core.registry.publish(&json, None, stem).await;
        }
    }
    Ok(())
}

/// The bot's JSON text. A missing file is named; when the name looks like a public id
/// (`survey`), the path of the bot that has it is suggested.
fn read_bot(path: &Path, flows_dir: Option<&Path>) -> anyhow::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut msg = format!("{}: no such file", path.display());
            if let Some(found) = find_by_public_id(path, flows_dir) {
                msg.push_str(&format!(
                    "; {} is a bot's public id: run `tessera chat {}`",
                    path.display(),
                    found.display()
                ));
            } else if path.extension().is_none() {
                msg.push_str(" (chat takes the path of a bot's JSON file, e.g. flows/survey.json)");
            }
            anyhow::bail!(msg)
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// A file whose bot has `name` as public id, id or file stem, in the flows directory, the
/// current one or `./flows`.
fn find_by_public_id(name: &Path, flows_dir: Option<&Path>) -> Option<PathBuf> {
    let name = name.to_str()?;
    if name.contains(['/', '\\']) {
        return None;
    }
    let name = name.strip_suffix(".json").unwrap_or(name);
    let dirs = [flows_dir, Some(Path::new(".")), Some(Path::new("flows"))];
    for dir in dirs.into_iter().flatten() {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for p in files {
            let stem = p.file_stem().and_then(|s| s.to_str()) == Some(name);
            let ids = || -> Option<bool> {
                let json: Value = serde_json::from_str(&std::fs::read_to_string(&p).ok()?).ok()?;
                let is = |k: &str| json.get(k).and_then(Value::as_str) == Some(name);
                Some(is("publicId") || is("id"))
            };
            if stem || ids() == Some(true) {
                return Some(p);
            }
        }
    }
    None
}

/// Whether the input may be left empty (an optional file upload: its Skip button).
fn is_optional(input: &Value) -> bool {
    input.get("type").and_then(Value::as_str) == Some("file input")
        && input
            .pointer("/options/isRequired")
            .and_then(Value::as_bool)
            == Some(false)
}

/// A shown choice: its label and what is sent when it is picked.
struct Choice {
    label: String,
    value: String,
}

fn choices_of(input: &Value) -> Vec<Choice> {
    let mut choices = Vec::new();
    let str_of = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    for item in input
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(paths) = item.get("paths").and_then(Value::as_array) {
            let title = str_of(item, "title").unwrap_or_default();
            for p in paths {
                let text = str_of(p, "text").unwrap_or_default();
                choices.push(Choice {
                    label: format!("{title} — {text}"),
                    value: str_of(p, "id").unwrap_or(text),
                });
            }
        } else {
            let label = ["content", "title", "pictureSrc"]
                .iter()
                .find_map(|k| str_of(item, k))
                .unwrap_or_default();
            let value = str_of(item, "value")
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| label.clone());
            choices.push(Choice { label, value });
        }
    }
    choices
}

/// Asks for the reply the current turn expects. None on end of input; Some(None) for no
/// message (a pause, or a skipped optional input).
fn prompt(
    turn: &TurnOutput,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<Option<Option<Message>>> {
    let mut choices = Vec::new();
    let mut optional = false;
    let mut kind = "";
    match (&turn.input, turn.status) {
        (Some(i), _) => {
            kind = i.get("type").and_then(Value::as_str).unwrap_or("input");
            choices = choices_of(i);
            optional = is_optional(i);
            for (n, c) in choices.iter().enumerate() {
                writeln!(out, "  {}. {}", n + 1, c.label)?;
            }
            if let Some(hint) = render::input_hint(i, optional) {
                writeln!(out, "{hint}")?;
            }
            write!(out, "[{kind}] you> ")?;
        }
        (None, TurnStatus::WaitingTime) => write!(out, "[paused: press Enter to continue] ")?,
        (None, _) => write!(
            out,
            "[the client would reply to the action above; type its result] you> "
        )?,
    }
    out.flush()?;
    let mut line = String::new();
    if input.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let line = line.trim_end_matches(['\n', '\r']).to_string();
    if line.trim().is_empty() && (turn.status == TurnStatus::WaitingTime || optional) {
        return Ok(Some(None));
    }
    Ok(Some(Some(Message::text(pick(&line, &choices, kind)))))
}

/// The text sent for a typed line: a choice's value for its number or, in any case, its
/// label (the HTTP API keeps Typebot's exact, case-sensitive match); the line itself otherwise.
fn pick(line: &str, choices: &[Choice], kind: &str) -> String {
    let typed = line.trim();
    if kind == "rating input" || choices.is_empty() {
        return line.to_string();
    }
    if let Ok(n) = typed.parse::<usize>()
        && (1..=choices.len()).contains(&n)
    {
        return choices[n - 1].value.clone();
    }
    let exact = choices
        .iter()
        .any(|c| c.label.trim() == typed || c.value.trim() == typed);
    if !exact
        && let Some(c) = choices.iter().find(|c| {
            c.label.trim().to_lowercase() == typed.to_lowercase()
                || c.value.trim().to_lowercase() == typed.to_lowercase()
        })
    {
        return c.value.clone();
    }
    line.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_file_name_looks_for_linked_bots_in_the_current_directory() {
        assert_eq!(default_flows_dir(Path::new("survey.json")), Path::new("."));
        assert_eq!(
            default_flows_dir(Path::new("flows/survey.json")),
            Path::new("flows")
        );
    }

    #[test]
    fn choices_are_picked_by_number_or_by_label_in_any_case() {
        let c = |label: &str, value: &str| Choice {
            label: label.into(),
            value: value.into(),
        };
        let choices = [c("Book a demo", "Book a demo"), c("Pricing", "price")];
        assert_eq!(pick("2", &choices, "choice input"), "price");
        assert_eq!(pick("book A DEMO", &choices, "choice input"), "Book a demo");
        assert_eq!(pick("pricing", &choices, "choice input"), "price");
        assert_eq!(
            pick("something else", &choices, "choice input"),
            "something else"
        );
        assert_eq!(pick("2", &choices, "rating input"), "2");
    }
}
