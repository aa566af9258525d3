//! Abuse limits, request rates: per client IP and per chat session, 429 `rate_limited` with
//! `Retry-After`; `X-Forwarded-For` counts only from a trusted proxy. (Slow clients and the
//! connection cap: tests/api/slow_clients.rs.)

use serde_json::json;
use tessera::config::Limits;

use crate::common::app::{TestApp, spawn_app_with};
use crate::common::http::into_json;
use crate::common::replies::assert_error;
use crate::support::{cont, get};

async fn app_with(limits: Limits) -> TestApp {
    spawn_app_with(|c| c.limits = limits).await
}

/// GET /healthz with an `X-Forwarded-For`; the status.
async fn health_from(app: &TestApp, forwarded: &str) -> u16 {
    app.client
        .get(format!("{}/healthz", app.base))
        .header("x-forwarded-for", forwarded)
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_client_over_its_rate_gets_429_rate_limited_with_retry_after() {
    let app = app_with(Limits {
        per_ip_per_sec: 2,
        per_session_per_sec: 0,
        ..Limits::default()
    })
    .await;
    // A burst of twice the rate passes.
    for i in 0..4 {
        assert_eq!(
            get(&app, "/healthz", None).await.status(),
            200,
            "request {i}"
        );
    }
    let res = get(&app, "/healthz", None).await;
    let retry: u64 = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After in seconds");
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    let got = into_json(res).await;
    assert_error(&got, 429, "rate_limited");
    assert_eq!(got.1["details"]["retryAfter"], json!(retry));
    // Every route counts, not only the chat API.
    let got = app.post("/api/v1/typebots/any/startChat", &json!({})).await;
    assert_error(&got, 429, "rate_limited");
}

#[tokio::test]
async fn each_chat_session_has_its_own_rate() {
    let app = app_with(Limits {
        per_ip_per_sec: 0,
        per_session_per_sec: 1,
        ..Limits::default()
    })
    .await;
    // No such session (404), but the requests count against it all the same.
    for _ in 0..2 {
        let got = cont(&app, "busy-session", json!({"message": "hi"})).await;
        assert_error(&got, 404, "session_not_found");
    }
    let got = cont(&app, "busy-session", json!({"message": "hi"})).await;
    assert_error(&got, 429, "rate_limited");
    let got = app
        .post(
            "/api/v2/sessions/busy-session/clientLogs",
            &json!({"clientLogs": []}),
        )
        .await;
    assert_error(&got, 429, "rate_limited");
    // Another session, and routes that are not a session's, are not held back.
    let got = cont(&app, "other-session", json!({"message": "hi"})).await;
    assert_error(&got, 404, "session_not_found");
    assert_eq!(get(&app, "/healthz", None).await.status(), 200);
}

#[tokio::test]
async fn x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() {
    let limits = Limits {
        per_ip_per_sec: 1,
        per_session_per_sec: 0,
        ..Limits::default()
    };
    // Untrusted peer: a client cannot pick a fresh bucket by sending another address.
    let app = app_with(limits.clone()).await;
    assert_eq!(health_from(&app, "198.51.100.1").await, 200);
    assert_eq!(health_from(&app, "198.51.100.2").await, 200);
    assert_eq!(health_from(&app, "198.51.100.3").await, 429);

    // Behind a trusted proxy (here the test client's own 127.0.0.1), each forwarded client
    // has its own bucket: the last address that is not a trusted proxy.
    let app = app_with(Limits {
        trusted_proxies: vec!["127.0.0.1".into()],
        ..limits
    })
    .await;
    for _ in 0..2 {
        assert_eq!(health_from(&app, "203.0.113.9, 198.51.100.7").await, 200);
    }
    assert_eq!(health_from(&app, "198.51.100.7").await, 429);
    assert_eq!(
        health_from(&app, "198.51.100.7, 198.51.100.8").await,
        200,
        "another client behind the same proxy"
    );
    // A spoofed first hop does not help: the proxy appended the real one last.
    assert_eq!(health_from(&app, "203.0.113.1, 198.51.100.7").await, 429);
}

#[tokio::test]
async fn the_default_limits_let_a_conversation_through_and_stop_a_flood() {
    let app = app_with(Limits::default()).await;
    // 50 a second per IP, bursts of 100: a page load and a conversation are far below it.
    for _ in 0..20 {
        assert_eq!(get(&app, "/healthz", None).await.status(), 200);
    }
    let mut limited = 0;
    for _ in 0..400 {
        if get(&app, "/healthz", None).await.status() == 429 {
            limited += 1;
        }
    }
    assert!(
        limited > 0,
        "400 requests in a row from one client are over the default burst"
    );
}

#[tokio::test]
async fn server_to_server_routes_are_not_held_to_the_per_ip_rate() {
    let app = app_with(Limits {
        per_ip_per_sec: 1,
        per_session_per_sec: 0,
        ..Limits::default()
    })
    .await;
    // A backend listing its flows with the API token, many times a second from one address.
    for i in 0..10 {
        let res = app
            .client
            .get(format!("{}/api/v1/flows", app.base))
            .bearer_auth(crate::common::app::TOKEN)
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), 200, "request {i}");
    }
    // A browser route from the same address is limited.
    let mut limited = false;
    for _ in 0..4 {
        limited |= get(&app, "/healthz", None).await.status() == 429;
    }
    assert!(limited, "the per-IP rate still holds for public routes");
}
