//! What `tessera chat` prints of a turn: text bubbles as Markdown (emphasis stays visible,
//! links as `text (url)`), media with their full URL, client-side actions as notes, logs; and
//! the hint line of an input (placeholder, button labels).

use std::io::Write;

use serde_json::{Map, Value};

use crate::engine::TurnOutput;
use crate::eval::richtext;

/// Prints the messages of a turn, each client action after the bubble it follows, then logs.
pub fn show(turn: &TurnOutput, out: &mut dyn Write) -> anyhow::Result<()> {
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
        let content = m.get("content").unwrap_or(&Value::Null);
        match kind {
            "text" => {
                for line in text_lines(content) {
                    writeln!(out, "bot> {line}")?;
                }
            }
            other => writeln!(out, "bot> [{other}] {}", media_url(other, content))?,
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

/// A text bubble as terminal lines: Markdown, links written `text (url)`.
fn text_lines(content: &Value) -> Vec<String> {
    if let Some(md) = content.get("markdown").and_then(Value::as_str) {
        return md.lines().map(str::to_string).collect();
    }
    let nodes = content
        .get("richText")
        .and_then(Value::as_array)
        .map(|n| n.iter().map(unlink).collect::<Vec<_>>())
        .unwrap_or_default();
    richtext::to_markdown(&nodes)
        .lines()
        .map(str::to_string)
        .collect()
}

/// A rich-text tree with every link replaced by its text followed by ` (url)` (the URL alone
/// when it is the text).
fn unlink(node: &Value) -> Value {
    let Some(obj) = node.as_object() else {
        return node.clone();
    };
    let kids: Vec<Value> = obj
        .get("children")
        .and_then(Value::as_array)
        .map(|k| k.iter().map(unlink).collect())
        .unwrap_or_default();
    if obj.get("type").and_then(Value::as_str) == Some("a") {
        let url = obj.get("url").and_then(Value::as_str).unwrap_or_default();
        let text: String = kids
            .iter()
            .filter_map(|k| k.get("text").and_then(Value::as_str))
            .collect();
        let mut children = kids;
        if text.trim() != url && !url.is_empty() {
            children.push(serde_json::json!({ "text": format!(" ({url})") }));
        }
        // A link without a URL renders as its children.
        let mut link = Map::new();
        link.insert("type".into(), Value::String("a".into()));
        link.insert("children".into(), Value::Array(children));
        return Value::Object(link);
    }
    let mut copy = obj.clone();
    if obj.contains_key("children") {
        copy.insert("children".into(), Value::Array(kids));
    }
    Value::Object(copy)
}

/// The full URL of a media bubble. Provider videos get their canonical address back (the
/// engine keeps Typebot's short form); `data:` URIs, which can be long, are summarised.
fn media_url(kind: &str, content: &Value) -> String {
    let get = |k: &str| content.get(k).and_then(Value::as_str).unwrap_or_default();
    let url = get("url");
    let id = get("id");
    let full = match (kind, get("type")) {
        ("video", "youtube") if !id.is_empty() => format!("https://www.youtube.com/watch?v={id}"),
        ("video", "vimeo") if !id.is_empty() => format!("https://vimeo.com/{id}"),
        ("video", "gumlet") if !id.is_empty() => format!("https://gumlet.tv/watch/{id}"),
        _ if url.is_empty() || url.contains(':') => url.to_string(),
        // "tiktok.com/@a/video/1": a host without a scheme.
        _ => format!("https://{url}"),
    };
    match full.strip_prefix("data:") {
        Some(rest) if full.len() > 120 => {
            let media_type = rest.split([';', ',']).next().unwrap_or_default();
            format!(
                "data:{media_type},… ({} bytes embedded in the bot)",
                full.len()
            )
        }
        _ => full,
    }
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

/// The labels an input shows (placeholder, buttons), as one hint line, or None.
pub fn input_hint(input: &Value, optional: bool) -> Option<String> {
    let options = input.get("options").unwrap_or(&Value::Null);
    let labels = options.get("labels").unwrap_or(&Value::Null);
    let label = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string)
    };
    let mut parts = Vec::new();
    for (key, name) in [
        ("placeholder", "placeholder"),
        ("from", "from"),
        ("to", "to"),
        ("left", "left"),
        ("right", "right"),
    ] {
        if let Some(l) = label(labels, key) {
            parts.push(format!("{name} \"{l}\""));
        }
    }
    if let Some(l) = label(options, "searchInputPlaceholder") {
        parts.push(format!("search \"{l}\""));
    }
    if let Some(l) = label(labels, "button").or_else(|| label(options, "buttonLabel")) {
        parts.push(format!("button \"{l}\""));
    }
    if optional {
        let skip = label(labels, "skip").unwrap_or_else(|| "Skip".into());
        parts.push(format!("an empty line: \"{skip}\""));
    }
    (!parts.is_empty()).then(|| format!("  ({})", parts.join(", ")))
}
