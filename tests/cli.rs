//! The `tessera` binary as a user runs it: `validate` on good, broken and missing files, and a
//! scripted `chat` with the README's demo bot fed through standard input.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn tessera() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tessera"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A file in the temp dir, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, content: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "tessera-cli-{}-{}-{name}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        std::fs::write(&path, content).expect("write temp file");
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs `tessera chat FLOW` with `input` on stdin.
fn chat(flow: &str, input: &str) -> Output {
    let mut child = tessera()
        .args(["chat", flow])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tessera chat");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("tessera chat output")
}

/// Asserts that `needles` appear in `text` in this order.
fn assert_in_order(text: &str, needles: &[&str]) {
    let mut from = 0;
    for n in needles {
        match text[from..].find(n) {
            Some(at) => from += at + n.len(),
            None => panic!("{n:?} not found (in order) in:\n{text}"),
        }
    }
}

#[test]
fn validate_accepts_the_demo_bot_and_says_ok() {
    let out = tessera()
        .args(["validate", "flows/lead-capture.json"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("flows/lead-capture.json: ok ("),
        "{}",
        stdout(&out)
    );
}

#[test]
fn validate_accepts_every_bot_of_the_flows_folder_without_warnings() {
    let mut paths: Vec<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("flows"))
            .expect("flows/")
            .flatten()
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|n| n.ends_with(".json"))
            .map(|n| format!("flows/{n}"))
            .collect();
    paths.sort();
    assert!(paths.len() >= 9, "the example bots are there: {paths:?}");
    let out = tessera()
        .arg("validate")
        .args(&paths)
        .output()
        .expect("run");
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    for p in &paths {
        assert!(
            text.contains(&format!("{p}: ok (")) && text.contains("0 warning(s)"),
            "{p}: {text}"
        );
    }
    assert!(!text.contains("warning["), "{text}");
}

#[test]
fn validate_reports_a_dangling_edge_and_a_duplicate_block_id_and_exits_1() {
    let bot = serde_json::json!({
        "version": "6.1",
        "id": "broken-bot",
        "events": [{"id": "ev-start", "type": "start", "outgoingEdgeId": "edge-start"}],
        "groups": [{
            "id": "group-one",
            "title": "One",
            "blocks": [
                {"id": "block-twice", "type": "text",
                 "content": {"richText": [{"type": "p", "children": [{"text": "Hi"}]}]}},
                {"id": "block-twice", "type": "text input", "outgoingEdgeId": "edge-dangling",
                 "options": {}}
            ]
        }],
        "edges": [
            {"id": "edge-start", "from": {"eventId": "ev-start"}, "to": {"groupId": "group-one"}},
            {"id": "edge-dangling", "from": {"blockId": "block-twice"},
             "to": {"groupId": "group-nowhere"}}
        ],
        "variables": []
    });
    let file = TempFile::new("broken.json", &bot.to_string());
    let out = tessera()
        .arg("validate")
        .arg(&file.0)
        .output()
        .expect("run");
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("error[unknown_group] edge edge-dangling") && text.contains("group-nowhere"),
        "{text}"
    );
    assert!(
        text.contains("error[duplicate_id] block block-twice"),
        "{text}"
    );
    assert!(text.contains("FAILED with 2 error(s)"), "{text}");
}

#[test]
fn validate_reports_a_missing_file_and_exits_1() {
    let out = tessera()
        .args(["validate", "flows/there-is-no-such-bot.json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("flows/there-is-no-such-bot.json: cannot read"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn validate_without_a_file_is_a_usage_error() {
    let out = tessera().arg("validate").output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("required arguments were not provided")
            && stderr(&out).contains("<FLOW.json|DIR>..."),
        "{}",
        stderr(&out)
    );
}

#[test]
fn chat_runs_the_demo_bot_with_numbered_choices_and_an_email_retry() {
    // 1 picks "Book a demo"; the first email is invalid; 3 picks "51 to 500".
    let out = chat(
        "flows/lead-capture.json",
        "1\nAda\nnot-an-email\nada@example.com\n3\n",
    );
    let text = stdout(&out);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    assert_in_order(
        &text,
        &[
            "Chatting with \"Lead capture\"",
            "bot> Hi there 👋 I'm **Tessa**, the assistant of _Acme Analytics_.",
            "bot> What brings you here today?",
            "  1. Book a demo\n  2. See pricing\n  3. Just looking around\n",
            "[choice input] you> ",
            "bot> Great choice! What's your first name?",
            "  (placeholder \"Your first name\")\n[text input] you> ",
            "bot> Nice to meet you, **Ada**! 🙌",
            "bot> What's the best email to reach you at?",
            "[email input] you> ",
            "bot> This email doesn't seem to be valid. Can you type it again?",
            "[email input] you> ",
            "bot> How many people work at your company?",
            "  3. 51 to 500",
            "bot> Perfect, Ada. A product specialist will email you at **ada@example.com** within one business day.",
            "(client action: redirect to https://example.com/demo?email=ada@example.com)",
            "— end of conversation —",
        ],
    );
}

#[test]
fn chat_picks_a_choice_by_its_label_too_and_follows_the_pricing_branch() {
    let out = chat(
        "flows/lead-capture.json",
        "See pricing\nBo\nbo@example.com\nJust me\n",
    );
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert_in_order(
        &text,
        &[
            "bot> Our plans start at **$29 per month**, with a 14-day free trial.",
            "bot> Every detail is on the pricing page (https://example.com/pricing).",
            "(client action: redirect to https://example.com/pricing)",
            "— end of conversation —",
        ],
    );
}

#[test]
fn chat_stops_quietly_when_input_ends_mid_conversation() {
    let out = chat("flows/lead-capture.json", "1\n");
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("bot> Great choice! What's your first name?"));
    assert!(!text.contains("— end of conversation —"), "{text}");
}

#[test]
fn chat_reports_the_missing_payment_credentials_as_an_error() {
    let out = chat("flows/payment-demo.json", "1\n");
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("Missing credentialsId"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn chat_runs_linked_bots_from_the_same_folder() {
    // welcome -> "Give feedback" runs flows/survey.json (linked by id), then comes back.
    let out = chat("flows/welcome.json", "3\n2\n5\n");
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert_in_order(
        &text,
        &[
            "bot> [video] https://www.youtube.com/watch?v=jNQXAC9IVRw",
            "bot> [audio] data:audio/wav,… (",
            "bot> [embed] data:text/html,… (",
            "(client action: wait 1 s)",
            "bot> Hi 👋 Could you give us 60 seconds to tell us how we're doing?",
            "bot> No worries — have a lovely day!",
            "bot> What would you like to try?",
            "bot> See you soon 👋",
            "— end of conversation —",
        ],
    );
}
