//! `tessera validate FLOW.json...`: every problem of every bot.

use std::io::Write;
use std::path::PathBuf;

use crate::flow::{self, Severity};

/// `tessera validate FLOW.json...`: prints every issue; Err when any file has errors.
pub fn validate(paths: &[PathBuf], out: &mut dyn Write) -> anyhow::Result<bool> {
    let mut all_ok = true;
    for p in paths {
        let text = match std::fs::read_to_string(p) {
            Ok(t) => t,
            Err(e) => {
                writeln!(out, "{}: cannot read: {e}", p.display())?;
                all_ok = false;
                continue;
            }
        };
        match flow::load_str(&text, "") {
            Ok(f) => {
                for w in &f.warnings {
                    writeln!(out, "{}: {w}", p.display())?;
                }
                writeln!(
                    out,
                    "{}: ok ({} groups, {} blocks, {} warning(s))",
                    p.display(),
                    f.groups.len(),
                    f.blocks.len(),
                    f.warnings.len()
                )?;
            }
            Err(flow::LoadError::Parse(e)) => {
                writeln!(out, "{}: error[invalid_json] {e}", p.display())?;
                all_ok = false;
            }
            Err(flow::LoadError::Compile(c)) => {
                for i in &c.issues {
                    writeln!(out, "{}: {i}", p.display())?;
                }
                let n = c
                    .issues
                    .iter()
                    .filter(|i| i.severity == Severity::Error)
                    .count();
                writeln!(out, "{}: FAILED with {n} error(s)", p.display())?;
                all_ok = false;
            }
        }
    }
    Ok(all_ok)
}
