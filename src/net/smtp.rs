//! Outbound email over SMTP (the Email block): STARTTLS (default, port 587), implicit TLS
//! (port 465) or, for a local relay only when configured so, plain SMTP. Messages are built
//! with lettre, which encodes headers; on top of that every header value is refused when it
//! carries a line break, so a variable can never add a header (header injection).
//!
//! The SMTP server comes from credentials the operator configured (never from a bot), so it is
//! not subject to the HTTP address rules. Errors never carry the password.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

/// How the connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS (required, not opportunistic).
    StartTls,
    /// TLS from the first byte (SMTPS).
    Implicit,
    /// No TLS at all: only for a relay on a trusted network.
    None,
}

impl SmtpTls {
    /// `starttls` (default), `tls`/`implicit`/`ssl`, `none`.
    pub fn parse(s: Option<&str>) -> Option<SmtpTls> {
        match s.map(str::to_ascii_lowercase).as_deref() {
            None | Some("") | Some("starttls") => Some(SmtpTls::StartTls),
            Some("tls" | "implicit" | "ssl" | "smtps") => Some(SmtpTls::Implicit),
            Some("none" | "plain") => Some(SmtpTls::None),
            _ => None,
        }
    }
    fn default_port(self) -> u16 {
        match self {
            SmtpTls::StartTls => 587,
            SmtpTls::Implicit => 465,
            SmtpTls::None => 25,
        }
    }
}

/// Where and how to send (from an `smtp` credential).
#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: Option<u16>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub tls: SmtpTls,
    /// The sender, `Name <address>` or an address.
    pub from: String,
    pub timeout: Duration,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

/// One email, variables already substituted.
#[derive(Debug, Clone, Default)]
pub struct Mail {
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub reply_to: Option<String>,
    pub subject: String,
    pub text: String,
    /// When set, sent as the HTML alternative of `text`.
    pub html: Option<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SmtpError {
    #[error("refused: {0} contains a line break (header injection)")]
    HeaderInjection(&'static str),
    #[error("invalid address in {0}: {1}")]
    Address(&'static str, String),
    #[error("no recipient")]
    NoRecipient,
    #[error("{0}")]
    Build(String),
    #[error("SMTP: {0}")]
    Transport(String),
}

fn no_line_break(field: &'static str, v: &str) -> Result<(), SmtpError> {
    if v.contains(['\r', '\n']) {
        Err(SmtpError::HeaderInjection(field))
    } else {
        Ok(())
    }
}

fn mailbox(field: &'static str, v: &str) -> Result<Mailbox, SmtpError> {
    no_line_break(field, v)?;
    v.trim()
        .parse()
        .map_err(|e: lettre::address::AddressError| SmtpError::Address(field, e.to_string()))
}

/// Builds the message (checked for header injection) without sending it.
pub fn build(from: &str, mail: &Mail) -> Result<lettre::Message, SmtpError> {
    let mut b = lettre::Message::builder().from(mailbox("from", from)?);
    if mail.to.is_empty() {
        return Err(SmtpError::NoRecipient);
    }
    for (field, list) in [("to", &mail.to), ("cc", &mail.cc), ("bcc", &mail.bcc)] {
        for a in list {
            let m = mailbox(field, a)?;
            b = match field {
                "to" => b.to(m),
                "cc" => b.cc(m),
                _ => b.bcc(m),
            };
        }
    }
    if let Some(r) = mail.reply_to.as_deref().filter(|r| !r.trim().is_empty()) {
        b = b.reply_to(mailbox("replyTo", r)?);
    }
    no_line_break("subject", &mail.subject)?;
    b = b.subject(mail.subject.clone());
    let built = match &mail.html {
        Some(html) => b.multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            html.clone(),
        )),
        None => b.singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(mail.text.clone()),
        ),
    };
    built.map_err(|e| SmtpError::Build(e.to_string()))
}

/// Sends one email.
pub async fn send(settings: &SmtpSettings, mail: &Mail) -> Result<(), SmtpError> {
    let message = build(&settings.from, mail)?;
    let host = settings.host.trim();
    let port = settings.port.unwrap_or(settings.tls.default_port());
    let tls = match settings.tls {
        SmtpTls::None => Tls::None,
        mode => {
            let params = TlsParameters::new(host.to_string())
                .map_err(|e| SmtpError::Transport(e.to_string()))?;
            if mode == SmtpTls::Implicit {
                Tls::Wrapper(params)
            } else {
                Tls::Required(params)
            }
        }
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .tls(tls)
        .timeout(Some(settings.timeout));
    if let Some(user) = settings.username.as_deref().filter(|u| !u.is_empty()) {
        builder = builder.credentials(Credentials::new(
            user.to_string(),
            settings.password.clone().unwrap_or_default(),
        ));
    }
    builder
        .build()
        .send(message)
        .await
        .map(drop)
        .map_err(|e| SmtpError::Transport(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail() -> Mail {
        Mail {
            to: vec!["a@example.com".into()],
            subject: "Hi".into(),
            text: "Body".into(),
            ..Mail::default()
        }
    }

    #[test]
    fn line_breaks_in_headers_are_refused() {
        let mut m = mail();
        m.subject = "Hi\r\nBcc: victim@example.com".into();
        assert_eq!(
            build("bot@example.com", &m).err(),
            Some(SmtpError::HeaderInjection("subject"))
        );
        let mut m = mail();
        m.reply_to = Some("x@example.com\nBcc: victim@example.com".into());
        assert_eq!(
            build("bot@example.com", &m).err(),
            Some(SmtpError::HeaderInjection("replyTo"))
        );
        let mut m = mail();
        m.to = vec!["a@example.com>\r\nBcc: v@example.com".into()];
        assert!(build("bot@example.com", &m).is_err());
    }

    #[test]
    fn messages_carry_every_recipient_kind() {
        let mut m = mail();
        m.cc = vec!["c@example.com".into()];
        m.bcc = vec!["b@example.com".into()];
        m.reply_to = Some("r@example.com".into());
        m.html = Some("<p>Body</p>".into());
        let Ok(msg) = build("Bot <bot@example.com>", &m) else {
            panic!("builds")
        };
        let env = msg.envelope();
        assert_eq!(env.to().len(), 3);
        let text = String::from_utf8_lossy(&msg.formatted()).into_owned();
        assert!(text.contains("Reply-To: r@example.com"));
        assert!(text.contains("text/html"));
        assert!(!text.contains("b@example.com"), "Bcc is not a header");
        assert_eq!(SmtpTls::parse(Some("tls")), Some(SmtpTls::Implicit));
        assert_eq!(SmtpTls::parse(None), Some(SmtpTls::StartTls));
    }
}
