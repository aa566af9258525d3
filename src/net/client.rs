//! [`SafeClient`]: the reqwest client wired to the guard, and the request loop
//! (validate, send, follow redirects by hand, read a capped body) under one deadline.

use std::error::Error as StdError;
use std::io;
use std::sync::{Arc, Once};
use std::time::Duration;

use reqwest::Url;
use reqwest::header::LOCATION;

use super::guard::{Guard, GuardedResolver, INVALID_URL, Rejection, Target};
use super::redirect::{self, Hop};
use super::{OutboundError, OutboundPolicy, OutboundRequest, OutboundResponse};

static CRYPTO_PROVIDER: Once = Once::new();

/// reqwest is built with `rustls-no-provider`, so building a client without a process-wide
/// rustls provider would panic. Install ring once; if the application already installed a
/// provider, `install_default` fails harmlessly and that provider is kept.
fn install_crypto_provider() {
    CRYPTO_PROVIDER.call_once(|| {
        if rustls::crypto::ring::default_provider()
            .install_default()
            .is_err()
        {
            tracing::debug!("a rustls crypto provider was already installed; keeping it");
        }
    });
}

/// The outbound HTTP client. Cheap to clone: clones share one connection pool and policy.
#[derive(Debug, Clone)]
pub struct SafeClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    guard: Arc<Guard>,
    policy: OutboundPolicy,
}

impl SafeClient {
    /// Builds the client: TLS via rustls/ring, no automatic redirects, no proxies from the
    /// environment (a proxy would resolve names itself and defeat the address checks), and
    /// the validating resolver as the only way host names become addresses.
    pub fn new(policy: OutboundPolicy) -> Result<Self, OutboundError> {
        install_crypto_provider();
        let guard = Arc::new(Guard::new(&policy.allowed_hosts));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(GuardedResolver::new(Arc::clone(&guard)))
            .referer(false)
            .user_agent(concat!("Tessera/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| {
                OutboundError::Transport(format!("cannot build the HTTP client: {err}"))
            })?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                guard,
                policy,
            }),
        })
    }

    /// Validates a URL as [`send`](Self::send) would, including the DNS lookup, without
    /// sending anything. Useful to reject a configured URL early; `send` re-checks anyway.
    pub async fn check_url(&self, url: &str) -> Result<(), OutboundError> {
        let url = Guard::parse_url(url).map_err(OutboundError::Blocked)?;
        match self
            .inner
            .guard
            .check_url(&url)
            .map_err(OutboundError::Blocked)?
        {
            Target::Ip(_) => Ok(()),
            Target::Name(name) => {
                let limit = self.inner.policy.default_timeout;
                match tokio::time::timeout(limit, self.inner.guard.resolve(&name)).await {
                    Ok(answer) => answer.map(drop).map_err(OutboundError::Blocked),
                    Err(_) => Err(OutboundError::Timeout(whole_seconds(limit))),
                }
            }
        }
    }

    /// Sends a request. Redirects are followed by hand and each hop is validated again; the
    /// deadline (request timeout or the policy default) covers the whole exchange.
    pub async fn send(&self, req: OutboundRequest) -> Result<OutboundResponse, OutboundError> {
        let limit = req.timeout.unwrap_or(self.inner.policy.default_timeout);
        let origin = Guard::parse_url(&req.url).map(|u| u.origin().ascii_serialization());
        let cap = self.inner.policy.max_body_bytes;
        let exchange = async { read_body(self.exchange(req).await?, cap).await };
        let result = match tokio::time::timeout(limit, exchange).await {
            Ok(result) => result,
            Err(_) => Err(OutboundError::Timeout(whole_seconds(limit))),
        };
        if let Err(err) = &result {
            log_failure(origin.ok(), err);
        }
        result
    }

    /// Like [`send`](Self::send), but answers as soon as the response head arrived: the body
    /// is read as it comes (see [`super::stream`]). The deadline covers the head; each body
    /// chunk then has the same deadline, and the body cap applies to the total. Dropping the
    /// stream closes the connection (that is how a caller cancels the upstream request).
    pub async fn send_streaming(
        &self,
        req: OutboundRequest,
    ) -> Result<super::StreamingResponse, OutboundError> {
        let limit = req.timeout.unwrap_or(self.inner.policy.default_timeout);
        let origin = Guard::parse_url(&req.url).map(|u| u.origin().ascii_serialization());
        let result = match tokio::time::timeout(limit, self.exchange(req)).await {
            Ok(result) => result,
            Err(_) => Err(OutboundError::Timeout(whole_seconds(limit))),
        };
        match result {
            Ok(response) => Ok(super::stream::streaming(
                response,
                self.inner.policy.max_body_bytes,
                limit,
            )),
            Err(err) => {
                log_failure(origin.ok(), &err);
                Err(err)
            }
        }
    }

    /// Sends the request and follows redirects; answers the final response, body unread.
    async fn exchange(&self, req: OutboundRequest) -> Result<reqwest::Response, OutboundError> {
        let mut hop = Hop {
            url: Guard::parse_url(&req.url).map_err(OutboundError::Blocked)?,
            method: redirect::parse_method(&req.method)?,
            headers: redirect::build_headers(&req.headers)?,
            body: req.body,
        };
        let mut redirects = 0;
        loop {
            // Literal IPs are fully checked here; names are checked here and their addresses
            // by the resolver at connect time.
            self.inner
                .guard
                .check_url(&hop.url)
                .map_err(OutboundError::Blocked)?;
            let response = self.dispatch(&hop).await?;
            let status = response.status().as_u16();
            let location = response
                .headers()
                .get(LOCATION)
                .filter(|_| redirect::is_redirect(status))
                .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
            let Some(location) = location else {
                return Ok(response);
            };
            if redirects >= self.inner.policy.max_redirects {
                return Err(OutboundError::Transport(format!(
                    "Too many redirects (more than {}).",
                    self.inner.policy.max_redirects
                )));
            }
            redirects += 1;
            let next = hop
                .url
                .join(location.trim())
                .map_err(|_| OutboundError::Blocked(INVALID_URL.to_owned()))?;
            let to = next.origin().ascii_serialization();
            tracing::debug!(to, status, "following redirect");
            hop = redirect::follow(hop, status, next);
        }
    }

    async fn dispatch(&self, hop: &Hop) -> Result<reqwest::Response, OutboundError> {
        let mut builder = self
            .inner
            .http
            .request(hop.method.clone(), hop.url.clone())
            .headers(hop.headers.clone());
        if let Some(body) = &hop.body {
            // Cloned because a 307/308 must resend it; bodies are small next to the network cost.
            builder = builder.body(body.clone());
        }
        builder
            .send()
            .await
            .map_err(|err| send_error(err, &hop.url))
    }
}

