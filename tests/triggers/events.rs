//! Posting events: the secret, validation, the 202 with its session, idempotency, the full
//! queue; the background run (a live session, a new one, the contact's session and variables,
//! failures); the event log with its filters and cursor, and the session transcript.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::app::{TOKEN, TestApp, spawn_app_with};
use crate::support::{
    all_events, call, create_trigger, echo_bot, looping_bot, post_event, publish, settled,
    transcript, unique,
};

const WITHIN: Duration = Duration::from_secs(15);

async fn events_run_in_the_background_in_order_and_show_in_the_log(app: TestApp) {
    let flow = unique("echo");
    publish(&app, &echo_bot(&flow)).await;
    let (id, secret) = create_trigger(&app, &flow, json!({})).await;
    // No session: a new one, answered at once.
    let (status, first) = post_event(&app, &id, &secret, &json!({"text": "one"})).await;
    assert_eq!(status, 202, "{first}");
    assert_eq!(first["status"], "queued");
    let session = first["session"].as_str().expect("session").to_string();
    assert!(first["event_id"].is_string());
    // The given session: the next events continue it, in order.
    for text in ["two", "three", "four"] {
        let (status, ev) = post_event(
            &app,
            &id,
            &secret,
            &json!({"text": text, "session": session}),
        )
        .await;
        assert_eq!(status, 202, "{ev}");
        assert_eq!(ev["session"], session.as_str());
    }
    let events = settled(&app, &id, 4, WITHIN).await;
    assert_eq!(events.len(), 4);
    let texts: Vec<&str> = events.iter().filter_map(|e| e["text"].as_str()).collect();
    assert_eq!(texts, ["one", "two", "three", "four"], "oldest first");
    for e in &events {
        assert_eq!(e["status"], "done", "{e}");
        assert_eq!(e["session"], session.as_str());
        assert!(
            e["received_at"].is_string() && e["processed_at"].is_string(),
            "{e}"
        );
        assert!(e["error"].is_null(), "{e}");
        assert_eq!(e["reply"]["input"]["id"], "i-t", "{e}");
    }
    let said = crate::support::bubble_text(&events[1]["reply"]["messages"][0]);
    assert!(said.starts_with("got two"), "{said}");
    let t = transcript(&app, &id, &session).await;
    let users: Vec<&String> = t.iter().filter(|l| l.starts_with("user:")).collect();
    assert_eq!(
        users,
        ["user:one", "user:two", "user:three", "user:four"],
        "{t:?}"
    );
    assert_eq!(t.len(), 8, "{t:?}");
    // Filters and pages.
    let path = format!("/api/v1/integration/trigger/{id}/events?limit=3");
    let (status, page) = call(&app, "GET", &path, Some(TOKEN), None, None).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["events"].as_array().map(Vec::len), Some(3));
    let cursor = page["next_cursor"].as_str().expect("a next page");
    let (_, rest) = call(
        &app,
        "GET",
        &format!("{path}&cursor={cursor}"),
        Some(TOKEN),
        None,
        None,
    )
    .await;
    assert_eq!(rest["events"][0]["text"], "four", "{rest}");
    assert!(rest["next_cursor"].is_null(), "{rest}");
    assert_eq!(all_events(&app, &id, "&status=done").await.len(), 4);
    assert!(all_events(&app, &id, "&status=failed").await.is_empty());
    assert_eq!(
        all_events(&app, &id, &format!("&session={session}"))
            .await
            .len(),
        4
    );
    assert!(all_events(&app, &id, "&session=other").await.is_empty());
    // A session started by an event is a result of the bot, like any other conversation.
    let (status, results) = call(
        &app,
        "GET",
        &format!("/api/v1/flows/{flow}/results"),
        Some(TOKEN),
        None,
        None,
    )
    .await;
    assert_eq!(status, 200, "{results}");
    assert!(
        !results["results"]
            .as_array()
            .map(Vec::is_empty)
            .unwrap_or(true),
        "{results}"
    );
}

