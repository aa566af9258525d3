//! `tessera chat FLOW.json`: a conversation in the terminal, without a server or a browser.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use serde_json::Value;

use crate::engine::richtext;
use crate::engine::{
    Engine, EngineConfig, MemoryFlows, Message, SessionState, StartParams, TextFormat, TurnOutput,
    TurnStatus,
};
use crate::flow;
use crate::net::{OutboundPolicy, SafeClient};

/// The directory linked bots are looked up in when `--flows` is not given: the bot's folder
/// (the current directory for a bare file name).
pub fn default_flows_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// `tessera chat FLOW.json`: a conversation in the terminal.
pub async fn chat(
    path: &Path,
    flows_dir: Option<&Path>,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let text = read_bot(path, flows_dir)?;
    let flows = Arc::new(MemoryFlows::new());
    if let Some(dir) = flows_dir {
        let entries = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read the flows directory {}", dir.display()))?;
        for entry in entries.flatten() {
            let p = entry.path();
            if p.extension().is_some_and(|x| x == "json")
                && let Ok(f) = std::fs::read_to_string(&p)
                    .map_err(anyhow::Error::from)
                    .and_then(|t| Ok(flow::load_str(&t, "")?))
            {
                flows.publish(f);
            }
        }
    }
    let main = flow::load_str(&text, "").map_err(|e| {
        anyhow::anyhow!(
            "{}: {e} (run `tessera validate {}` for details)",
            path.display(),
            path.display()
        )
    })?;
    flows.publish(main.clone());
    let http = SafeClient::new(OutboundPolicy::default()).ok();
    let engine = Engine::new(flows, http, EngineConfig::default());
    writeln!(
        out,
        "Chatting with \"{}\" (Ctrl-D to quit)\n",
        if main.name.is_empty() {
            &main.id
        } else {
            &main.name
        }
    )?;
    let (mut state, turn) = engine
        .start(main, StartParams::default(), crate::ids::new_id())
        .await?;
    let mut turn = turn;
    loop {
        show(&turn, out)?;
        if turn.status.is_finished() {
            writeln!(out, "\n— end of conversation —")?;
            return Ok(());
        }
        let reply = prompt(&turn, input, out)?;
        let Some(reply) = reply else {
            writeln!(out)?;
            return Ok(());
        };
        let (s, t) = engine.resume(state, reply, TextFormat::RichText).await?;
        state = s;
        turn = t;
        let _: &SessionState = &state;
    }
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

fn show(turn: &TurnOutput, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut actions = turn.actions.iter().peekable();
    let flush_actions = |after: Option<&str>,
                         actions: &mut std::iter::Peekable<std::slice::Iter<'_, Value>>,
                         out: &mut dyn Write|
     -> anyhow::Result<()> {
        while let Some(a) =
            actions.next_if(|a| a.get("lastBubbleBlockId").and_then(Value::as_str) == after)
        {
            writeln!(out, "  (client action: {})", describe_action(a))?;
        }
        Ok(())
    };
    flush_actions(None, &mut actions, out)?;
    for m in &turn.messages {
        let kind = m.get("type").and_then(Value::as_str).unwrap_or_default();
        let content = m.get("content").cloned().unwrap_or(Value::Null);
        match kind {
            "text" => {
                let nodes = content
                    .get("richText")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                for line in richtext::to_plain_text(&nodes).lines() {
                    writeln!(out, "bot> {line}")?;
                }
            }
            other => {
                let url = content.get("url").and_then(Value::as_str).unwrap_or("");
                writeln!(out, "bot> [{other}] {url}")?;
            }
        }
        flush_actions(m.get("id").and_then(Value::as_str), &mut actions, out)?;
    }
    for a in actions {
        writeln!(out, "  (client action: {})", describe_action(a))?;
    }
    for l in &turn.logs {
        writeln!(
            out,
            "  (log {}: {})",
            l.status.unwrap_or("info"),
            l.description
        )?;
    }
    Ok(())
}

fn describe_action(a: &Value) -> String {
    let kind = a.get("type").and_then(Value::as_str).unwrap_or("?");
    let payload = a.get(kind).cloned().unwrap_or(Value::Null);
    match kind {
        "redirect" => format!(
            "redirect to {}",
            payload.get("url").and_then(Value::as_str).unwrap_or("")
        ),
        "wait" => format!(
            "wait {} s",
            payload
                .get("secondsToWaitFor")
                .cloned()
                .unwrap_or(Value::Null)
        ),
        "setVariable" | "scriptToExecute" => {
            let script = payload.get("scriptToExecute").unwrap_or(&payload);
            format!(
                "run script `{}`",
                script.get("content").and_then(Value::as_str).unwrap_or("")
            )
        }
        other => format!("{other} {}", payload),
    }
}

/// Asks for the reply the current turn expects. None on end of input.
fn prompt(
    turn: &TurnOutput,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<Option<Option<Message>>> {
    let mut choices: Vec<(String, Option<String>)> = Vec::new();
    match (&turn.input, turn.status) {
        (Some(i), _) => {
            let kind = i.get("type").and_then(Value::as_str).unwrap_or("input");
            for item in i
                .get("items")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(paths) = item.get("paths").and_then(Value::as_array) {
                    let title = item.get("title").and_then(Value::as_str).unwrap_or("");
                    for p in paths {
                        let label = format!(
                            "{title} — {}",
                            p.get("text").and_then(Value::as_str).unwrap_or("")
                        );
                        choices.push((
                            label,
                            p.get("id").and_then(Value::as_str).map(str::to_string),
                        ));
                    }
                } else {
                    let label = ["content", "title", "pictureSrc"]
                        .iter()
                        .find_map(|k| item.get(*k).and_then(Value::as_str))
                        .unwrap_or("");
                    let value = item
                        .get("value")
                        .and_then(Value::as_str)
                        .or(Some(label))
                        .map(str::to_string);
                    choices.push((label.to_string(), value));
                }
            }
            for (n, (label, _)) in choices.iter().enumerate() {
                writeln!(out, "  {}. {label}", n + 1)?;
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
    if turn.status == TurnStatus::WaitingTime && line.is_empty() {
        return Ok(Some(None));
    }
    if let Ok(n) = line.trim().parse::<usize>()
        && n >= 1
        && n <= choices.len()
        && turn
            .input
            .as_ref()
            .and_then(|i| i.get("type"))
            .and_then(Value::as_str)
            != Some("rating input")
    {
        let (label, value) = &choices[n - 1];
        return Ok(Some(Some(Message::text(
            value.clone().unwrap_or_else(|| label.clone()),
        ))));
    }
    Ok(Some(Some(Message::text(line))))
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
}
