//! Request header hygiene and the manual redirect rules (reqwest's own redirect following is
//! off, so every hop goes back through the guard before it is sent).

use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};

use super::OutboundError;

/// Headers that only make sense towards a cloud metadata service. Dropped from every request:
/// without them IMDSv2, GCP and Azure metadata refuse to answer even if something slips through.
const IMDS_HEADERS: [&str; 5] = [
    "metadata-flavor",
    "metadata",
    "x-google-metadata-request",
    "x-aws-ec2-metadata-token",
    "x-aws-ec2-metadata-token-ttl-seconds",
];

/// Framing headers the client computes itself; taking them from a bot could desynchronise the
/// connection (request smuggling) or misroute virtual hosts.
const FRAMING_HEADERS: [&str; 5] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "upgrade",
];

/// Credentials that must not follow a redirect to another origin.
const CREDENTIAL_HEADERS: [HeaderName; 3] = [
    header::AUTHORIZATION,
    header::COOKIE,
    header::PROXY_AUTHORIZATION,
];

/// Headers that describe a request body; dropped when a redirect drops the body.
const BODY_HEADERS: [HeaderName; 4] = [
    header::CONTENT_TYPE,
    header::CONTENT_ENCODING,
    header::CONTENT_LANGUAGE,
    header::CONTENT_LOCATION,
];

/// Parses the caller's method ("get" is accepted as GET).
pub(crate) fn parse_method(method: &str) -> Result<Method, OutboundError> {
    Method::from_bytes(method.trim().to_ascii_uppercase().as_bytes())
        .map_err(|_| OutboundError::Transport(format!("Invalid HTTP method: {method}")))
}

/// Turns the caller's header list into a `HeaderMap`, dropping IMDS and framing headers.
pub(crate) fn build_headers(pairs: &[(String, String)]) -> Result<HeaderMap, OutboundError> {
    let mut map = HeaderMap::with_capacity(pairs.len());
    for (name, value) in pairs {
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| OutboundError::Transport(format!("Invalid header name: {name}")))?;
        if IMDS_HEADERS.contains(&name.as_str()) || FRAMING_HEADERS.contains(&name.as_str()) {
            tracing::debug!(header = %name, "dropped outbound header");
            continue;
        }
        let value = HeaderValue::from_str(value)
            .map_err(|_| OutboundError::Transport(format!("Invalid header value for {name}")))?;
        map.append(name, value);
    }
    Ok(map)
}

/// Whether `status` is a redirect this client follows (when a `Location` is present).
pub(crate) fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// The request state carried from one hop to the next.
#[derive(Debug)]
pub(crate) struct Hop {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Vec<u8>>,
}

/// Computes the next hop for a redirect response, following fetch's rules: 303 becomes GET
/// (HEAD stays HEAD), 301/302 turn POST into GET, 307/308 keep method and body. A change of
/// origin drops `Authorization`, `Cookie` and `Proxy-Authorization`.
pub(crate) fn follow(hop: Hop, status: u16, next: Url) -> Hop {
    let Hop {
        mut method,
        url,
        mut headers,
        mut body,
    } = hop;
    let to_get = match status {
        303 => method != Method::HEAD,
        301 | 302 => method == Method::POST,
        _ => false,
    };
    if to_get {
        method = Method::GET;
        body = None;
        for name in &BODY_HEADERS {
            headers.remove(name);
        }
    }
    if url.origin() != next.origin() {
        for name in &CREDENTIAL_HEADERS {
            if headers.remove(name).is_some() {
                tracing::debug!(header = %name, to = %next.origin().ascii_serialization(), "stripped on cross-origin redirect");
            }
        }
    }
    Hop {
        method,
        url: next,
        headers,
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hop(method: Method, url: &str, headers: &[(&str, &str)]) -> Hop {
        let pairs: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        Hop {
            method,
            url: Url::parse(url).expect("url"),
            headers: build_headers(&pairs).expect("headers"),
            body: Some(b"{}".to_vec()),
        }
    }

    #[test]
    fn imds_and_framing_headers_are_always_dropped() {
        let pairs = [
            ("Metadata-Flavor", "Google"),
            ("X-aws-ec2-metadata-token", "t"),
            ("Metadata", "true"),
            ("Host", "evil"),
            ("Content-Length", "0"),
            ("X-Keep", "1"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let map = build_headers(&pairs).expect("valid headers");
        assert_eq!(map.len(), 1);
        assert_eq!(map.get("x-keep").map(|v| v.as_bytes()), Some(&b"1"[..]));
    }

    #[test]
    fn invalid_headers_and_methods_are_transport_errors() {
        assert!(build_headers(&[("bad name".into(), "v".into())]).is_err());
        assert!(build_headers(&[("x".into(), "a\nb".into())]).is_err());
        assert!(parse_method("GE T").is_err());
        assert_eq!(parse_method("patch").ok(), Some(Method::PATCH));
    }

    #[test]
    fn cross_origin_redirect_strips_credentials_same_origin_keeps_them() {
        let creds = [
            ("Authorization", "Bearer x"),
            ("Cookie", "a=b"),
            ("X-Keep", "1"),
        ];
        let next = Url::parse("http://a.example/next").expect("url");
        let same = follow(hop(Method::GET, "http://a.example/", &creds), 302, next);
        assert!(same.headers.contains_key(header::AUTHORIZATION));
        assert!(same.headers.contains_key(header::COOKIE));
        for target in [
            "http://b.example/",
            "https://a.example/",
            "http://a.example:8080/",
        ] {
            let next = Url::parse(target).expect("url");
            let other = follow(hop(Method::GET, "http://a.example/", &creds), 307, next);
            assert!(
                !other.headers.contains_key(header::AUTHORIZATION),
                "{target}"
            );
            assert!(!other.headers.contains_key(header::COOKIE), "{target}");
            assert!(other.headers.contains_key("x-keep"), "{target}");
        }
    }

    #[test]
    fn methods_change_like_fetch() {
        let next = || Url::parse("http://a.example/n").expect("url");
        let ct = [("Content-Type", "application/json")];
        let h = follow(hop(Method::POST, "http://a.example/", &ct), 303, next());
        assert_eq!((h.method, h.body, h.headers.len()), (Method::GET, None, 0));
        let h = follow(hop(Method::POST, "http://a.example/", &ct), 302, next());
        assert_eq!((h.method, h.body), (Method::GET, None));
        let h = follow(hop(Method::PUT, "http://a.example/", &ct), 302, next());
        assert_eq!(h.method, Method::PUT);
        let h = follow(hop(Method::POST, "http://a.example/", &ct), 307, next());
        assert_eq!((h.method, h.body), (Method::POST, Some(b"{}".to_vec())));
        let h = follow(hop(Method::HEAD, "http://a.example/", &[]), 303, next());
        assert_eq!(h.method, Method::HEAD);
    }
}