async fn a_contact_keys_its_session_and_sets_declared_variables(app: TestApp) {
    let flow = unique("echo");
    publish(&app, &echo_bot(&flow)).await;
    let (id, secret) = create_trigger(&app, &flow, json!({})).await;
    let contact = json!({"name": "Ada", "email": "ada@example.com", "phone": "+44 20 7946 0000"});
    let (_, a) = post_event(
        &app,
        &id,
        &secret,
        &json!({"text": "hello", "contact": contact}),
    )
    .await;
    let (_, b) = post_event(
        &app,
        &id,
        &secret,
        &json!({"text": "again", "contact": {"email": "ADA@example.com", "name": "Ada L."}}),
    )
    .await;
    assert_eq!(
        a["session"], b["session"],
        "the email keys the session: {a} {b}"
    );
    let (_, c) = post_event(
        &app,
        &id,
        &secret,
        &json!({"text": "x", "contact": {"phone": "+1 555 0100"}}),
    )
    .await;
    assert_ne!(c["session"], a["session"]);
    let events = settled(&app, &id, 3, WITHIN).await;
    assert_eq!(events[0]["contact"]["name"], "Ada", "{}", events[0]);
    let said = crate::support::bubble_text(&events[0]["reply"]["messages"][0]);
    assert_eq!(said, "got hello from Ada", "{}", events[0]);
    // On the live session, the contact's fields set the variables again before the reply.
    let said = crate::support::bubble_text(&events[1]["reply"]["messages"][0]);
    assert_eq!(said, "got again from Ada L.", "{}", events[1]);
    let session = a["session"].as_str().expect("session");
    let t = transcript(&app, &id, session).await;
    assert_eq!(t.first().map(String::as_str), Some("user:hello"), "{t:?}");
    assert!(t.contains(&"user:again".to_string()), "{t:?}");
}

async fn failures_are_visible_and_do_not_stop_the_workers(app: TestApp) {
    let looping = unique("loop");
    publish(&app, &looping_bot(&looping)).await;
    let (id, secret) = create_trigger(&app, &looping, json!({})).await;
    let (status, _) = post_event(&app, &id, &secret, &json!({"text": "go"})).await;
    assert_eq!(status, 202);
    let events = settled(&app, &id, 1, WITHIN).await;
    assert_eq!(events[0]["status"], "failed", "{}", events[0]);
    assert!(
        events[0]["error"]
            .as_str()
            .unwrap_or_default()
            .contains("loop"),
        "{}",
        events[0]
    );
    // A bot deleted since the event was accepted.
    let gone = unique("echo");
    publish(&app, &echo_bot(&gone)).await;
    let (gid, gsecret) = create_trigger(&app, &gone, json!({})).await;
    let (status, _) = call(
        &app,
        "DELETE",
        &format!("/api/v1/flows/{gone}"),
        Some(TOKEN),
        None,
        None,
    )
    .await;
    assert!(status < 300, "{status}");
    post_event(&app, &gid, &gsecret, &json!({"text": "anyone?"})).await;
    let events = settled(&app, &gid, 1, WITHIN).await;
    assert_eq!(events[0]["status"], "failed", "{}", events[0]);
    assert!(
        events[0]["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{}",
        events[0]
    );
    // The workers go on: another trigger's events are done.
    let flow = unique("echo");
    publish(&app, &echo_bot(&flow)).await;
    let (ok, ok_secret) = create_trigger(&app, &flow, json!({})).await;
    post_event(&app, &ok, &ok_secret, &json!({"text": "fine"})).await;
    assert_eq!(settled(&app, &ok, 1, WITHIN).await[0]["status"], "done");
}

async fn bad_events_are_refused_and_nothing_is_queued(app: TestApp) {
    let flow = unique("echo");
    publish(&app, &echo_bot(&flow)).await;
    let (id, secret) = create_trigger(&app, &flow, json!({})).await;
    let path = format!("/api/v1/integration/trigger/{id}/event");
    for token in [None, Some("wrong"), Some("")] {
        let (status, err) = call(
            &app,
            "POST",
            &path,
            token,
            None,
            Some(&json!({"text": "x"})),
        )
        .await;
        assert_eq!(
            (status, err["code"].as_str()),
            (401, Some("unauthorized")),
            "{err}"
        );
    }
    let (status, err) = call(
        &app,
        "POST",
        "/api/v1/integration/trigger/nope/event",
        Some(&secret),
        None,
        Some(&json!({})),
    )
    .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (404, Some("trigger_not_found")),
        "{err}"
    );
    let cases = [
        (json!({"text": "x".repeat(10_001)}), "text"),
        (json!({"text": 3}), "text"),
        (json!({"session": "../etc"}), "session"),
        (json!({"contact": "ada@example.com"}), "contact"),
        (
            json!({"contact": {"email": "not-an-address"}}),
            "contact.email",
        ),
        (json!({"contact": {"phone": "call me"}}), "contact.phone"),
        (json!({"contact": {"name": 7}}), "contact.name"),
        (json!(["text"]), "body"),
    ];
    for (body, field) in cases {
        let (status, err) = call(&app, "POST", &path, Some(&secret), None, Some(&body)).await;
        assert_eq!(status, 400, "{body}: {err}");
        assert_eq!(err["details"]["field"], field, "{body}: {err}");
    }
    assert!(
        all_events(&app, &id, "").await.is_empty(),
        "nothing half-written"
    );
    // An empty body is a valid event (no text: the bot starts and waits).
    let (status, _) = call(&app, "POST", &path, Some(&secret), None, None).await;
    assert_eq!(status, 202);
    // The log and the transcript need the API token; unknown ones are 404.
    let (status, _) = call(
        &app,
        "GET",
        &format!("/api/v1/integration/trigger/{id}/events"),
        Some(&secret),
        None,
        None,
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = call(
        &app,
        "GET",
        &format!("/api/v1/integration/trigger/{id}/sessions/abc"),
        None,
        None,
        None,
    )
    .await;
    assert_eq!(status, 401);
    let (status, err) = call(
        &app,
        "GET",
        "/api/v1/integration/trigger/nope/events",
        Some(TOKEN),
        None,
        None,
    )
    .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (404, Some("trigger_not_found"))
    );
    let (status, err) = call(
        &app,
        "GET",
        &format!("/api/v1/integration/trigger/{id}/sessions/nosuchsession"),
        Some(TOKEN),
        None,
        None,
    )
    .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (404, Some("session_not_found")),
        "{err}"
    );
    for q in ["status=maybe", "limit=0", "limit=1001", "cursor=abc"] {
        let (status, err) = call(
            &app,
            "GET",
            &format!("/api/v1/integration/trigger/{id}/events?{q}"),
            Some(TOKEN),
            None,
            None,
        )
        .await;
        assert_eq!(status, 400, "{q}: {err}");
    }
}

