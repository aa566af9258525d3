//! URL input and file-upload URLs: a port of validator.js `isURL` (the rules Typebot uses).

use std::net::{Ipv4Addr, Ipv6Addr};

/// validator.js `max_allowed_length`, counted in UTF-16 code units like JavaScript.
const MAX_URL_LEN: usize = 2084;

/// The subset of validator.js options the two entry points need.
struct UrlRules {
    /// `require_protocol`: the URL must start with `http://` or `https://`.
    require_protocol: bool,
    /// Accept the host `localhost` although it has no TLD.
    allow_localhost: bool,
}

/// Whether `text` is a URL for the URL input: validator.js `isURL` with protocols http/https,
/// protocol not required, TLD required, no protocol-relative URLs, no underscores in the host.
///
/// Valid: `example.com`, `https://example.com/path?q=1`, `http://user:pw@1.2.3.4:8080/x`.
/// Invalid: `not a url`, `http://localhost`, `ftp://x.com`, `javascript:alert(1)`, `//x.com`.
/// Like validator.js the text is not trimmed: surrounding whitespace makes it invalid.
pub fn is_url(text: &str) -> bool {
    check(
        text,
        &UrlRules {
            require_protocol: false,
            allow_localhost: false,
        },
    )
}

/// Whether `text` is an uploaded-file URL: it must start with `http://` or `https://`
/// (case-insensitive); the host needs a TLD unless it is `localhost` or an IP address.
///
/// Valid: `http://localhost:3000/f.png`, `https://127.0.0.1/x`, `https://s3.example.com/b/f.pdf`.
/// Invalid: `example.com/f.png` (no protocol), `http://minio/f.png` (no TLD), `ftp://x.com/f`.
pub fn is_http_url_lenient(text: &str) -> bool {
    check(
        text,
        &UrlRules {
            require_protocol: true,
            allow_localhost: true,
        },
    )
}

fn check(url: &str, rules: &UrlRules) -> bool {
    if url.is_empty()
        || url
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '<' | '>' | '\u{feff}'))
        || url.starts_with("mailto:")
        || url.encode_utf16().count() > MAX_URL_LEN
    {
        return false;
    }
    let url = url.split('#').next().unwrap_or_default();
    let url = url.split('?').next().unwrap_or_default();
    let rest = match url.split_once("://") {
        Some((protocol, rest)) => {
            let protocol = protocol.to_ascii_lowercase();
            if protocol != "http" && protocol != "https" {
                return false;
            }
            rest
        }
        None if rules.require_protocol || url.starts_with("//") => return false,
        None => url,
    };
    if rest.is_empty() {
        return false;
    }
    let authority = rest.split('/').next().unwrap_or_default();
    let hostname = match authority.split_once('@') {
        Some((auth, host)) => {
            if auth.is_empty() || auth.split(':').count() > 2 || auth == ":" {
                return false;
            }
            host
        }
        None => authority,
    };
    let (host, port) = match split_bracketed_ipv6(hostname) {
        Some((ipv6, port)) => {
            if ipv6.parse::<Ipv6Addr>().is_err() {
                return false;
            }
            ("", port)
        }
        None => match hostname.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (hostname, None),
        },
    };
    if let Some(port) = port.filter(|p| !p.is_empty()) {
        let valid = port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u32>().is_ok_and(|p| (1..=65_535).contains(&p));
        if !valid {
            return false;
        }
    }
    host.is_empty() // a bracketed IPv6 host, already checked
        || is_ip(host)
        || is_fqdn(host)
        || (rules.allow_localhost && host.eq_ignore_ascii_case("localhost"))
}

/// validator.js `wrapped_ipv6`: `[addr]` optionally followed by `:port` (digits only).
fn split_bracketed_ipv6(hostname: &str) -> Option<(&str, Option<&str>)> {
    let inner = hostname.strip_prefix('[')?;
    let (addr, after) = inner.split_once(']')?;
    if addr.is_empty() {
        return None;
    }
    match after {
        "" => Some((addr, None)),
        _ => {
            let port = after.strip_prefix(':')?;
            let digits = !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit());
            digits.then_some((addr, Some(port)))
        }
    }
}

