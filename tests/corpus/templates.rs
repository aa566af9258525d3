//! The Typebot corpus: every bot compiles, every template walks along its scripted path, and the
//! session state stays small.

use tessera::flow;

use crate::common;
use crate::template_walks::template_walks;
use crate::walker::{STATE_LIMIT, assert_state_size, corpus_engine, flow_of, run};

#[test]
fn every_corpus_bot_parses_and_compiles() {
    let Some(dir) = common::corpus::corpus_dir() else {
        return;
    };
    let bots = common::corpus::corpus_bots(&dir);
    let templates = std::fs::read_dir(dir.join("templates"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(templates, 22, "the corpus has the 22 Typebot templates");
    assert!(bots.len() > 22, "fixtures are read too");
    for (public_id, json) in &bots {
        let text = json.to_string();
        let compiled =
            flow::load_str(&text).unwrap_or_else(|e| panic!("{public_id} does not compile: {e}"));
        assert!(!compiled.groups.is_empty(), "{public_id} has groups");
    }
}

#[tokio::test]
async fn every_template_walks_along_a_scripted_path() {
    let Some(dir) = common::corpus::corpus_dir() else {
        return;
    };
    let (engine, by_stem) = corpus_engine(&dir);
    let walks = template_walks();
    let mut walked = std::collections::BTreeSet::new();
    for w in &walks {
        let flow = flow_of(&by_stem, w.bot);
        let max = run(&engine, flow.clone(), w).await;
        eprintln!(
            "{}{}: {} turns, largest session state {max} bytes",
            w.bot,
            w.from_group
                .map(|g| format!(" (from {g})"))
                .unwrap_or_default(),
            w.steps.len()
        );
        assert_state_size(&flow, w.bot, max);
        walked.insert(w.bot);
    }
    let templates: Vec<String> = std::fs::read_dir(dir.join("templates"))
        .expect("templates dir")
        .flatten()
        .filter_map(|e| {
            e.path()
                .file_stem()
                .and_then(|s| s.to_str())
                .map(str::to_string)
        })
        .collect();
    for t in &templates {
        assert!(walked.contains(t.as_str()), "template {t} is not walked");
    }
}

#[tokio::test]
async fn session_state_stays_under_2048_bytes_even_with_a_transcript() {
    let Some(dir) = common::corpus::corpus_dir() else {
        return;
    };
    let (engine, by_stem) = corpus_engine(&dir);
    for w in template_walks() {
        let flow = flow_of(&by_stem, w.bot);
        if !tessera::engine::blocks::needs_trail(&flow) {
            continue;
        }
        let max = run(&engine, flow, &w).await;
        assert!(
            max < STATE_LIMIT,
            "{}: the session state grew to {max} bytes",
            w.bot
        );
    }
}
