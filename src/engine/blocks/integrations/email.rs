//! The Email block over SMTP: an `smtp` credential found by the block's `credentialsId`,
//! recipients / cc / bcc (comma-separated lists allowed), reply-to, subject and body with
//! variables substituted. The body is sent as plain text with an HTML alternative built from
//! it (line breaks kept), as HTML when the body is code, or, without a custom body, as a table
//! of the bot's variables. A line break reaching a header through a variable is refused.

use serde_json::{Value, json};

use crate::engine::context::Turn;
use crate::engine::turn::Log;
use crate::eval::templating::parse_text;
use crate::flow::options::EmailOptions;
use crate::net::smtp::{self, Mail, SmtpSettings, SmtpTls};

/// How long an SMTP exchange may take.
const SMTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

pub async fn execute(turn: &mut Turn<'_>, o: &EmailOptions) {
    if turn.state.preview {
        turn.out
            .logs
            .push(Log::info("Emails are not sent in preview mode"));
        return;
    }
    let id = match o.credentials_id.as_deref() {
        None | Some("default") => {
            turn.out.logs.push(Log::error(
                "No credentials found, make sure to configure your SMTP provider properly",
            ));
            return;
        }
        Some(id) => id,
    };
    let not_sent = |error: String| {
        Log::error("Email not sent")
            .with_details(json!({ "error": error }))
            .result_only()
    };
    let cred = match turn.engine.ai.credentials.clone() {
        Some(source) => source.credential(id).await,
        None => None,
    };
    let Some(cred) = cred.filter(|c| c.kind == "smtp") else {
        let error = format!("SMTP credentials {id} are not configured on this server");
        turn.out.logs.push(not_sent(error));
        return;
    };
    let Some(settings) = settings(&cred, SMTP_TIMEOUT) else {
        let error = format!("SMTP credentials {id} need a host and a sender (from)");
        turn.out.logs.push(not_sent(error));
        return;
    };
    let mail = mail(turn, o);
    match smtp::send(&settings, &mail).await {
        Ok(()) => turn.out.logs.push(
            Log::success("Email successfully sent")
                .with_details(json!({ "to": mail.to }))
                .result_only(),
        ),
        Err(e) => turn.out.logs.push(not_sent(e.to_string())),
    }
}

fn settings(c: &crate::engine::Credential, timeout: std::time::Duration) -> Option<SmtpSettings> {
    let host = c.field("host")?.to_string();
    let from = match c.data.get("from") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(Value::Object(f)) => {
            let email = f.get("email").and_then(Value::as_str)?;
            match f
                .get("name")
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty())
            {
                Some(name) => format!("{name} <{email}>"),
                None => email.to_string(),
            }
        }
        _ => return None,
    };
    let tls = match c.field("tls") {
        Some(t) => SmtpTls::parse(Some(t))?,
        None if c.data.get("isTlsEnabled") == Some(&Value::Bool(true)) => SmtpTls::Implicit,
        None => SmtpTls::StartTls,
    };
    let port = c.data.get("port").and_then(|p| {
        p.as_u64()
            .or_else(|| p.as_str().and_then(|s| s.parse().ok()))
            .and_then(|p| u16::try_from(p).ok())
    });
    Some(SmtpSettings {
        host,
        port,
        username: c.field("username").map(str::to_string),
        password: c.field("password").map(str::to_string),
        tls,
        from,
        timeout,
    })
}

fn mail(turn: &mut Turn<'_>, o: &EmailOptions) -> Mail {
    let mut scope = turn.scope();
    let mut list = |items: &[String]| -> Vec<String> {
        items
            .iter()
            .flat_map(|i| {
                parse_text(i, &mut scope)
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let to = list(&o.recipients);
    let cc = list(&o.cc);
    let bcc = list(&o.bcc);
    let mut text = |t: &Option<String>| t.as_deref().map(|t| parse_text(t, &mut scope));
    let reply_to = text(&o.reply_to);
    let subject = text(&o.subject).unwrap_or_default();
    let body = text(&o.body).unwrap_or_default();
    let (text, html) = if o.is_custom_body != Some(true) || body.is_empty() {
        variables_table(turn)
    } else if o.is_body_code == Some(true) {
        (body.clone(), body)
    } else {
        let html = format!("<p>{}</p>", escape(&body).replace('\n', "<br>"));
        (body, html)
    };
    Mail {
        to,
        cc,
        bcc,
        reply_to,
        subject,
        text,
        html: Some(html),
    }
}

/// The default body: every variable with a value, as text lines and as an HTML table.
fn variables_table(turn: &mut Turn<'_>) -> (String, String) {
    let flow = turn.flow();
    let scope = turn.scope();
    let mut text = String::new();
    let mut html = String::from("<table>");
    for d in &flow.variables {
        if let Some(v) = scope.get(&d.id) {
            let v = v.to_text();
            text.push_str(&format!("{}: {v}\n", d.name));
            html.push_str(&format!(
                "<tr><th>{}</th><td>{}</td></tr>",
                escape(&d.name),
                escape(&v)
            ));
        }
    }
    html.push_str("</table>");
    (text, html)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
