//! Walk steps: file uploads (generate-upload-url, the presigned PUT, the files route) on a
//! server whose upload directory is a temp dir, and the wait-for-webhook routes.

use serde_json::json;

use crate::checker::call;
use crate::common::app::spawn_app_with;
use crate::common::bots::{bot, input, text, var};
use crate::common::temp::TempDir;
use crate::walk::{START, World, sid};

pub const UPLOAD_URL: &str = "/api/v3/generate-upload-url";
pub const PUT_UPLOAD: &str = "/api/v3/uploads/{token}";
pub const FILES: &str = "/api/v1/files/{fileId}/{fileName}";
pub const EXECUTE_WEBHOOK: &str =
    "/api/v1/typebots/{typebotId}/blocks/{blockId}/results/{resultId}/executeWebhook";
pub const SOCKET: &str = "/parties/main/{resultId}/webhooks";

/// Statuses these routes document that the walk cannot provoke.
pub const UNTESTABLE: &[(&str, &str, &str, &str)] = &[
    (
        "*",
        UPLOAD_URL,
        "403",
        "origin_not_allowed: exercised by the origin tests of startChat",
    ),
    (
        "*",
        "*",
        "502",
        "upload_storage_error: a broken disk or bucket",
    ),
    (
        "get",
        FILES,
        "302",
        "S3 storage only: tests/integrations/uploads.rs against moto",
    ),
    (
        "get",
        SOCKET,
        "101",
        "a WebSocket upgrade: tests/integrations/webhooks.rs",
    ),
];

pub async fn uploads_and_webhooks(w: &World) {
    let api = &w.api;
    let dir = TempDir::new("walk-uploads");
    let path = dir.path().to_path_buf();
    let app = spawn_app_with(move |c| c.uploads.dir = path).await;
    let file = json!({"id": "file", "type": "file input", "options": {"variableId": "v-f", "sizeLimit": 1}});
    let flow = bot(
        "walk-up",
        json!([file, text("t", "ok")]),
        json!([var("v-f", "F")]),
    );
    assert_eq!(app.publish("walk-up", &flow).await.0, 200);
    let r = api
        .call(&app, call("POST", START, &["walk-up"]).json(json!({})))
        .await;
    let session = sid(&r);
    let ask = |name: &str, kind: &str, size: u64| {
        call("POST", UPLOAD_URL, &[]).json(json!({"sessionId": session, "blockId": "file",
            "fileName": name, "fileType": kind, "fileSize": size}))
    };
    let r = api.call(&app, ask("a.txt", "text/plain", 3)).await;
    let token = r.json["presignedUrl"]
        .as_str()
        .and_then(|u| u.rsplit('/').next())
        .expect("token")
        .to_string();
    let file_url = r.json["fileUrl"].as_str().expect("fileUrl").to_string();
    api.call(&app, ask("b.txt", "text/plain", 5 * 1024 * 1024))
        .await;
    api.call(
        &app,
        call("POST", UPLOAD_URL, &[]).json(json!({"sessionId": "nosuch",
        "blockId": "file", "fileName": "a.txt"})),
    )
    .await;
    api.call(
        &app,
        call("POST", UPLOAD_URL, &[]).json(json!({"sessionId": session})),
    )
    .await;

    let put = |t: &str, kind: &str, body: Vec<u8>| {
        call("PUT", PUT_UPLOAD, &[t])
            .header("content-type", kind)
            .raw(body)
    };
    api.call(
        &app,
        put(&format!("{token}0"), "text/plain", b"abc".to_vec()),
    )
    .await;
    api.call(&app, put(&token, "text/html", b"abc".to_vec()))
        .await;
    api.call(&app, put(&token, "text/plain", vec![b'x'; 1024 * 1024 + 1]))
        .await;
    api.call(&app, put(&token, "text/plain", b"abc".to_vec()))
        .await;
    api.call(&app, put(&token, "text/plain", b"abc".to_vec()))
        .await;

    let mut parts = file_url.rsplit('/');
    let name = parts.next().expect("name").to_string();
    let id = parts.next().expect("id").to_string();
    let r = api.call(&app, call("GET", FILES, &[&id, &name])).await;
    assert_eq!(r.text, "abc");
    api.call(&app, call("GET", FILES, &[&"0".repeat(64), &name]))
        .await;

    let hook = json!({"id": "hook", "type": "webhook", "options": {"responseVariableMapping": []}});
    let flow = bot(
        "walk-hook",
        json!([hook, input("q", "text input", "v-q")]),
        json!([var("v-q", "Q")]),
    );
    assert_eq!(w.app.publish("walk-hook", &flow).await.0, 200);
    let exec = |bot: &str, block: &str| call("POST", EXECUTE_WEBHOOK, &[bot, block, "r1"]);
    api.call(
        &w.app,
        exec("walk-hook", "hook").bearer().json(json!({"a": 1})),
    )
    .await;
    api.call(&w.app, exec("walk-hook", "hook").bearer().raw("[1]"))
        .await;
    api.call(&w.app, exec("walk-hook", "hook").json(json!({})))
        .await;
    api.call(&w.app, exec("walk-hook", "q").bearer().json(json!({})))
        .await;
    let big = format!("{{\"a\": \"{}\"}}", "x".repeat(2048));
    api.call(&w.small, exec("walk-hook", "hook").bearer().raw(big))
        .await;
    api.call(&w.app, call("GET", SOCKET, &["a.b"])).await;
}
