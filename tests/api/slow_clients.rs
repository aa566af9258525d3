//! Abuse limits, slow clients and connections: headers that trickle in get 408 and the
//! connection closed (`limits.header_timeout_ms`), a body that trickles in gets 408
//! `request_timeout` (`limits.body_timeout_ms`), and past `limits.max_connections` a new
//! connection waits until another one closes. Raw TCP, to send bytes as slowly as an attacker.

use std::time::{Duration, Instant};

use tessera::config::Limits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::app::{TOKEN, TestApp, spawn_app_with};

async fn app_with(limits: Limits, workers: Option<usize>) -> TestApp {
    spawn_app_with(|c| {
        c.limits = limits;
        c.workers = workers;
    })
    .await
}

async fn connect(app: &TestApp) -> TcpStream {
    let addr = app.base.trim_start_matches("http://");
    TcpStream::connect(addr).await.expect("connect")
}

/// Reads what the server sends until it closes the connection or `within` has passed.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (String, bool) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&got).into(), true),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => return (String::from_utf8_lossy(&got).into(), false),
        }
    }
}

#[tokio::test]
async fn headers_sent_slowly_get_408_and_the_connection_closed() {
    let limits = Limits {
        header_timeout_ms: 400,
        ..Limits::default().without_rates()
    };
    let app = app_with(limits, None).await;
    let mut stream = connect(&app).await;
    let started = Instant::now();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    // One header byte every 100 ms, for up to 5 s: never a complete head.
    let mut closed_while_sending = false;
    for b in b"X-Slow: ".iter().cycle().take(50) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if stream.write_all(&[*b]).await.is_err() {
            closed_while_sending = true;
            break;
        }
        if started.elapsed() > Duration::from_millis(1500) {
            break;
        }
    }
    let (reply, closed) = read_until_closed(&mut stream, Duration::from_secs(3)).await;
    assert!(
        closed_while_sending || closed,
        "the connection is still open after {:?}",
        started.elapsed()
    );
    assert!(
        reply.is_empty() || reply.starts_with("HTTP/1.1 408"),
        "a slow head gets 408 or nothing: {reply}"
    );
    // The server itself is fine.
    let res = app.client.get(format!("{}/healthz", app.base)).send().await;
    assert_eq!(res.map(|r| r.status().as_u16()).ok(), Some(200));
}

#[tokio::test]
async fn a_body_sent_slowly_gets_408_request_timeout() {
    let limits = Limits {
        body_timeout_ms: 300,
        ..Limits::default().without_rates()
    };
    let app = app_with(limits, None).await;
    let mut stream = connect(&app).await;
    let head = format!(
        "PUT /api/v1/flows/slow HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"id\":"
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    // The rest of the body never comes.
    let (reply, _) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    assert!(reply.contains("\"code\":\"request_timeout\""), "{reply}");
}

#[tokio::test]
async fn past_max_connections_a_new_connection_waits_for_a_free_one() {
    let limits = Limits {
        max_connections: 1,
        ..Limits::default().without_rates()
    };
    // One worker, so the one connection is the whole server's.
    let app = app_with(limits, Some(1)).await;
    let request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut first = connect(&app).await;
    first.write_all(request).await.expect("write");
    let mut buf = [0u8; 1024];
    let n = first.read(&mut buf).await.expect("first answer");
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    // The first connection stays open (keep-alive): the second is not served...
    let mut second = connect(&app).await;
    second.write_all(request).await.expect("write");
    let waiting = tokio::time::timeout(Duration::from_millis(700), second.read(&mut buf)).await;
    assert!(waiting.is_err(), "served past the cap");
    // ...until the first one closes.
    drop(first);
    let n = tokio::time::timeout(Duration::from_secs(5), second.read(&mut buf))
        .await
        .expect("served once a connection is free")
        .expect("read");
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
}