async fn an_idempotency_key_makes_a_retry_safe(app: TestApp) {
    let flow = unique("echo");
    publish(&app, &echo_bot(&flow)).await;
    let (id, secret) = create_trigger(&app, &flow, json!({})).await;
    let path = format!("/api/v1/integration/trigger/{id}/event");
    let body = json!({"text": "once"});
    let (s1, a) = call(&app, "POST", &path, Some(&secret), Some("k-1"), Some(&body)).await;
    let (s2, b) = call(&app, "POST", &path, Some(&secret), Some("k-1"), Some(&body)).await;
    assert_eq!((s1, s2), (202, 202), "{a} {b}");
    assert_eq!(a, b, "the retry answers the first event");
    let (status, err) = call(
        &app,
        "POST",
        &path,
        Some(&secret),
        Some("k-1"),
        Some(&json!({"text": "other"})),
    )
    .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (409, Some("idempotency_conflict")),
        "{err}"
    );
    let events = settled(&app, &id, 1, WITHIN).await;
    assert_eq!(events.len(), 1, "one event: {events:?}");
}

on_both_stores!(
    events_run_in_the_background_in_order_and_show_in_the_log,
    a_contact_keys_its_session_and_sets_declared_variables,
    failures_are_visible_and_do_not_stop_the_workers,
    bad_events_are_refused_and_nothing_is_queued,
    an_idempotency_key_makes_a_retry_safe,
);

/// With no workers (an API-only process) and a bound of 2, the third event is refused with
/// Retry-After, and the two accepted stay queued.
async fn full_queue_on(store: Option<String>) {
    let app = spawn_app_with(move |c| {
        c.trigger_workers = 0;
        c.trigger_queue_max = 2;
        if let Some(s) = store {
            c.store = s;
        }
    })
    .await;
    let flow = unique("echo");
    publish(&app, &echo_bot(&flow)).await;
    let (id, secret) = create_trigger(&app, &flow, json!({})).await;
    for _ in 0..2 {
        assert_eq!(
            post_event(&app, &id, &secret, &json!({"text": "x"}))
                .await
                .0,
            202
        );
    }
    let r = app
        .client
        .post(format!(
            "{}/api/v1/integration/trigger/{id}/event",
            app.base
        ))
        .bearer_auth(&secret)
        .json(&json!({"text": "too many"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 429);
    assert!(r.headers().get("retry-after").is_some());
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["code"], "queue_full");
    let events = all_events(&app, &id, "").await;
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e["status"] == "queued"), "{events:?}");
}

#[tokio::test]
async fn a_full_queue_refuses_on_memory() {
    full_queue_on(None).await;
}

#[tokio::test]
async fn a_full_queue_refuses_on_redis() {
    let Some(redis) = crate::support::private_redis() else {
        return;
    };
    full_queue_on(Some(redis.url())).await;
}
