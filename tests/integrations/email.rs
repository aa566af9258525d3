//! The Email block against a real SMTP server (aiosmtpd, started by the test; skipped when
//! Python cannot import it, outside CI): recipients, cc, bcc, reply-to, subject and body with
//! variables, and a header injection through a variable refused.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::bots::{bot, input, text, var};
use crate::common::temp::TempDir;
use crate::setup::{app, put_credentials};

struct Smtp {
    child: Child,
    port: u16,
    file: std::path::PathBuf,
    _dir: TempDir,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Smtp {
    fn received(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.file)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }
}

fn start_smtp() -> Option<Smtp> {
    let available = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .status()
        .is_ok_and(|s| s.success());
    if !available {
        assert!(
            std::env::var_os("CI").is_none(),
            "aiosmtpd is required in CI (pip install aiosmtpd)"
        );
        eprintln!("skipped: python3 cannot import aiosmtpd (pip install aiosmtpd)");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let dir = TempDir::new("smtp");
    let file = dir.path().join("mail.jsonl");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/integrations/smtp_recorder.py"
    );
    let mut child = Command::new("python3")
        .args([script, &port.to_string(), &file.to_string_lossy()])
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take()?)
        .read_line(&mut line)
        .ok()?;
    assert_eq!(line.trim(), "READY");
    Some(Smtp {
        child,
        port,
        file,
        _dir: dir,
    })
}

fn email_bot(id: &str) -> Value {
    bot(
        id,
        json!([
            input("name", "text input", "v-name"),
            {"id": "mail", "type": "Email", "options": {
                "credentialsId": "mail",
                "recipients": ["{{Email}}"], "cc": ["cc@example.com"], "bcc": ["audit@example.com"],
                "replyTo": "support@example.com",
                "subject": "Hello {{Name}}",
                "body": "Hi {{Name}},\nthanks for writing.",
                "isCustomBody": true
            }},
            text("done", "Sent")
        ]),
        json!([var("v-name", "Name"), {"id": "v-mail", "name": "Email", "value": "ann@example.com"}]),
    )
}

#[tokio::test]
async fn emails_reach_the_smtp_server_and_header_injection_is_refused() {
    let Some(smtp) = start_smtp() else { return };
    let app = app().await;
    let creds = json!({"type": "smtp", "data": {"host": "127.0.0.1", "port": smtp.port, "tls": "none", "from": {"email": "bot@example.com", "name": "Bot"}}});
    let (status, body) = put_credentials(&app, "mail", &creds).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = app.publish("mailer", &email_bot("mailer")).await;
    assert_eq!(status, 200);
    let say = |name: &'static str| {
        let app = &app;
        async move {
            let (_, start) = app
                .post("/api/v1/typebots/mailer/startChat", &json!({}))
                .await;
            let sid = start["sessionId"].as_str().expect("sid").to_string();
            app.post(
                &format!("/api/v1/sessions/{sid}/continueChat"),
                &json!({"message": {"type": "text", "text": name}}),
            )
            .await
        }
    };
    let (status, turn) = say("Ann").await;
    assert_eq!(status, 200, "{turn}");
    let mut got = Vec::new();
    for _ in 0..50 {
        got = smtp.received();
        if !got.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(got.len(), 1, "{got:?}");
    let mail = &got[0];
    assert_eq!(mail["from"], "bot@example.com");
    let mut to: Vec<String> = serde_json::from_value(mail["to"].clone()).expect("to");
    to.sort();
    assert_eq!(
        to,
        ["ann@example.com", "audit@example.com", "cc@example.com"]
    );
    let data = mail["data"].as_str().expect("data");
    assert!(data.contains("Subject: Hello Ann"), "{data}");
    assert!(data.contains("Reply-To: support@example.com"));
    assert!(data.contains("Cc: cc@example.com"));
    assert!(!data.contains("audit@example.com"), "bcc is not a header");
    assert!(data.contains("thanks for writing"));

    let (status, _) = say("Ann\r\nBcc: victim@example.com").await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let all = smtp.received();
    assert_eq!(all.len(), 1, "the injected email was not sent: {all:?}");
}
