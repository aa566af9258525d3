//! Refusals: every blocked address class, name rule and scheme, at the guard and through
//! [`SafeClient`], without any server running.

use super::*;
use std::net::SocketAddr;

use crate::net::guard::{Guard, Target, not_found};

#[tokio::test]
async fn literal_ips_of_every_blocked_class_are_refused_before_connecting() {
    let c = client(&[]);
    let cases = [
        ("http://127.0.0.1:3001/api/healthz", LOOPBACK.to_owned()),
        // The url crate normalises decimal, hex, octal and short IPv4 forms to dotted quads.
        ("http://2130706433/", LOOPBACK.to_owned()),
        ("http://0x7f.1/", LOOPBACK.to_owned()),
        ("http://0177.0.0.1/", LOOPBACK.to_owned()),
        ("http://127.1/", LOOPBACK.to_owned()),
        ("http://127.0.0.1./", LOOPBACK.to_owned()),
        ("http://[::ffff:127.0.0.1]/", LOOPBACK.to_owned()),
        ("http://[::ffff:7f00:1]/", LOOPBACK.to_owned()),
        ("http://[::127.0.0.1]/", LOOPBACK.to_owned()),
        ("http://[64:ff9b::7f00:1]/", LOOPBACK.to_owned()),
        ("http://[2002:7f00:1::1]/", LOOPBACK.to_owned()),
        ("http://[::1]:8080/", range("loopback addresses", "::1")),
        (
            "http://0.0.0.0/",
            range("unspecified addresses", "0.0.0.0/8"),
        ),
        ("http://0/", range("unspecified addresses", "0.0.0.0/8")),
        ("http://[::]/", range("unspecified addresses", "::")),
        ("http://10.0.0.1/", range("private addresses", "10.0.0.0/8")),
        (
            "https://172.16.5.4/",
            range("private addresses", "172.16.0.0/12"),
        ),
        (
            "http://192.168.1.1/",
            range("private addresses", "192.168.0.0/16"),
        ),
        (
            "http://[::ffff:192.168.1.1]/",
            range("private addresses", "192.168.0.0/16"),
        ),
        (
            "http://100.64.0.1/",
            range("carrier-grade NAT addresses", "100.64.0.0/10"),
        ),
        (
            "http://169.254.169.254/latest/meta-data/",
            METADATA.to_owned(),
        ),
        ("http://[::ffff:a9fe:a9fe]/", METADATA.to_owned()),
        ("http://[fd00:ec2::254]/", METADATA.to_owned()),
        (
            "http://169.254.1.1/",
            range("link-local addresses", "169.254.0.0/16"),
        ),
        (
            "http://[fe80::1]/",
            range("link-local addresses", "fe80::/10"),
        ),
        (
            "http://[fc00::1]/",
            range("unique local addresses", "fc00::/7"),
        ),
        (
            "http://224.0.0.1/",
            range("multicast addresses", "224.0.0.0/4"),
        ),
        (
            "http://[ff02::1]/",
            range("multicast addresses", "ff00::/8"),
        ),
        (
            "http://255.255.255.255/",
            range("broadcast addresses", "255.255.255.255"),
        ),
        (
            "http://192.0.2.1/",
            range("documentation addresses", "192.0.2.0/24"),
        ),
        (
            "http://198.18.0.1/",
            range("benchmarking addresses", "198.18.0.0/15"),
        ),
        (
            "http://[2001:db8::1]/",
            range("documentation addresses", "2001:db8::/32"),
        ),
    ];
    for (url, message) in cases {
        assert_eq!(c.check_url(url).await, blocked(&message), "check_url {url}");
        assert_eq!(send_status(&c, url).await, blocked(&message), "send {url}");
    }
    let err = c
        .send(request("GET", "http://127.0.0.1:3001/", &[]))
        .await
        .expect_err("blocked");
    assert_eq!(
        err.to_string(),
        format!("Security validation failed: {LOOPBACK}")
    );
}

#[tokio::test]
async fn localhost_names_are_refused_without_dns() {
    let c = client(&[]);
    for url in [
        "http://localhost:3000/api/mock/fail",
        "http://LOCALHOST./",
        "https://api.localhost/x",
        "http://%6cocalhost/",
    ] {
        assert_eq!(c.check_url(url).await, blocked(LOCALHOST), "{url}");
        assert_eq!(send_status(&c, url).await, blocked(LOCALHOST), "{url}");
    }
}

#[tokio::test]
async fn metadata_hosts_stay_blocked_even_when_allowlisted() {
    let c = client(&[
        "metadata.google.internal",
        "169.254.169.254",
        "fe80::1",
        "instance-data",
    ]);
    for url in [
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://instance-data/",
        "http://169.254.169.254/",
    ] {
        assert_eq!(c.check_url(url).await, blocked(METADATA), "{url}");
        assert_eq!(send_status(&c, url).await, blocked(METADATA), "{url}");
    }
    assert_eq!(
        c.check_url("http://[fe80::1]/").await,
        blocked(&range("link-local addresses", "fe80::/10"))
    );
}

