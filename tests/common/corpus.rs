//! The Typebot corpus (`TESSERA_TYPEBOT_CORPUS`): where it is, and its bots with the public ids
//! the golden transcripts use.

use std::path::PathBuf;

use serde_json::Value;

/// The Typebot corpus directory (`TESSERA_TYPEBOT_CORPUS`). In CI it must be set.
pub fn corpus_dir() -> Option<PathBuf> {
    match std::env::var("TESSERA_TYPEBOT_CORPUS") {
        Ok(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => {
            assert!(
                std::env::var("CI").is_err(),
                "TESSERA_TYPEBOT_CORPUS must be set in CI"
            );
            eprintln!("TESSERA_TYPEBOT_CORPUS is not set: skipping corpus test");
            None
        }
    }
}

/// Every bot of the corpus with the public id the golden transcripts use (file stem;
/// fixtures/linkTypebots/N.json -> link-N).
pub fn corpus_bots(dir: &std::path::Path) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for sub in ["templates", "fixtures", "fixtures/linkTypebots"] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        let mut paths: Vec<_> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        for p in paths {
            let stem = p
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            let public_id = if sub.ends_with("linkTypebots") {
                format!("link-{stem}")
            } else {
                stem
            };
            let json: Value =
                serde_json::from_str(&std::fs::read_to_string(&p).expect("read")).expect("json");
            out.push((public_id, json));
        }
    }
    out
}
