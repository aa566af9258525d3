//! `tessera validate FLOW.json|DIR...`: every problem of every bot, each naming the group and
//! block it is about (titles beside ids), then a summary line.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::flow::{self, Issue, Location, Severity};

/// Checks every file (a directory: every `*.json` in it) and prints what it finds. False when
/// any bot has errors or cannot be read.
pub fn validate(paths: &[PathBuf], out: &mut dyn Write) -> anyhow::Result<bool> {
    let mut tally = Tally::default();
    for p in paths {
        if p.is_dir() {
            let files = json_files(p);
            if files.is_empty() {
                writeln!(out, "{}: no *.json file in this directory", p.display())?;
                tally.unreadable += 1;
            }
            for f in files {
                check_file(&f, out, &mut tally)?;
            }
        } else {
            check_file(p, out, &mut tally)?;
        }
    }
    writeln!(out, "{}", tally.summary())?;
    Ok(tally.with_errors == 0 && tally.unreadable == 0)
}

/// The `*.json` files of a directory, sorted (unreadable entries are skipped).
fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

#[derive(Default)]
struct Tally {
    ok: usize,
    with_errors: usize,
    unreadable: usize,
    errors: usize,
    warnings: usize,
}

impl Tally {
    fn summary(&self) -> String {
        let checked = self.ok + self.with_errors;
        let mut s = format!(
            "{} checked: {} ok, {} with errors ({}, {})",
            plural(checked, "bot"),
            self.ok,
            self.with_errors,
            plural(self.errors, "error"),
            plural(self.warnings, "warning"),
        );
        if self.unreadable > 0 {
            s.push_str(&format!(
                "; {} could not be read",
                plural(self.unreadable, "path")
            ));
        }
        s
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn check_file(p: &Path, out: &mut dyn Write, tally: &mut Tally) -> anyhow::Result<()> {
    let shown = p.display();
    let text = match std::fs::read_to_string(p) {
        Ok(t) => t,
        Err(e) => {
            writeln!(out, "{shown}: cannot read: {e}")?;
            tally.unreadable += 1;
            return Ok(());
        }
    };
    let names = Names::of(&text);
    match flow::load_str(&text) {
        Ok(f) => {
            for w in &f.warnings {
                writeln!(out, "{shown}: {}", names.describe(w))?;
            }
            writeln!(
                out,
                "{shown}: ok ({} groups, {} blocks, {} warning(s))",
                f.groups.len(),
                f.blocks.len(),
                f.warnings.len()
            )?;
            tally.ok += 1;
            tally.warnings += f.warnings.len();
        }
        Err(flow::LoadError::Parse(e)) => {
            let code = if flow::check_export_text(&text).is_err() {
                "not_a_bot"
            } else {
                "invalid_json"
            };
            writeln!(out, "{shown}: error[{code}] {e}")?;
            writeln!(out, "{shown}: FAILED with 1 error(s)")?;
            tally.with_errors += 1;
            tally.errors += 1;
        }
        Err(flow::LoadError::Compile(c)) => {
            for i in &c.issues {
                writeln!(out, "{shown}: {}", names.describe(i))?;
            }
            let errors = c.errors().count();
            let warnings = c.issues.len() - errors;
            writeln!(
                out,
                "{shown}: FAILED with {errors} error(s), {warnings} warning(s)"
            )?;
            tally.with_errors += 1;
            tally.errors += errors;
            tally.warnings += warnings;
        }
    }
    Ok(())
}

/// Titles and names of a bot's parts, by id, read from its JSON (whatever compiles or not).
#[derive(Default)]
struct Names {
    groups: HashMap<String, String>,
    /// Block id -> "text input #2 in group \"Title\"".
    blocks: HashMap<String, String>,
    variables: HashMap<String, String>,
    events: HashMap<String, String>,
    /// Edge id -> where it starts, described.
    edges: HashMap<String, String>,
}

impl Names {
    fn of(text: &str) -> Names {
        let mut n = Names::default();
        let Ok(def) = flow::parse_flow(text) else {
            return n;
        };
        for g in &def.groups {
            let title = if g.title.is_empty() {
                "untitled group".to_string()
            } else {
                format!("group \"{}\"", g.title)
            };
            n.groups
                .entry(g.id.clone())
                .or_insert_with(|| title.clone());
            for (i, b) in g.blocks.iter().enumerate() {
                n.blocks
                    .entry(b.id.clone())
                    .or_insert_with(|| format!("{} #{} in {title}", b.block_type, i + 1));
            }
        }
        for v in &def.variables {
            n.variables
                .entry(v.id.clone())
                .or_insert_with(|| format!("\"{}\"", v.name));
        }
        for e in &def.events {
            n.events
                .entry(e.id.clone())
                .or_insert_with(|| format!("{} event", e.event_type));
        }
        for e in &def.edges {
            let Some(id) = e.get("id").and_then(Value::as_str) else {
                continue;
            };
            let from = e.get("from").unwrap_or(&Value::Null);
            let get = |k: &str| from.get(k).and_then(Value::as_str);
            let desc = if let Some(b) = get("blockId") {
                n.blocks.get(b).map(|d| format!("from the {d}"))
            } else if let Some(ev) = get("eventId") {
                n.events.get(ev).map(|d| format!("from the {d}"))
            } else {
                None
            };
            if let Some(d) = desc {
                n.edges.entry(id.to_string()).or_insert(d);
            }
        }
        n
    }

    /// The issue as `Issue`'s Display prints it, with the titles of what it is about beside
    /// the id: `error[unknown_group] edge e1 (from the text input #2 in group "One"): ...`.
    fn describe(&self, i: &Issue) -> String {
        let sev = match i.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let name = match &i.location {
            Location::Flow => None,
            Location::Group(id) => self.groups.get(id),
            Location::Block(id) => self.blocks.get(id),
            Location::Edge(id) => self.edges.get(id),
            Location::Event(id) => self.events.get(id),
            Location::Variable(id) => self.variables.get(id),
        };
        let name = name
            .filter(|n| !i.message.contains(n.as_str()))
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        format!("{sev}[{}] {}{name}: {}", i.code, i.location, i.message)
    }
}