#[tokio::test]
async fn unknown_host_reports_getaddrinfo_enotfound() {
    let c = client(&[]);
    let url = "https://tessera-no-such-host.invalid/3/trending/movie/week";
    let expected = blocked("getaddrinfo ENOTFOUND tessera-no-such-host.invalid");
    assert_eq!(c.check_url(url).await, expected);
    assert_eq!(send_status(&c, url).await, expected);
}

#[tokio::test]
async fn only_http_and_https_urls_are_accepted() {
    let c = client(&[]);
    for url in [
        "ftp://example.com/",
        "file:///etc/passwd",
        "gopher://example.com/",
        "javascript:alert(1)",
        "data:text/plain,hi",
        "ws://example.com/",
    ] {
        assert_eq!(
            c.check_url(url).await,
            blocked("Only HTTP and HTTPS protocols are allowed."),
            "{url}"
        );
    }
    for url in ["John", "", "http://", "http://[::1/", "http://999.1.1.1/"] {
        assert_eq!(
            c.check_url(url).await,
            blocked("Invalid URL format"),
            "{url:?}"
        );
        assert_eq!(
            send_status(&c, url).await,
            blocked("Invalid URL format"),
            "{url:?}"
        );
    }
}

fn guard(allowed: &[&str]) -> Guard {
    Guard::new(&allowed.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
}

fn check(g: &Guard, url: &str) -> Result<Target, String> {
    g.check_url(&Guard::parse_url(url)?)
}

fn err<T>(message: &str) -> Result<T, String> {
    Err(message.to_owned())
}

fn addrs(ips: &[&str]) -> Vec<SocketAddr> {
    ips.iter()
        .map(|s| SocketAddr::new(s.parse().expect("ip"), 0))
        .collect()
}

#[test]
fn allowlist_reallows_exact_hosts_and_ips_but_never_metadata_or_link_local() {
    let listed = [
        "127.0.0.1",
        "Internal.Example.",
        "localhost",
        "169.254.169.254",
        "metadata",
    ];
    let g = guard(&[&listed[..], &["[fe80::1]"]].concat());
    let ip = "127.0.0.1".parse().expect("ip");
    assert_eq!(check(&g, "http://127.0.0.1:8080/"), Ok(Target::Ip(ip)));
    assert_eq!(check(&g, "http://127.0.0.2/"), err(LOOPBACK));
    assert_eq!(
        check(&g, "http://localhost/"),
        Ok(Target::Name("localhost".into()))
    );
    assert_eq!(check(&g, "http://a.localhost/"), err(LOCALHOST));
    assert_eq!(check(&g, "http://169.254.169.254/"), err(METADATA));
    assert_eq!(check(&g, "http://metadata/"), err(METADATA));
    assert_eq!(
        check(&g, "http://[fe80::1]/"),
        err(&range("link-local addresses", "fe80::/10"))
    );
    // A listed name re-allows what it resolves to, except link-local/metadata.
    assert!(
        g.check_answer("internal.example", addrs(&["10.1.2.3"]))
            .is_ok()
    );
    assert!(
        g.check_answer("other.example", addrs(&["10.1.2.3"]))
            .is_err()
    );
    let imds = g.check_answer("internal.example", addrs(&["169.254.169.254"]));
    assert_eq!(imds, err(METADATA));
}

#[test]
fn every_resolved_address_must_pass() {
    let g = guard(&[]);
    assert!(
        g.check_answer("ok.example", addrs(&["8.8.8.8", "2606:4700::1111"]))
            .is_ok()
    );
    let rebind = g.check_answer("rebind.example", addrs(&["8.8.8.8", "127.0.0.1"]));
    assert_eq!(rebind, err(LOOPBACK));
    assert_eq!(
        g.check_answer("empty.example", vec![]),
        err(&not_found("empty.example"))
    );
}

#[test]
fn names_are_normalised_before_matching() {
    let g = guard(&[]);
    // Case, trailing dots, percent-encoding and IDNA compatibility forms all end up as localhost.
    let urls = [
        "http://LOCALHOST./",
        "http://foo.localhost/",
        "http://\u{24db}ocalhost/",
    ];
    for url in urls.into_iter().chain(["http://%6c%6fcalhost/"]) {
        assert_eq!(check(&g, url), err(LOCALHOST), "{url}");
    }
    for url in [
        "http://METADATA.google.internal./",
        "http://instance-data/latest",
    ] {
        assert_eq!(check(&g, url), err(METADATA), "{url}");
    }
}
