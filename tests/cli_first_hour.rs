//! What a new user meets first on the command line (issue 17): `--help` of every subcommand,
//! `chat` from inside `flows/`, what `chat` shows, and `validate` on directories and on JSON
//! that is not a bot.

mod common;

use common::cli::{TempDir, assert_in_order, run_with_input, stderr, stdout, tessera};

#[test]
fn every_subcommand_prints_its_usage() {
    for (sub, flags) in [
        (
            "serve",
            &[
                "--port",
                "--host",
                "--flows",
                "--store",
                "--config",
                "--strict",
                "--log-format",
            ][..],
        ),
        ("chat", &["FLOW.json", "--flows"][..]),
        ("validate", &["FLOW.json|DIR"][..]),
    ] {
        for args in [vec![sub, "--help"], vec!["help", sub]] {
            let out = tessera().args(&args).output().expect("run");
            let text = stdout(&out);
            assert!(out.status.success(), "{args:?}: {text}{}", stderr(&out));
            assert!(text.contains(&format!("Usage: tessera {sub}")), "{text}");
            for f in flags {
                assert!(text.contains(f), "{args:?}: no {f} in\n{text}");
            }
        }
    }
    let out = tessera().arg("--help").output().expect("run");
    assert!(out.status.success());
    for sub in ["serve", "validate", "chat"] {
        assert!(stdout(&out).contains(sub), "{}", stdout(&out));
    }
    let out = tessera().arg("--version").output().expect("run");
    assert_eq!(
        stdout(&out).trim(),
        format!("tessera {}", env!("CARGO_PKG_VERSION"))
    );
    // A mistyped flag is a usage error that suggests the right one.
    let out = tessera()
        .args(["serve", "--prot", "1"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--port"), "{}", stderr(&out));
}

#[test]
fn validate_says_when_json_is_not_a_bot() {
    let dir = TempDir::new("not-bots");
    let list = dir.file("list.json", "[]");
    let empty = dir.file("empty.json", "{}");
    let out = tessera()
        .arg("validate")
        .args([&list, &empty])
        .output()
        .expect("run");
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    for (file, reason) in [
        ("list.json", "the JSON is an array"),
        ("empty.json", "it has no `groups`"),
    ] {
        let line = text
            .lines()
            .find(|l| l.contains(&format!("{file}: error[")))
            .unwrap_or_default();
        assert!(
            line.contains(&format!("] this is not a Typebot export: {reason}")),
            "{text}"
        );
    }
    assert!(!text.contains("missing_start"), "{text}");
}

#[test]
fn chat_with_a_bare_file_name_from_inside_flows_runs_it_and_its_links() {
    let mut cmd = tessera();
    cmd.current_dir(common::cli::flows_dir())
        .args(["chat", "survey.json"]);
    let out = run_with_input(cmd, "Not now\n");
    let text = stdout(&out);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    assert_in_order(
        &text,
        &["No worries — have a lovely day!", "— end of conversation —"],
    );
}

#[test]
fn chat_names_a_missing_file_and_suggests_the_path_of_a_public_id() {
    let out = tessera()
        .args(["chat", "no-such-bot.json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no-such-bot.json: no such file"),
        "{}",
        stderr(&out)
    );
    let out = tessera().args(["chat", "survey"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out)
            .contains("survey: no such file; survey is a bot's public id: run `tessera chat flows/survey.json`"),
        "{}",
        stderr(&out)
    );
}

const NAMED: &str = r#"{
  "version": "6", "id": "named",
  "events": [{"id": "ev", "type": "start", "outgoingEdgeId": "e1"}],
  "groups": [{"id": "g1", "title": "Checkout", "blocks": [
    {"id": "b1", "type": "text", "content": {"richText": []}},
    {"id": "b2", "type": "text input", "outgoingEdgeId": "e2", "options": {"variableId": "v-ghost"}}]}],
  "edges": [
    {"id": "e1", "from": {"eventId": "ev"}, "to": {"groupId": "g1"}},
    {"id": "e2", "from": {"blockId": "b2"}, "to": {"groupId": "g-gone"}}],
  "variables": []
}"#;

#[test]
fn validate_takes_a_directory_names_titles_and_variables_and_sums_up() {
    let dir = TempDir::new("validate-dir");
    dir.file("named.json", NAMED);
    std::fs::copy(
        common::cli::flows_dir().join("survey.json"),
        dir.0.join("survey.json"),
    )
    .expect("copy");
    dir.file("notes.txt", "not a bot, not checked");
    let out = tessera().arg("validate").arg(&dir.0).output().expect("run");
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(
            "named.json: error[unknown_group] edge e2 (from the text input #2 in group \"Checkout\"): edge points to unknown group g-gone"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "named.json: warning[unknown_variable] block b2 (text input #2 in group \"Checkout\"): the answer variable v-ghost is not declared"
        ),
        "{text}"
    );
    assert!(text.contains("survey.json: ok ("), "{text}");
    assert!(!text.contains("notes.txt"), "{text}");
    assert!(
        text.ends_with("2 bots checked: 1 ok, 1 with errors (1 error, 2 warnings)\n"),
        "{text}"
    );
}

