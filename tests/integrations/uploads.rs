//! File uploads as the published player does them: generate-upload-url, the presigned PUT,
//! the file served back through its unguessable URL, the reply that continues the chat; the
//! block's type and size limits; tampered, reused and foreign upload URLs. The S3 option runs
//! against `moto` in server mode (started here; in CI it must be there).

use serde_json::{Value, json};

use crate::common::app::{TestApp, spawn_app_with};
use crate::common::bots::{bot, input, text, var};
use crate::common::temp::TempDir;

/// A bot: a file input (options merged in), then "Got {{File}}", then a text input.
fn file_bot(id: &str, options: Value) -> Value {
    let mut file = input("file", "file input", "v-file");
    for (k, v) in options.as_object().cloned().unwrap_or_default() {
        file["options"][k] = v;
    }
    bot(
        id,
        json!([
            text("hi", "Send a file"),
            file,
            text("got", "Got {{File}}"),
            input("next", "text input", "v-x")
        ]),
        json!([var("v-file", "File"), var("v-x", "X")]),
    )
}

async fn local_app(dir: &TempDir) -> TestApp {
    let path = dir.path().to_path_buf();
    spawn_app_with(move |c| c.uploads.dir = path).await
}

/// Publishes `flow` and starts a chat; the session id.
async fn start(app: &TestApp, id: &str, flow: &Value) -> String {
    assert_eq!(app.publish(id, flow).await.0, 200);
    let (status, body) = app
        .post(&format!("/api/v1/typebots/{id}/startChat"), &json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    body["sessionId"].as_str().expect("sessionId").to_string()
}

async fn upload_url(
    app: &TestApp,
    session: &str,
    name: &str,
    kind: &str,
    size: u64,
) -> (u16, Value) {
    app.post(
        "/api/v3/generate-upload-url",
        &json!({"sessionId": session, "blockId": "file", "fileName": name, "fileType": kind, "fileSize": size}),
    )
    .await
}

async fn put(app: &TestApp, url: &str, kind: &str, body: Vec<u8>) -> (u16, Value) {
    let r = app
        .client
        .put(url)
        .header("content-type", kind)
        .header("cache-control", "public, max-age=86400")
        .body(body)
        .send()
        .await
        .expect("put");
    crate::common::http::into_json(r).await
}

#[tokio::test]
async fn the_player_uploads_a_file_and_the_chat_continues_with_its_url() {
    let dir = TempDir::new("uploads");
    let app = local_app(&dir).await;
    let session = start(&app, "up-basic", &file_bot("up-basic", json!({}))).await;
    let (status, grant) = upload_url(&app, &session, "my photo.png", "image/png", 8).await;
    assert_eq!(status, 200, "{grant}");
    assert_eq!(grant["formData"], json!({}));
    assert_eq!(grant["fileType"], "image/png");
    let presigned = grant["presignedUrl"].as_str().expect("presignedUrl");
    let file_url = grant["fileUrl"].as_str().expect("fileUrl");
    assert!(
        presigned.starts_with(&format!("{}/api/v3/uploads/", app.base)),
        "{presigned}"
    );
    assert!(
        file_url.starts_with(&format!("{}/api/v1/files/", app.base)),
        "{file_url}"
    );
    assert!(file_url.ends_with("/my_photo.png"), "{file_url}");
    // The file id is 256 random bits.
    let id = file_url.rsplit('/').nth(1).expect("file id");
    assert_eq!(id.len(), 64);

    let bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    let (status, body) = put(&app, presigned, "image/png", bytes.clone()).await;
    assert_eq!(status, 200, "{body}");
    // Served back as uploaded, never as something the browser would run.
    let r = app.client.get(file_url).send().await.expect("get");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap_or("")
            .contains("sandbox")
    );
    assert_eq!(r.bytes().await.expect("body").to_vec(), bytes);
    // The URL is the answer, as the player sends it.
    let (status, reply) = app
        .post(
            &format!("/api/v1/sessions/{session}/continueChat"),
            &json!({"message": {"type": "text", "text": file_url}}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    let shown = reply["messages"][0]["content"]["richText"].to_string();
    assert!(shown.contains(file_url), "{reply}");
    // Unknown ids and names are 404; nothing is listed.
    let other = file_url.replace(id, &"0".repeat(64));
    let r = app.client.get(&other).send().await.expect("get");
    assert_eq!(r.status().as_u16(), 404);
    let r = app
        .client
        .get(format!("{}/api/v1/files/{id}/..", app.base))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status().as_u16(), 404);
}

#[tokio::test]
async fn an_upload_url_works_once_and_only_as_signed() {
    let dir = TempDir::new("uploads");
    let app = local_app(&dir).await;
    let session = start(
        &app,
        "up-once",
        &file_bot("up-once", json!({"sizeLimit": 1})),
    )
    .await;
    let (_, grant) = upload_url(&app, &session, "a.txt", "text/plain", 3).await;
    let presigned = grant["presignedUrl"]
        .as_str()
        .expect("presignedUrl")
        .to_string();
    let (payload, tag) = presigned.rsplit_once('.').expect("token");
    // Another signature, or a payload it does not sign: refused, nothing written.
    let flipped = format!("{payload}.{}", tag.replace(|c: char| c != '0', "0"));
    let (status, body) = put(&app, &flipped, "text/plain", b"abc".to_vec()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("upload_url_invalid")),
        "{body}"
    );
    // Another content type than granted: refused.
    let (status, body) = put(&app, &presigned, "text/html", b"<b>".to_vec()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("file_type_not_allowed")),
        "{body}"
    );
    // More than the block's 1 MB, whatever was declared: refused.
    let (status, body) = put(&app, &presigned, "text/plain", vec![b'x'; 1024 * 1024 + 1]).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (413, Some("file_too_large")),
        "{body}"
    );
    let (status, _) = put(&app, &presigned, "text/plain", b"abc".to_vec()).await;
    assert_eq!(status, 200);
    let (status, body) = put(&app, &presigned, "text/plain", b"xyz".to_vec()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("upload_already_done")),
        "{body}"
    );
    // The first upload stands; a plain-text upload is served as an attachment.
    let r = app
        .client
        .get(grant["fileUrl"].as_str().expect("fileUrl"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.headers()["content-disposition"], "attachment");
    assert_eq!(r.text().await.expect("text"), "abc");
}

