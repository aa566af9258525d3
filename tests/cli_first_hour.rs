//! What a new user meets first on the command line (issue 17): `--help` of every subcommand,
//! `chat` from inside `flows/`, what `chat` shows, and `validate` on directories and on JSON
//! that is not a bot.

mod common;

use common::cli::{TempDir, stdout, tessera};

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
