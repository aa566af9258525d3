//! Walk steps: a busy session, an expired session.

use std::time::Duration;

use serde_json::json;

use crate::checker::call;
use crate::walk::{CONTINUE, LOGS_V1, LOGS_V2, START, World, sid};

/// A turn in progress: continueChat and clientLogs get 409 session_busy.
pub async fn busy_sessions(w: &World) {
    let (api, app) = (&w.api, &w.app);
    let r = api
        .call(app, call("POST", START, &["oa-slow"]).json(json!({})))
        .await;
    let slow = sid(&r);
    let (first, busy) = tokio::join!(
        api.call(
            app,
            call("POST", CONTINUE, &[&slow]).json(json!({"message": "a"}))
        ),
        async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let c = api
                .call(
                    app,
                    call("POST", CONTINUE, &[&slow]).json(json!({"message": "b"})),
                )
                .await;
            let l1 = api
                .call(
                    app,
                    call("POST", LOGS_V1, &[&slow]).json(json!({"clientLogs": []})),
                )
                .await;
            let l2 = api
                .call(
                    app,
                    call("POST", LOGS_V2, &[&slow]).json(json!({"clientLogs": []})),
                )
                .await;
            (c, l1, l2)
        }
    );
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(
        (busy.0.status, busy.0.json["code"].clone()),
        (409, json!("session_busy"))
    );
    // Client logs do not need the turn lease: they are accepted during a turn.
    for r in [busy.1, busy.2] {
        assert_eq!(r.status, 200, "{}", r.text);
    }
}

/// A session past its TTL.
pub async fn expiry(w: &World) {
    let (api, app) = (&w.api, &w.app);
    let r = api
        .call(app, call("POST", START, &["oa-ttl"]).json(json!({})))
        .await;
    let ttl_sid = sid(&r);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let r = api
        .call(
            app,
            call("POST", CONTINUE, &[&ttl_sid]).json(json!({"message": "x"})),
        )
        .await;
    assert_eq!(r.json["code"], "session_expired");
}
