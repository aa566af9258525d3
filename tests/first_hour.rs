//! What a new user meets first with the server (issue 17): the bundled bots over HTTP, a
//! flows directory with bad files, a Redis that is not up yet, and the start-up logs.

mod common;

use std::time::{Duration, Instant};

use common::app::spawn_app_with;
use common::cli::{Served, TempDir, flows_dir};
use common::redis_server::PrivateRedis;
use serde_json::{Value, json};

const START: &str = "/api/v1/typebots/support-triage/startChat";

fn continue_path(r: &Value) -> String {
    let id = r["sessionId"].as_str().expect("sessionId");
    format!("/api/v1/sessions/{id}/continueChat")
}

fn texts(r: &Value) -> String {
    r["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|m| {
            m["content"]["richText"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .flat_map(|p| p["children"].as_array().cloned().unwrap_or_default())
        .filter_map(|c| c["text"].as_str().map(str::to_string))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The web player's Skip button on the optional screenshot sends `{}` (no message); the bot
/// has a reply event, which must not turn "no message" into an invalid reply.
#[tokio::test]
async fn the_bundled_support_bot_lets_the_optional_screenshot_be_skipped() {
    let app = spawn_app_with(|c| c.bundled_flows = true).await;
    let (status, r) = app.post(START, &json!({})).await;
    assert_eq!(status, 200, "{r}");
    let next = continue_path(&r);
    for (reply, expect) in [
        ("Something is broken", "On which page did it happen?"),
        (
            "app.acme.example/settings",
            "Can you describe what happened?",
        ),
        (
            "The save button does nothing",
            "A screenshot helps a lot (optional).",
        ),
    ] {
        let (status, r) = app.post(&next, &json!({ "message": reply })).await;
        assert_eq!(status, 200, "{r}");
        assert!(texts(&r).contains(expect), "{reply}: {r}");
    }
    let (status, r) = app.post(&next, &json!({})).await;
    assert_eq!(status, 200, "{r}");
    assert!(!texts(&r).contains("Invalid message"), "{r}");
    assert!(
        texts(&r).contains("What's your email so we can follow up?"),
        "{r}"
    );
    assert_eq!(r["input"]["type"], "email input", "{r}");
    // And the conversation goes on from there.
    let (status, r) = app
        .post(&next, &json!({ "message": "ada@example.com" }))
        .await;
    assert_eq!(status, 200, "{r}");
    assert!(texts(&r).contains("will reply to"), "{r}");
}

/// JSON that is not a bot gets the same message from the publishing route as from the
/// command line.
#[tokio::test]
async fn publishing_json_that_is_not_a_bot_says_so() {
    let app = spawn_app_with(|_| {}).await;
    for (body, reason) in [
        (json!([]), "the JSON is an array"),
        (json!({}), "it has no `groups`"),
        (json!({"groups": 5}), "`groups` is a number"),
    ] {
        let (status, r) = app.publish("not-a-bot", &body).await;
        assert_eq!(
            (status, r["code"].clone()),
            (400, json!("flow_malformed")),
            "{r}"
        );
        let msg = r["message"].as_str().unwrap_or_default();
        assert!(
            msg.contains("this is not a Typebot export") && msg.contains(reason),
            "{body}: {msg}"
        );
    }
}

/// Logs in a pipe (a container, a file) have no colour codes, and the web server's own start
/// lines are not there.
#[test]
fn start_up_logs_have_no_colour_codes_in_a_pipe_and_no_noise() {
    let flows = flows_dir().to_str().expect("utf-8").to_string();
    let mut server = Served::start(&["--flows", &flows]);
    server.base();
    std::thread::sleep(Duration::from_millis(300));
    let logs = server.logs();
    assert!(
        !logs.contains('\u{1b}'),
        "no colour codes in a pipe:\n{logs}"
    );
    for noise in [
        "starting 1 workers",
        "Actix runtime found",
        "starting service",
    ] {
        assert!(!logs.contains(noise), "{noise:?} in:\n{logs}");
    }
}

const GOOD_BOT: &str = r#"{"version": "6", "id": "good-bot", "publicId": "good",
  "events": [{"id": "e", "type": "start", "outgoingEdgeId": "x"}],
  "groups": [{"id": "g", "title": "Hello", "blocks": [{"id": "b", "type": "text",
    "content": {"richText": [{"type": "p", "children": [{"text": "Hello!"}]}]}}]}],
  "edges": [{"id": "x", "from": {"eventId": "e"}, "to": {"groupId": "g"}}],
  "variables": []}"#;

const BROKEN_BOT: &str = r#"{"version": "6", "id": "broken-bot",
  "events": [{"id": "e", "type": "start", "outgoingEdgeId": "x"}],
  "groups": [{"id": "g", "title": "One", "blocks": [{"id": "b", "type": "text input",
    "outgoingEdgeId": "dangling", "options": {}}]}],
  "edges": [{"id": "x", "from": {"eventId": "e"}, "to": {"groupId": "g"}},
            {"id": "dangling", "from": {"blockId": "b"}, "to": {"groupId": "nowhere"}}],
  "variables": []}"#;

fn mixed_flows() -> TempDir {
    let dir = TempDir::new("mixed-flows");
    dir.file("a-list.json", "[]");
    dir.file("b-broken.json", BROKEN_BOT);
    dir.file("c-good.json", GOOD_BOT);
    dir.file("d-not-json.json", "{nope");
    dir
}

#[tokio::test]
async fn bad_files_in_the_flows_directory_are_all_reported_and_the_good_ones_served() {
    let dir = mixed_flows();
    let flows = dir.0.to_str().expect("utf-8").to_string();
    let mut server = Served::start(&["--flows", &flows]);
    let base = server.base();
    let logs = server.wait_for_log("left out", Duration::from_secs(10));
    for needle in [
        "a-list.json: this is not a Typebot export: the JSON is an array",
        "b-broken.json: error[unknown_group] edge dangling",
        "d-not-json.json: invalid flow JSON",
        "a-list.json is not served (check it with `tessera validate",
        "b-broken.json is not served",
        "d-not-json.json is not served",
        "published 1 bot(s) from",
        "3 file(s) left out",
    ] {
        assert!(logs.contains(needle), "{needle:?} not in:\n{logs}");
    }
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/typebots/good/startChat"))
        .json(&json!({}))
        .send()
        .await
        .expect("startChat");
    assert_eq!(r.status(), 200);
}

#[test]
fn strict_refuses_to_start_and_names_every_bad_file() {
    let dir = mixed_flows();
    let flows = dir.0.to_str().expect("utf-8").to_string();
    for strict in [vec!["--strict"], vec![]] {
        let mut cmd = common::cli::tessera();
        cmd.args([
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--flows",
            &flows,
        ]);
        cmd.args(&strict);
        if strict.is_empty() {
            cmd.env("TESSERA_STRICT", "true");
        }
        let out = cmd.output().expect("run");
        let err = common::cli::stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        for needle in [
            "3 bot file(s) have problems (strict mode: nothing is served)",
            "a-list.json: this is not a Typebot export",
            "b-broken.json: error[unknown_group]",
            "d-not-json.json: invalid flow JSON",
        ] {
            assert!(err.contains(needle), "{needle:?} not in:\n{err}");
        }
    }
}

#[test]
fn start_up_logs_say_what_a_bots_warnings_are_in_a_few_lines() {
    let dir = TempDir::new("warning-flows");
    // A set-variable block writing to an undeclared variable: a warning, not an error.
    let bot = GOOD_BOT.replace(
        r#"{"id": "b", "type": "text","#,
        r#"{"id": "s", "type": "Set variable", "options": {"variableId": "v-missing"}},
           {"id": "b", "type": "text","#,
    );
    dir.file("warned.json", &bot);
    let flows = dir.0.to_str().expect("utf-8").to_string();
    let mut server = Served::start(&["--flows", &flows]);
    server.base();
    let logs = server.wait_for_log("published 1 bot(s)", Duration::from_secs(10));
    assert!(
        logs.contains("warned.json: warning[unknown_variable] block s")
            && logs.contains("v-missing"),
        "{logs}"
    );
    assert!(
        logs.lines().count() <= 4,
        "start-up says what matters in a few lines:\n{logs}"
    );
}

/// docs/REDIS.md: start-up does not wait for Redis; `/readyz` answers 503 until it is
/// reachable and the bots of `--flows` are published.
#[tokio::test]
async fn serve_starts_before_redis_and_publishes_its_bots_once_redis_is_up() {
    let required =
        std::env::var_os("CI").is_some() || std::env::var_os("TESSERA_TEST_REDIS_URL").is_some();
    let Some(mut redis) = PrivateRedis::new(None, required) else {
        return;
    };
    let flows = flows_dir().to_str().expect("utf-8").to_string();
    let mut server = Served::start(&["--flows", &flows, "--store", &redis.url()]);
    let base = server.base();
    server.wait_for_log("waiting for the store to publish", Duration::from_secs(10));
    let client = reqwest::Client::new();
    let ready = client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 503);
    redis.boot();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .expect("readyz");
        if r.status() == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "readyz is still {}", r.status());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.wait_for_log("the store answers: published", Duration::from_secs(5));
    let r = client
        .post(format!("{base}/api/v1/typebots/lead-capture/startChat"))
        .json(&json!({}))
        .send()
        .await
        .expect("startChat");
    assert_eq!(r.status(), 200);
}

