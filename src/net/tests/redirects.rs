//! Manual redirect following against local servers: re-validation of every hop, credential
//! stripping across origins, method rewriting and the hop limit.

use super::*;

#[tokio::test]
async fn redirect_to_a_loopback_address_not_allowlisted_is_blocked() {
    let target = format!("http://127.0.0.2:{}/admin", 9);
    let server = serve(redirect_to("302 Found", target)).await;
    assert_eq!(
        send_status(&client(&["127.0.0.1"]), &server.url("/")).await,
        blocked(LOOPBACK)
    );
    let meta = serve(redirect_to(
        "307 Temporary Redirect",
        "http://metadata.google.internal/".into(),
    ))
    .await;
    assert_eq!(
        send_status(&client(&["127.0.0.1"]), &meta.url("/")).await,
        blocked(METADATA)
    );
    let file = serve(redirect_to(
        "301 Moved Permanently",
        "file:///etc/passwd".into(),
    ))
    .await;
    let res = send_status(&client(&["127.0.0.1"]), &file.url("/")).await;
    assert_eq!(res, blocked("Only HTTP and HTTPS protocols are allowed."));
}

#[tokio::test]
async fn cross_origin_redirect_is_followed_without_credentials_or_imds_headers() {
    let echo = serve(|req: &str| reply("200 OK", "", req)).await;
    let start = serve(redirect_to("307 Temporary Redirect", echo.url("/landing"))).await;
    let c = client(&["127.0.0.1"]);
    let headers = [
        ("Authorization", "Bearer secret"),
        ("Cookie", "sid=1"),
        ("Metadata-Flavor", "Google"),
        ("X-aws-ec2-metadata-token", "t"),
        ("X-Keep", "yes"),
    ];
    let mut req = request("POST", &start.url("/start"), &headers);
    req.body = Some(b"payload".to_vec());
    let res = c.send(req).await.expect("redirect followed");
    assert_eq!(res.status, 200);
    let landed = String::from_utf8_lossy(&res.body).to_ascii_lowercase();
    assert!(
        landed.starts_with("post /landing http/1.1"),
        "307 keeps the method: {landed}"
    );
    assert!(landed.ends_with("payload"), "307 keeps the body");
    assert!(landed.contains("x-keep: yes"));
    for gone in [
        "authorization",
        "cookie",
        "metadata-flavor",
        "x-aws-ec2-metadata-token",
    ] {
        assert!(
            !landed.contains(gone),
            "{gone} must not cross origins: {landed}"
        );
    }
    let first = start.seen()[0].to_ascii_lowercase();
    assert!(
        first.contains("authorization: bearer secret"),
        "same origin still gets credentials"
    );
    assert!(!first.contains("metadata-flavor") && !first.contains("x-aws-ec2-metadata-token"));
}

#[tokio::test]
async fn same_origin_redirect_keeps_credentials_and_303_becomes_get() {
    let server = serve(|req: &str| {
        if req.starts_with("POST /first") {
            reply("303 See Other", "Location: /second\r\n", "")
        } else {
            reply("200 OK", "", req)
        }
    })
    .await;
    let mut req = request(
        "POST",
        &server.url("/first"),
        &[
            ("Authorization", "Bearer t"),
            ("Content-Type", "text/plain"),
        ],
    );
    req.body = Some(b"data".to_vec());
    let res = client(&["127.0.0.1"]).send(req).await.expect("followed");
    let landed = String::from_utf8_lossy(&res.body).to_ascii_lowercase();
    assert!(landed.starts_with("get /second http/1.1"), "{landed}");
    assert!(landed.contains("authorization: bearer t"));
    assert!(!landed.contains("content-type") && !landed.ends_with("data"));
}

#[tokio::test]
async fn redirect_chains_stop_after_the_limit() {
    let server = serve(|_: &str| reply("302 Found", "Location: /again\r\n", "")).await;
    let err = send_status(&client(&["127.0.0.1"]), &server.url("/")).await;
    assert_eq!(
        err,
        Err(OutboundError::Transport(
            "Too many redirects (more than 5).".into()
        ))
    );
    assert_eq!(server.seen().len(), 6, "the first request plus five hops");
}