#[test]
fn validate_of_the_flows_folder_reports_no_errors() {
    let out = tessera()
        .args(["validate", "flows/"])
        .output()
        .expect("run");
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(" with errors (0 errors, 0 warnings)"),
        "{text}"
    );
}

const SHOWCASE: &str = r#"{
  "version": "6", "id": "cli-showcase", "name": "CLI showcase",
  "events": [{"id": "ev", "type": "start", "outgoingEdgeId": "e1"}],
  "groups": [
    {"id": "g1", "title": "Hello", "blocks": [
      {"id": "t1", "type": "text", "content": {"richText": [{"type": "p", "children": [
        {"text": "Read "}, {"text": "this", "bold": true}, {"text": " and "},
        {"type": "a", "url": "https://example.com/docs", "children": [{"text": "the docs"}]}]}]}},
      {"id": "v1", "type": "video", "content": {"url": "https://youtu.be/jNQXAC9IVRw"}},
      {"id": "c1", "type": "choice input", "outgoingEdgeId": "e2", "items": [
        {"id": "i1", "content": "Yes please"}, {"id": "i2", "content": "No"}]}]},
    {"id": "g2", "title": "Ask", "blocks": [
      {"id": "n1", "type": "text input",
       "options": {"variableId": "vn", "labels": {"placeholder": "Your nickname", "button": "Go"}}},
      {"id": "f1", "type": "file input", "options": {"isRequired": false, "labels": {"skip": "Skip it"}}},
      {"id": "t2", "type": "text", "content": {"richText": [{"type": "p", "children": [{"text": "Bye {{Nick}}"}]}]}}]}
  ],
  "edges": [
    {"id": "e1", "from": {"eventId": "ev"}, "to": {"groupId": "g1"}},
    {"id": "e2", "from": {"blockId": "c1"}, "to": {"groupId": "g2"}}
  ],
  "variables": [{"id": "vn", "name": "Nick"}]
}"#;

#[test]
fn chat_shows_emphasis_links_full_media_urls_and_labels_and_is_lenient_with_replies() {
    let dir = TempDir::new("cli-showcase");
    let bot = dir.file("showcase.json", SHOWCASE);
    let mut cmd = tessera();
    cmd.arg("chat").arg(&bot);
    // "yes PLEASE": the choice in another case; the empty line skips the optional upload.
    let out = run_with_input(cmd, "yes PLEASE\nAda\n\n");
    let text = stdout(&out);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    assert_in_order(
        &text,
        &[
            "bot> Read **this** and the docs (https://example.com/docs)",
            "bot> [video] https://www.youtube.com/watch?v=jNQXAC9IVRw",
            "  1. Yes please\n  2. No\n",
            "[choice input] you> ",
            "  (placeholder \"Your nickname\", button \"Go\")\n[text input] you> ",
            "  (an empty line: \"Skip it\")\n[file input] you> ",
            "bot> Bye Ada",
            "— end of conversation —",
        ],
    );
    assert!(!text.contains("Invalid message"), "{text}");
}

/// The docs a newcomer reads link only to files of the repository that exist, and
/// docs/COMPATIBILITY.md points nowhere outside it.
#[test]
fn the_docs_link_only_inside_the_repository() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for doc in ["README.md", "docs/COMPATIBILITY.md", "docs/REDIS.md"] {
        let text = std::fs::read_to_string(root.join(doc)).expect("doc");
        let dir = root
            .join(doc)
            .parent()
            .map(std::path::Path::to_path_buf)
            .expect("dir");
        for link in text.split("](").skip(1) {
            let target = link.split([')', '#']).next().unwrap_or_default();
            if target.is_empty() || target.starts_with("http") {
                continue;
            }
            assert!(dir.join(target).exists(), "{doc}: broken link {target}");
        }
    }
    let compat = std::fs::read_to_string(root.join("docs/COMPATIBILITY.md")).expect("doc");
    assert!(
        !compat.contains("http://") && !compat.contains("https://"),
        "external link"
    );
    assert!(!compat.contains("../"), "path outside the repository");
    assert!(compat.contains("## What does not run yet"));
}