#[tokio::test]
async fn the_block_decides_types_and_sizes() {
    let dir = TempDir::new("uploads");
    let app = local_app(&dir).await;
    let options =
        json!({"sizeLimit": 1, "allowedFileTypes": {"isEnabled": true, "types": [".pdf"]}});
    let session = start(&app, "up-limits", &file_bot("up-limits", options)).await;
    let (status, body) = upload_url(&app, &session, "x.png", "image/png", 10).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("file_type_not_allowed")),
        "{body}"
    );
    let (status, body) =
        upload_url(&app, &session, "x.pdf", "application/pdf", 2 * 1024 * 1024).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (413, Some("file_too_large")),
        "{body}"
    );
    assert_eq!(body["message"], "File size exceeds the 1MB limit");
    let (status, body) = upload_url(&app, &session, "x.pdf", "application/pdf", 10).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["maxFileSize"], 1.0);
    // Another block than the one waiting, an unknown session, a block that is no file input.
    let (status, body) = app
        .post(
            "/api/v3/generate-upload-url",
            &json!({"sessionId": session, "blockId": "other", "fileName": "x.pdf", "fileType": "application/pdf"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("upload_not_expected")),
        "{body}"
    );
    let (status, body) = upload_url(&app, "nosuchsession", "x.pdf", "application/pdf", 1).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("session_not_found")),
        "{body}"
    );
    let text_bot = bot(
        "up-text",
        json!([input("file", "text input", "v-x")]),
        json!([var("v-x", "X")]),
    );
    let session = start(&app, "up-text", &text_bot).await;
    let (status, body) = upload_url(&app, &session, "x.pdf", "application/pdf", 1).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("upload_not_expected")),
        "{body}"
    );
    let (status, body) = app
        .post(
            "/api/v3/generate-upload-url",
            &json!({"sessionId": session}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_request")),
        "{body}"
    );
}

/// `moto_server` on a free loopback port, killed on drop.
struct Moto {
    child: std::process::Child,
    url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn moto() -> Option<Moto> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let spawned = std::process::Command::new("python3")
        .args([
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    let child = match spawned {
        Ok(c) => c,
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "moto is needed in CI: {e}"
            );
            eprintln!("skipping: cannot start moto ({e}); pip install 'moto[server]'");
            return None;
        }
    };
    let moto = Moto {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..100 {
        if reqwest::get(&moto.url).await.is_ok() {
            return Some(moto);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "moto did not start (pip install 'moto[server]')"
    );
    eprintln!("skipping: moto did not start; pip install 'moto[server]'");
    None
}

#[tokio::test]
async fn uploads_go_to_an_s3_bucket_through_presigned_urls() {
    let Some(moto) = moto().await else { return };
    let client = reqwest::Client::new();
    let r = client
        .put(format!("{}/tessera-uploads", moto.url))
        .send()
        .await
        .expect("bucket");
    assert!(r.status().is_success(), "create bucket: {}", r.status());
    let endpoint = moto.url.clone();
    let app = spawn_app_with(move |c| {
        c.uploads.s3 = Some(tessera::config::S3Config {
            endpoint,
            bucket: "tessera-uploads".into(),
            region: "us-east-1".into(),
            access_key: "test-access".into(),
            secret_key: tessera::config::SecretString("test-secret".into()),
            virtual_host: false,
        });
    })
    .await;
    let session = start(&app, "up-s3", &file_bot("up-s3", json!({}))).await;
    let (status, grant) = upload_url(&app, &session, "scan.pdf", "application/pdf", 5).await;
    assert_eq!(status, 200, "{grant}");
    let presigned = grant["presignedUrl"].as_str().expect("presignedUrl");
    assert!(
        presigned.starts_with(&format!("{}/tessera-uploads/", moto.url)),
        "{presigned}"
    );
    for part in [
        "X-Amz-Signature=",
        "X-Amz-Expires=600",
        "content-length%3Bcontent-type%3Bhost",
    ] {
        assert!(presigned.contains(part), "{part} missing in {presigned}");
    }
    let (status, body) = put(&app, presigned, "application/pdf", b"%PDF-".to_vec()).await;
    assert_eq!(status, 200, "{body}");
    // Read back through Tessera: a redirect to a presigned GET of the private object.
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let file_url = grant["fileUrl"].as_str().expect("fileUrl");
    assert!(file_url.starts_with(&app.base), "{file_url}");
    let r = no_redirect.get(file_url).send().await.expect("get");
    assert_eq!(r.status().as_u16(), 302);
    let location = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert!(location.contains("X-Amz-Signature="), "{location}");
    let got = client.get(&location).send().await.expect("s3 get");
    assert_eq!(got.bytes().await.expect("bytes").as_ref(), b"%PDF-");
}