/// Logs a failed request by its origin only: paths and query strings often carry API keys.
fn log_failure(origin: Option<String>, err: &OutboundError) {
    let origin = origin.unwrap_or_default();
    tracing::info!(%origin, error = %err, "outbound request failed");
}

/// Reads the body, refusing to buffer more than `cap` bytes (announced or actual).
async fn read_body(
    mut response: reqwest::Response,
    cap: usize,
) -> Result<OutboundResponse, OutboundError> {
    let (status, headers) = head_of(&response);
    let announced = response.content_length().unwrap_or(0);
    if announced > cap as u64 {
        return Err(OutboundError::TooLarge(cap));
    }
    let mut body = Vec::with_capacity(usize::try_from(announced).unwrap_or(cap));
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|err| send_error(err, response.url()))?
    {
        if body.len() + chunk.len() > cap {
            return Err(OutboundError::TooLarge(cap));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(OutboundResponse {
        status,
        headers,
        body,
    })
}

/// The response head as owned strings (non-UTF-8 bytes replaced).
pub(super) fn head_of(response: &reqwest::Response) -> (u16, Vec<(String, String)>) {
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    (response.status().as_u16(), headers)
}

/// Maps a reqwest failure: a [`Rejection`] from the resolver becomes `Blocked`, a refused
/// connection reads like Node's `connect ECONNREFUSED host:port`, anything else keeps its chain
/// (without the URL, which may carry credentials in its query string).
pub(super) fn send_error(err: reqwest::Error, url: &Url) -> OutboundError {
    let err = err.without_url();
    let mut parts = Vec::new();
    let mut current: Option<&(dyn StdError + 'static)> = Some(&err);
    while let Some(e) = current {
        if let Some(Rejection(message)) = e.downcast_ref::<Rejection>() {
            return OutboundError::Blocked(message.clone());
        }
        if e.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::ConnectionRefused)
        {
            let host = url.host_str().unwrap_or_default();
            let port = url.port_or_known_default().unwrap_or_default();
            return OutboundError::Transport(format!("connect ECONNREFUSED {host}:{port}"));
        }
        parts.push(e.to_string());
        current = e.source();
    }
    OutboundError::Transport(parts.join(": "))
}

/// A deadline in whole seconds, rounded up so that sub-second deadlines do not read "(0s)".
pub(super) fn whole_seconds(limit: Duration) -> u64 {
    limit.as_secs() + u64::from(limit.subsec_nanos() > 0)
}
