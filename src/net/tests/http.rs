//! Exchanges with local servers: allowlisted success, name resolution through the guarded
//! resolver, deadlines, the body cap and transport failures.

use super::*;

#[tokio::test]
async fn allowlisted_local_server_returns_status_headers_and_body() {
    let server = serve(|req: &str| {
        let body = req.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
        reply("201 Created", "Content-Type: application/json\r\n", &body)
    })
    .await;
    let c = client(&["127.0.0.1"]);
    let mut req = request(
        "post",
        &server.url("/hook?x=1"),
        &[("Content-Type", "application/json")],
    );
    req.body = Some(br#"{"name":"John"}"#.to_vec());
    let res = c.send(req).await.expect("allowlisted server answers");
    assert_eq!(res.status, 201);
    assert_eq!(res.body, br#"{"name":"John"}"#);
    assert!(
        res.headers
            .iter()
            .any(|(k, v)| k == "content-type" && v == "application/json")
    );
    assert!(server.seen()[0].starts_with("POST /hook?x=1 HTTP/1.1\r\n"));
    assert_eq!(c.check_url(&server.url("/")).await, Ok(()));
}

#[tokio::test]
async fn running_local_server_is_unreachable_without_allowlist() {
    let server = serve(|_: &str| reply("200 OK", "", "secret")).await;
    assert_eq!(
        send_status(&client(&[]), &server.url("/")).await,
        blocked(LOOPBACK)
    );
    assert!(server.seen().is_empty(), "no connection was made");
}

#[tokio::test]
async fn slow_server_times_out_with_typebot_message() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        if let Ok((stream, _)) = listener.accept().await {
            tokio::time::sleep(Duration::from_secs(5)).await;
            drop(stream);
        }
    });
    let mut req = request("GET", &format!("http://{addr}/slow"), &[]);
    req.timeout = Some(Duration::from_millis(300));
    let started = std::time::Instant::now();
    let err = client(&["127.0.0.1"])
        .send(req)
        .await
        .expect_err("times out");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(err, OutboundError::Timeout(1));
    assert_eq!(err.to_string(), "Request timed out. (1s)");
}

#[tokio::test]
async fn bodies_over_the_cap_are_refused() {
    let policy = OutboundPolicy {
        allowed_hosts: vec!["127.0.0.1".into()],
        max_body_bytes: 1024,
        ..OutboundPolicy::default()
    };
    let c = client_with(policy);
    let announced = serve(|_: &str| reply("200 OK", "", &"a".repeat(2048))).await;
    assert_eq!(
        send_status(&c, &announced.url("/")).await,
        Err(OutboundError::TooLarge(1024))
    );
    // No Content-Length: the body runs until the connection closes, and is cut off while read.
    let streamed = serve(|_: &str| {
        format!(
            "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{}",
            "b".repeat(4096)
        )
        .into_bytes()
    })
    .await;
    assert_eq!(
        send_status(&c, &streamed.url("/")).await,
        Err(OutboundError::TooLarge(1024))
    );
    let exact = serve(|_: &str| reply("200 OK", "", &"c".repeat(1024))).await;
    let res = c
        .send(request("GET", &exact.url("/"), &[]))
        .await
        .expect("at the cap is fine");
    assert_eq!(res.body.len(), 1024);
}

#[tokio::test]
async fn host_names_are_judged_by_the_addresses_they_resolve_to() {
    let server = serve(|_: &str| reply("200 OK", "", "via name")).await;
    // An allowlisted name goes through the validating resolver and reaches the server.
    let port = server.addr.port();
    let res = client(&["localhost"])
        .send(request("GET", &format!("http://localhost:{port}/"), &[]))
        .await;
    assert_eq!(res.map(|r| r.body), Ok(b"via name".to_vec()));
    // A name that is not `localhost` but resolves to loopback (a hosts-file alias) is refused at
    // resolution time, and the resolver's message survives reqwest's error chain.
    let mut alias = None;
    for name in ["vm", "runsc", "ip6-localhost", "ip6-loopback"] {
        if let Ok(mut addrs) = tokio::net::lookup_host((name, 0)).await
            && addrs.any(|a| a.ip().is_loopback())
        {
            alias = Some(name);
            break;
        }
    }
    let Some(alias) = alias else {
        eprintln!("no hosts-file alias for loopback on this machine; resolver path not exercised");
        return;
    };
    let url = format!("http://{alias}:{port}/");
    let sent = send_status(&client(&[]), &url).await;
    assert!(
        matches!(&sent, Err(OutboundError::Blocked(m)) if m.starts_with("Access to loopback addresses")),
        "{sent:?}"
    );
    assert!(matches!(
        client(&[]).check_url(&url).await,
        Err(OutboundError::Blocked(_))
    ));
    assert_eq!(
        send_status(&client(&[alias]), &url).await,
        Ok(()),
        "allowlisted alias"
    );
    assert_eq!(
        server.seen().len(),
        2,
        "only the allowlisted requests connected"
    );
}

#[test]
fn default_policy_matches_the_documented_limits() {
    let p = OutboundPolicy::default();
    assert!(p.allowed_hosts.is_empty());
    assert_eq!(
        (p.default_timeout, p.max_body_bytes, p.max_redirects),
        (Duration::from_secs(10), 5 * 1024 * 1024, 5)
    );
}

#[tokio::test]
async fn transport_failures_are_reported_without_panicking() {
    let c = client(&["127.0.0.1"]);
    // Port 1 on loopback: nothing listens there.
    let refused = send_status(&c, "http://127.0.0.1:1/").await;
    assert_eq!(
        refused,
        Err(OutboundError::Transport(
            "connect ECONNREFUSED 127.0.0.1:1".into()
        ))
    );
    // TLS against a plain-HTTP server: the ring provider is in place, the handshake just fails.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        if let Ok((mut stream, _)) = listener.accept().await {
            let _ = stream.write_all(&reply("200 OK", "", "not tls")).await;
        }
    });
    let mut req = request("GET", &format!("https://{addr}/"), &[]);
    req.timeout = Some(Duration::from_secs(5));
    let tls = c.send(req).await.map(drop);
    assert!(matches!(tls, Err(OutboundError::Transport(_))), "{tls:?}");
    let bad = c.send(request("GE T", "http://127.0.0.1:1/", &[])).await;
    assert_eq!(
        bad.map(drop),
        Err(OutboundError::Transport("Invalid HTTP method: GE T".into()))
    );
}
