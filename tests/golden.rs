//! Golden replay: publishes the Typebot corpus with the ids and public ids Typebot's own server
//! had, replays every recorded transcript against our server over HTTP, and compares each
//! response (status, messages, input, actions, progress, everything) to what Typebot answered.
//! Values that are random per run are normalised; deliberate differences are listed in
//! docs/COMPATIBILITY.md and encoded in `deliberate` below.

mod common;

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// Typebot's generic error codes and the specific stable codes Tessera uses instead.
fn equivalent_error_code(typebot: &str, ours: &str) -> bool {
    matches!(
        (typebot, ours),
        (
            "NOT_FOUND",
            "flow_not_found" | "session_not_found" | "session_finished" | "credentials_not_found"
        ) | (
            "BAD_REQUEST",
            "invalid_request" | "missing_credentials" | "command_not_found"
        )
    )
}

/// Replaces run-specific values by placeholders.
fn normalise(v: &mut Value, ids: &BTreeMap<String, String>) {
    match v {
        Value::Object(m) => {
            for key in ["sessionId", "resultId", "publishedAt"] {
                if let Some(x) = m.get_mut(key) {
                    *x = json!(format!("<{key}>"));
                }
            }
            if let Some(Value::Number(n)) = m.get("progress")
                && let Some(f) = n.as_f64()
            {
                // Compare progress to 1e-9.
                m.insert("progress".into(), json!(format!("{:.9}", f)));
            }
            for x in m.values_mut() {
                normalise(x, ids);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| normalise(x, ids)),
        Value::String(s) => {
            for (id, placeholder) in ids {
                if s.contains(id.as_str()) {
                    *s = s.replace(id.as_str(), placeholder);
                }
            }
        }
        _ => {}
    }
}

/// Deliberate differences, by transcript and turn, with the reason (see COMPATIBILITY.md).
fn deliberate(name: &str, turn: usize) -> Option<&'static str> {
    match (name, turn) {
        // Typebot answers "Session not found." for a finished session; we say it has ended.
        ("lead-gen--continue-after-end", 9) => {
            Some("finished sessions answer session_finished with a clear message")
        }
        _ => None,
    }
}

fn first_diff(path: &str, a: &Value, b: &Value) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => {
                        if let Some(d) = first_diff(&format!("{path}.{k}"), p, q) {
                            return Some(d);
                        }
                    }
                    (Some(p), None) => {
                        return Some(format!(
                            "{path}.{k}: missing in ours (typebot: {})",
                            trunc(p)
                        ));
                    }
                    (None, Some(q)) => {
                        return Some(format!("{path}.{k}: extra in ours ({})", trunc(q)));
                    }
                    (None, None) => {}
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Some(format!(
                    "{path}: {} items vs {} in ours: typebot {} / ours {}",
                    x.len(),
                    y.len(),
                    trunc(a),
                    trunc(b)
                ));
            }
            x.iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (p, q))| first_diff(&format!("{path}[{i}]"), p, q))
        }
        _ if a == b => None,
        _ => Some(format!("{path}: typebot {} / ours {}", trunc(a), trunc(b))),
    }
}

fn trunc(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 300 {
        format!(
            "{}…",
            &s[..s.char_indices().nth(300).map_or(s.len(), |(i, _)| i)]
        )
    } else {
        s
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_golden_transcript_replays_turn_for_turn() {
    let Some(dir) = common::corpus::corpus_dir() else {
        return;
    };
    let app = common::app::spawn_app().await;
    let mut published = Vec::new();
    for (public_id, mut bot) in common::corpus::corpus_bots(&dir) {
        let id = bot["id"].as_str().unwrap_or(&public_id).to_string();
        bot["publicId"] = json!(public_id);
        let (status, body) = app.publish(&id, &bot).await;
        assert_eq!(status, 200, "publishing {public_id}: {body}");
        published.push(public_id);
    }
    let golden = dir.join("golden");
    let mut names: Vec<String> = std::fs::read_dir(&golden)
        .expect("golden dir")
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| n.ends_with(".json"))
        .map(|n| n.trim_end_matches(".json").to_string())
        .collect();
    names.sort();
    let only = std::env::var("GOLDEN_ONLY").ok();
    let mut failures = Vec::new();
    let mut turns_checked = 0;
    for name in names {
        if only.as_deref().is_some_and(|o| !name.contains(o)) {
            continue;
        }
        let text =
            std::fs::read_to_string(golden.join(format!("{name}.json"))).expect("read golden");
        let transcript: Vec<Value> = serde_json::from_str(&text).expect("golden json");
        let mut their_session = String::new();
        let mut our_session = String::new();
        for (i, turn) in transcript.iter().enumerate() {
            let mut path = turn["request"]["path"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if path.contains("/startChat") {
                let public_id = path.split('/').nth(4).unwrap_or_default();
                if !published.iter().any(|p| p == public_id) && !name.starts_with("error--") {
                    break; // a transcript of a bot that is not in the corpus
                }
            } else if !their_session.is_empty() {
                path = path.replace(&their_session, &our_session);
            }
            let (status, mut ours) = app.post(&path, &turn["request"]["body"]).await;
            let mut theirs = turn["response"].clone();
            if i == 0 {
                their_session = theirs["sessionId"].as_str().unwrap_or_default().to_string();
                our_session = ours["sessionId"].as_str().unwrap_or_default().to_string();
            }
            let mut ids = BTreeMap::new();
            if let Some(r) = theirs["resultId"].as_str().filter(|r| !r.is_empty()) {
                ids.insert(r.to_string(), "<resultId>".to_string());
            }
            let mut our_ids = BTreeMap::new();
            if let Some(r) = ours["resultId"].as_str().filter(|r| !r.is_empty()) {
                our_ids.insert(r.to_string(), "<resultId>".to_string());
            }
            normalise(&mut theirs, &ids);
            normalise(&mut ours, &our_ids);
            turns_checked += 1;
            let expected_status = turn["status"].as_u64().unwrap_or(0) as u16;
            if let Some(reason) = deliberate(&name, i) {
                assert_eq!(
                    status, expected_status,
                    "{name} turn {i}: status ({reason})"
                );
                continue;
            }
            if status != expected_status {
                failures.push(format!(
                    "{name} turn {i}: status {status}, typebot {expected_status}: {}",
                    trunc(&ours)
                ));
                break;
            }
            if status >= 400 {
                let code_ok = equivalent_error_code(
                    theirs["code"].as_str().unwrap_or_default(),
                    ours["code"].as_str().unwrap_or_default(),
                );
                if !code_ok || theirs["message"] != ours["message"] {
                    failures.push(format!(
                        "{name} turn {i}: error {} vs typebot {}",
                        trunc(&ours),
                        trunc(&theirs)
                    ));
                }
                continue;
            }
            if let Some(d) = first_diff("", &theirs, &ours) {
                failures.push(format!(
                    "{name} turn {i} ({}): {d}",
                    trunc(&turn["request"]["body"])
                ));
                break;
            }
        }
    }
    eprintln!(
        "golden: {turns_checked} turns checked, {} transcript(s) differ",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "golden mismatches:\n{}",
        failures.join("\n")
    );
}
