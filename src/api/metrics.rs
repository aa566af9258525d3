//! What the HTTP surfaces record, and `GET /metrics`. Requests are measured per route of
//! [`ROUTES`] (its template, never the raw path, so the label set is bounded and known at
//! start-up), errors per [`ErrorCode`]. Every handle is resolved once: a request records into
//! its route's histogram by index, an error into its code's counter by the code.
//!
//! `/metrics` is protected by [`MetricsAccess`]: by default (`token`) it answers on the main
//! port only with `Authorization: Bearer <metrics_token>` (401 explaining how to set the token
//! while none is); `open` serves it without a token on a separate listener (`metrics_bind`,
//! loopback by default) and not on the main port; `off` serves it nowhere.

use std::sync::LazyLock;
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse};

use super::error::{ApiError, ErrorCode};
use super::router::ROUTES;
use super::{AppState, auth};
use crate::telemetry::metrics::{self, Counter, Histogram, probes};

/// Where and how `/metrics` is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricsAccess {
    /// Not served (404).
    Off,
    /// On the main port, with this bearer token (None: 401 until one is configured).
    Token(Option<String>),
    /// Without a token, on a separate listener only (404 on the main port).
    Open,
}

impl MetricsAccess {
    /// From the `metrics` setting (`token`, `open`, `off`) and `metrics_token`.
    pub fn parse(mode: &str, token: Option<&str>) -> Result<Self, String> {
        match mode.trim() {
            "" | "token" => Ok(Self::Token(
                token.filter(|t| !t.is_empty()).map(str::to_string),
            )),
            "open" => Ok(Self::Open),
            "off" => Ok(Self::Off),
            other => Err(format!(
                "metrics = \"{other}\": expected \"token\" (default), \"open\" (on metrics_bind) or \"off\""
            )),
        }
    }
}

/// The label of requests that matched no route (404, 405, CORS preflights).
pub const UNMATCHED: &str = "unmatched";

const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

struct RouteMetrics {
    duration: Histogram,
    responses: Vec<Counter>,
}

struct HttpMetrics {
    /// One per entry of [`ROUTES`], then [`UNMATCHED`].
    routes: Vec<RouteMetrics>,
    /// One per entry of [`ErrorCode::ALL`].
    errors: Vec<Counter>,
}

static HTTP: LazyLock<HttpMetrics> = LazyLock::new(|| {
    let names: Vec<(&'static str, &'static str)> = ROUTES
        .iter()
        .map(|(m, p, _)| (*m, *p))
        .chain([("ANY", UNMATCHED)])
        .collect();
    let durations = metrics::histograms(
        "tessera_http_request_duration_seconds",
        "Time to the response head, per route template",
        Histogram::latency,
        names.iter().map(|(m, p)| [("method", *m), ("route", *p)]),
    );
    let mut responses = metrics::counters(
        "tessera_http_requests",
        "Responses per route template and status class",
        names.iter().flat_map(|(m, p)| {
            CLASSES
                .iter()
                .map(move |c| [("method", *m), ("route", *p), ("status", *c)])
        }),
    )
    .into_iter();
    let routes = durations
        .into_iter()
        .map(|duration| RouteMetrics {
            duration,
            responses: responses.by_ref().take(CLASSES.len()).collect(),
        })
        .collect();
    let errors = metrics::counters(
        "tessera_http_errors",
        "Error responses per stable error code (api::error::ErrorCode)",
        ErrorCode::ALL.iter().map(|c| [("code", c.as_str())]),
    );
    HttpMetrics { routes, errors }
});

/// Registers the HTTP metrics (every series present from the first scrape).
pub fn init() {
    LazyLock::force(&HTTP);
}

/// Records a response: its route (an index into [`ROUTES`]; None: unmatched), its status and
/// the time to its head.
pub fn observe(route: Option<usize>, status: u16, elapsed: Duration) {
    if !metrics::recording() {
        return;
    }
    let m = &*HTTP;
    let Some(r) = m.routes.get(route.unwrap_or(ROUTES.len())) else {
        return;
    };
    r.duration.observe(elapsed);
    let class = usize::from((status / 100).clamp(1, 5)) - 1;
    if let Some(c) = r.responses.get(class) {
        c.inc();
    }
}

/// Counts an error response of this code.
pub fn count_error(code: ErrorCode) {
    if !metrics::recording() {
        return;
    }
    // `ErrorCode::ALL` lists the codes in declaration order: a code's discriminant is its index.
    if let Some(c) = HTTP.errors.get(code as usize) {
        c.inc();
    }
}

/// `GET /metrics` on the main port.
pub async fn scrape(req: &HttpRequest, state: &AppState) -> Result<HttpResponse, ApiError> {
    match &state.metrics {
        MetricsAccess::Off | MetricsAccess::Open => Err(ApiError::route_not_found()),
        MetricsAccess::Token(token) => {
            auth::require_bearer(
                req,
                token.as_deref(),
                "/metrics needs a token, and none is configured: set TESSERA_METRICS_TOKEN (or metrics_token in the config file) and send it as \"Authorization: Bearer <token>\", or serve it without a token on a separate address with TESSERA_METRICS=open (TESSERA_METRICS_BIND).",
            )?;
            Ok(exposition().await)
        }
    }
}

/// The exposition: the probes read, then every metric encoded.
pub async fn exposition() -> HttpResponse {
    probes::refresh().await;
    HttpResponse::Ok()
        .content_type(metrics::CONTENT_TYPE)
        .insert_header(("cache-control", "no-store"))
        .body(metrics::render())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_code_indexes_its_counter() {
        for (i, code) in ErrorCode::ALL.iter().enumerate() {
            assert_eq!(*code as usize, i, "{}", code.as_str());
        }
        assert_eq!(HTTP.errors.len(), ErrorCode::ALL.len());
        assert_eq!(HTTP.routes.len(), ROUTES.len() + 1);
        assert!(HTTP.routes.iter().all(|r| r.responses.len() == 5));
    }

    #[test]
    fn the_access_mode_is_token_unless_set_otherwise() {
        assert_eq!(
            MetricsAccess::parse("", None),
            Ok(MetricsAccess::Token(None))
        );
        assert_eq!(
            MetricsAccess::parse("token", Some("t")),
            Ok(MetricsAccess::Token(Some("t".into())))
        );
        assert_eq!(MetricsAccess::parse("open", None), Ok(MetricsAccess::Open));
        assert_eq!(MetricsAccess::parse("off", None), Ok(MetricsAccess::Off));
        assert!(MetricsAccess::parse("public", None).is_err());
    }
}
