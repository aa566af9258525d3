//! The access log: one line per HTTP request (method, path, status, duration) carrying its
//! request id. The id is the caller's `X-Request-Id` when it is a short token, else a new one
//! (unique in this process and across processes: a random prefix and a counter); it is sent
//! back in the response's `X-Request-Id` and is the `request_id` field of the request's span,
//! so every log line of the request carries it. When the access log is filtered out (say
//! `TESSERA_LOG=warn`), a request pays only for its id.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use actix_web::http::Method;
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use tracing::{Level, Span};

const HEADER: &str = "x-request-id";
const TARGET: &str = "tessera::access";

/// A caller's request id is kept when it is at most 64 letters, digits, `-`, `_` or `.`.
fn acceptable(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// 32 hex digits: this process's random prefix, then a counter.
fn new_request_id() -> String {
    static PREFIX: OnceLock<u64> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let prefix = *PREFIX.get_or_init(rand::random);
    format!("{prefix:016x}{:016x}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// What the access log keeps of a request while it runs.
pub struct Access {
    id: String,
    /// Method, path and start time, when the access log is enabled.
    line: Option<(Method, String, Instant, Span)>,
}

impl Access {
    /// Starts a request: its id, and (when the access log is on) its span.
    pub fn begin(headers: &HeaderMap, method: &Method, path: &str) -> Self {
        let id = headers
            .get(HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|v| acceptable(v))
            .map_or_else(new_request_id, str::to_string);
        let line = tracing::enabled!(target: TARGET, Level::INFO).then(|| {
            let span = tracing::info_span!("request", request_id = %id);
            (method.clone(), path.to_string(), Instant::now(), span)
        });
        Access { id, line }
    }

    /// The request's span, when the access log is on.
    pub fn span(&self) -> Option<Span> {
        self.line.as_ref().map(|(_, _, _, span)| span.clone())
    }

    /// Ends a request: its id on the response, and its log line.
    pub fn finish(self, status: u16, headers: &mut HeaderMap) {
        if let Ok(v) = HeaderValue::from_str(&self.id) {
            headers.insert(HeaderName::from_static(HEADER), v);
        }
        if let Some((method, path, started, span)) = self.line {
            let micros = started.elapsed().as_micros();
            span.in_scope(|| {
                tracing::info!(target: TARGET, %method, %path, status, micros, "request");
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_request_ids_are_kept() {
        assert!(acceptable("abc-123_X.y"));
        assert!(!acceptable(""));
        assert!(!acceptable(&"a".repeat(65)));
        assert!(!acceptable("a b"));
        assert!(!acceptable("a\nb"));
        assert_eq!(new_request_id().len(), 32);
        assert_ne!(new_request_id(), new_request_id());
    }
}
