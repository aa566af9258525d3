//! The SSRF guard: URL, host-name and address checks, the allowlist, and the validating
//! DNS resolver that the HTTP client connects through.
//!
//! Pinning: [`GuardedResolver`] is installed as reqwest's only DNS resolver. hyper's connector
//! connects to exactly the socket addresses this resolver returns, and the resolver returns
//! them only after every one has passed [`Guard::check_ip`]. Check and connect therefore use
//! the same DNS answer; there is no second lookup a rebinding server could answer differently.
//! Literal IP hosts never reach a resolver, so [`Guard::check_url`] validates them up front.

use std::collections::HashSet;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::ip::{self, METADATA_MESSAGE};

/// Message for input that is not an absolute URL (golden: `ssrf-test.json`).
pub(crate) const INVALID_URL: &str = "Invalid URL format";
/// Message for schemes other than http and https.
pub(crate) const BAD_SCHEME: &str = "Only HTTP and HTTPS protocols are allowed.";
/// Message for `localhost` and `*.localhost` (golden: `webhook.json`).
pub(crate) const LOCALHOST: &str = "Access to localhost is not allowed for security reasons.";

/// Host names of cloud metadata services. Blocked always, allowlist or not.
const METADATA_HOSTS: [&str; 9] = [
    "metadata",
    "metadata.google.internal",
    "metadata.goog",
    "metadata.azure.com",
    "metadata.ec2.internal",
    "instance-data",
    "instance-data.ec2.internal",
    "metadata.tencentyun.com",
    "metadata.platformequinix.com",
];

/// DNS failure text, as Node's `getaddrinfo` reports it (golden: `movie-recommendation.json`).
pub(crate) fn not_found(host: &str) -> String {
    format!("getaddrinfo ENOTFOUND {host}")
}

/// What a validated URL points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// A literal address, already validated.
    Ip(IpAddr),
    /// A host name that passed the name checks; its addresses are validated at resolution.
    Name(String),
}

/// The allowlist plus the checks. Immutable once built; shared by the client and its resolver.
#[derive(Debug, Default)]
pub(crate) struct Guard {
    allowed_names: HashSet<String>,
    allowed_ips: Vec<IpAddr>,
}

/// Lower-cases and strips brackets and trailing dots, so `LOCALHOST.` and `localhost` compare equal.
fn normalize_host(host: &str) -> String {
    host.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

impl Guard {
    /// Builds the guard from `policy.allowed_hosts` (names or IPs, exact match after normalising).
    pub(crate) fn new(allowed_hosts: &[String]) -> Self {
        let mut guard = Self::default();
        for entry in allowed_hosts.iter().map(|h| normalize_host(h)) {
            match entry.parse::<IpAddr>() {
                Ok(ip) => guard.allowed_ips.push(ip.to_canonical()),
                Err(_) if !entry.is_empty() => {
                    guard.allowed_names.insert(entry);
                }
                Err(_) => {}
            }
        }
        guard
    }

    /// Parses an absolute URL; anything unparsable is "Invalid URL format".
    pub(crate) fn parse_url(raw: &str) -> Result<Url, String> {
        Url::parse(raw.trim()).map_err(|_| INVALID_URL.to_owned())
    }

    /// Checks scheme and host without touching the network. The `url` crate has already
    /// normalised numeric IPv4 forms (`2130706433`, `0x7f.1`, `0177.0.0.1`) into addresses.
    pub(crate) fn check_url(&self, url: &Url) -> Result<Target, String> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(BAD_SCHEME.to_owned());
        }
        // `host_str` is a dotted quad for every IPv4 form and `[...]` for IPv6, so parsing the
        // normalised string recovers literal addresses; everything else is a domain name.
        let name = normalize_host(url.host_str().unwrap_or_default());
        if name.is_empty() {
            return Err(INVALID_URL.to_owned());
        }
        if let Ok(ip) = name.parse::<IpAddr>() {
            self.check_ip(&name, ip)?;
            return Ok(Target::Ip(ip));
        }
        self.check_name(&name)?;
        Ok(Target::Name(name))
    }

    /// Name rules applied before any DNS query: metadata names always, localhost unless allowlisted.
    pub(crate) fn check_name(&self, name: &str) -> Result<(), String> {
        let name = normalize_host(name);
        if METADATA_HOSTS.contains(&name.as_str()) {
            return Err(METADATA_MESSAGE.to_owned());
        }
        if (name == "localhost" || name.ends_with(".localhost"))
            && !self.allowed_names.contains(&name)
        {
            return Err(LOCALHOST.to_owned());
        }
        Ok(())
    }

    /// Judges one address reached through `host`. The allowlist re-allows the address when
    /// `host` or the address itself is listed, except for link-local and metadata addresses.
    pub(crate) fn check_ip(&self, host: &str, ip: IpAddr) -> Result<(), String> {
        let Some(blocked) = ip::classify(ip) else {
            return Ok(());
        };
        if !blocked.always
            && (self.allowed_names.contains(&normalize_host(host))
                || self.allowed_ips.contains(&ip.to_canonical()))
        {
            return Ok(());
        }
        Err(blocked.message())
    }

    /// Validates every address of a DNS answer; one bad address rejects the whole answer
    /// (a rebinding server must not get a second chance through happy-eyeballs fallback).
    pub(crate) fn check_answer(
        &self,
        host: &str,
        addrs: Vec<SocketAddr>,
    ) -> Result<Vec<SocketAddr>, String> {
        if addrs.is_empty() {
            return Err(not_found(host));
        }
        for addr in &addrs {
            self.check_ip(host, addr.ip())?;
        }
        Ok(addrs)
    }

    /// Resolves `host` with the system resolver and validates the answer.
    pub(crate) async fn resolve(&self, host: &str) -> Result<Vec<SocketAddr>, String> {
        let host = normalize_host(host);
        if let Ok(ip) = host.parse::<IpAddr>() {
            self.check_ip(&host, ip)?;
            return Ok(vec![SocketAddr::new(ip, 0)]);
        }
        self.check_name(&host)?;
        let addrs = match tokio::net::lookup_host((host.as_str(), 0)).await {
            Ok(addrs) => addrs.collect(),
            Err(err) => {
                tracing::debug!(%host, %err, "outbound DNS lookup failed");
                return Err(not_found(&host));
            }
        };
        self.check_answer(&host, addrs)
    }
}

/// A refusal raised inside the resolver; [`super::client`] finds it in reqwest's error chain
/// and turns it back into [`super::OutboundError::Blocked`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rejection(pub(crate) String);

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Rejection {}

/// reqwest's DNS resolver: system lookup, then [`Guard::check_answer`]. The connector uses
/// only the addresses returned here, which is what pins the connection to validated IPs.
#[derive(Debug, Clone)]
pub(crate) struct GuardedResolver {
    guard: Arc<Guard>,
}

impl GuardedResolver {
    pub(crate) fn new(guard: Arc<Guard>) -> Self {
        Self { guard }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = Arc::clone(&self.guard);
        let host = name.as_str().to_owned();
        Box::pin(async move {
            match guard.resolve(&host).await {
                Ok(addrs) => {
                    tracing::trace!(%host, ?addrs, "outbound DNS answer validated");
                    Ok(Box::new(addrs.into_iter()) as Addrs)
                }
                Err(message) => {
                    tracing::info!(%host, %message, "outbound request blocked at resolution");
                    Err(Box::new(Rejection(message)) as Box<dyn std::error::Error + Send + Sync>)
                }
            }
        })
    }
}