/// Nothing outside the machine may be reachable: the bundled bots' pictures, sounds, maps and
/// avatars are `data:` URIs (a video bubble is the one thing that stays a link).
fn remote_media(v: &Value, path: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            let is_video = m.get("type").and_then(Value::as_str) == Some("video");
            for (k, child) in m {
                let media_key = matches!(k.as_str(), "url" | "pictureSrc" | "imageUrl");
                match child.as_str() {
                    Some(u) if media_key && u.starts_with("http") && !is_video => {
                        out.push(format!("{path}/{k}: {u}"))
                    }
                    _ => remote_media(child, &format!("{path}/{k}"), out),
                }
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                remote_media(child, &format!("{path}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn the_bundled_bots_show_a_theme_and_their_media_work_offline() {
    let mut remote = Vec::new();
    for (name, text) in tessera::bundled::BUNDLED {
        let json: Value = serde_json::from_str(text).expect("json");
        for (k, v) in json["groups"].as_array().into_iter().flatten().enumerate() {
            for (b, block) in v["blocks"].as_array().into_iter().flatten().enumerate() {
                // Links a user may follow (image click links, redirects, HTTP requests) are
                // not media.
                let kind = block["type"].as_str().unwrap_or_default();
                if ["image", "audio", "embed", "picture choice input", "cards"].contains(&kind) {
                    let mut media = block.clone();
                    if let Some(c) = media["content"].as_object_mut() {
                        c.remove("clickLink");
                    }
                    remote_media(
                        &media,
                        &format!("{name}/groups/{k}/blocks/{b}"),
                        &mut remote,
                    );
                }
            }
        }
        remote_media(&json["theme"], &format!("{name}/theme"), &mut remote);
    }
    assert!(remote.is_empty(), "remote media: {remote:#?}");

    let app = spawn_app_with(|c| c.bundled_flows = true).await;
    let (status, r) = app
        .post("/api/v1/typebots/welcome/startChat", &json!({}))
        .await;
    assert_eq!(status, 200, "{r}");
    let theme = &r["typebot"]["theme"];
    let avatar = theme["chat"]["hostAvatar"]["url"]
        .as_str()
        .unwrap_or_default();
    assert!(
        theme["chat"]["hostAvatar"]["isEnabled"] == true
            && avatar.starts_with("data:image/svg+xml"),
        "{theme}"
    );
    assert_eq!(
        theme["general"]["progressBar"]["isEnabled"], true,
        "{theme}"
    );
    assert!(theme["general"]["font"]["family"].is_string(), "{theme}");
    assert!(
        theme["chat"]["buttons"]["backgroundColor"].is_string(),
        "{theme}"
    );
    assert!(r["progress"].is_number(), "{r}");
}