/// IPv4 in dotted-decimal without leading zeros (validator.js `isIP`), or an IPv6 literal.
fn is_ip(host: &str) -> bool {
    host.parse::<Ipv4Addr>().is_ok() || host.parse::<Ipv6Addr>().is_ok()
}

/// validator.js `isFQDN` with `require_tld`, no underscores, no trailing dot, no numeric TLD.
fn is_fqdn(host: &str) -> bool {
    let parts: Vec<&str> = host.split('.').collect();
    let tld = parts.last().copied().unwrap_or_default();
    if parts.len() < 2 || !is_valid_tld(tld) {
        return false;
    }
    parts.iter().all(|part| {
        !part.is_empty()
            && part.encode_utf16().count() <= 63
            && !part.starts_with('-')
            && !part.ends_with('-')
            && part.chars().all(|c| {
                (c.is_ascii_alphanumeric() || c == '-' || c >= '\u{a1}')
                    && !('\u{ff01}'..='\u{ff5e}').contains(&c)
            })
    })
}

/// TLD: two or more letters (Latin or non-ASCII letters in validator.js' ranges), or punycode.
fn is_valid_tld(tld: &str) -> bool {
    let lower = tld.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("xn")
        && rest.len() >= 2
        && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return true;
    }
    tld.chars().count() >= 2
        && tld.chars().all(|c| {
            c.is_ascii_alphabetic()
                || ('\u{a1}'..='\u{a8}').contains(&c)
                || ('\u{aa}'..='\u{d7ff}').contains(&c)
                || ('\u{f900}'..='\u{fdcf}').contains(&c)
                || ('\u{fdf0}'..='\u{ffef}').contains(&c)
        })
}

#[cfg(test)]
mod tests {
    use super::{is_http_url_lenient, is_url};

    #[test]
    fn url_input_accepts() {
        for ok in [
            "example.com",
            "www.example.com",
            "https://example.com/path?q=1",
            "http://example.com:8080/a/b#frag",
            "HTTPS://EXAMPLE.COM",
            "http://user:pw@example.com",
            "http://1.2.3.4",
            "1.2.3.4:80/x",
            "http://[::1]:8080/x",
            "sub-domain.example.co.uk/x?y=z&w",
            "https://münchen.de",
            "https://example.xn--p1ai",
        ] {
            assert!(is_url(ok), "{ok}");
        }
    }

    #[test]
    fn url_input_rejects() {
        for bad in [
            "",
            "not a url",
            "http://localhost",
            "localhost:3000",
            "ftp://x.com",
            "javascript:alert(1)",
            "mailto:a@b.com",
            "//example.com",
            "http://",
            "https://example",
            "example.c",
            "example.123",
            "http://ex_ample.com",
            "http://-example.com",
            "http://example-.com",
            "http://example..com",
            "http://example.com.",
            "http://example.com:0",
            "http://example.com:65536",
            "http://example.com:80a",
            "http://@example.com",
            "http://a:b:c@example.com",
            "http://:@example.com",
            "http://01.2.3.4",
            "http://256.1.1.1",
            "http://[zz::1]",
            " example.com",
            "example.com ",
            "<example.com>",
            "http://ｅｘａｍｐｌｅ.com",
        ] {
            assert!(!is_url(bad), "{bad:?}");
        }
        assert!(!is_url(&format!("example.com/{}", "a".repeat(2100))));
    }

    #[test]
    fn lenient_file_urls() {
        for ok in [
            "http://localhost:3000/f.png",
            "http://LOCALHOST/f.png",
            "https://127.0.0.1/x",
            "https://s3.example.com/bucket/f.pdf",
            "https://[::1]/f",
        ] {
            assert!(is_http_url_lenient(ok), "{ok}");
        }
        for bad in [
            "example.com/f.png",
            "http://minio/f.png",
            "ftp://x.com/f",
            "https://",
            "not a url",
            "http://local host/f",
        ] {
            assert!(!is_http_url_lenient(bad), "{bad:?}");
        }
    }
}
