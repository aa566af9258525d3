//! Managing triggers with the API token: create (the secret shown once), list and get (never
//! the secret), delete, rotate the secret (the old one stops working at once); every error.

use serde_json::{Value, json};

use crate::common::app::{TOKEN, TestApp};
use crate::support::{call, create_trigger, echo_bot, post_event, publish, unique};

const TRIGGERS: &str = "/api/v1/integration/triggers";

async fn a_trigger_is_created_listed_shown_rotated_and_deleted(app: TestApp) {
    let flow = unique("echo");
    publish(&app, &echo_bot(&flow)).await;
    let body =
        json!({"flow": flow, "name": "Orders", "default_text": null, "session_ttl_secs": 600});
    let (status, created) = call(&app, "POST", TRIGGERS, Some(TOKEN), None, Some(&body)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_string();
    let secret = created["secret"].as_str().expect("secret").to_string();
    assert!(secret.len() >= 40, "{created}");
    assert_eq!(created["flow"], flow.as_str());
    assert_eq!(created["name"], "Orders");
    assert_eq!(created["session_ttl_secs"], 600);

    let (status, one) = call(
        &app,
        "GET",
        &format!("{TRIGGERS}/{id}"),
        Some(TOKEN),
        None,
        None,
    )
    .await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["id"], id.as_str());
    assert!(
        one.get("secret").is_none() && !one.to_string().contains(&secret),
        "{one}"
    );
    let (status, list) = call(&app, "GET", TRIGGERS, Some(TOKEN), None, None).await;
    assert_eq!(status, 200, "{list}");
    let listed: Vec<&Value> = list["triggers"]
        .as_array()
        .expect("triggers")
        .iter()
        .filter(|t| t["id"] == id.as_str())
        .collect();
    assert_eq!(listed.len(), 1, "{list}");
    assert!(!list.to_string().contains(&secret));

    // The secret works; after a rotation only the new one does.
    let (status, _) = post_event(&app, &id, &secret, &json!({"text": "hi"})).await;
    assert_eq!(status, 202);
    let (status, rotated) = call(
        &app,
        "POST",
        &format!("{TRIGGERS}/{id}/secret"),
        Some(TOKEN),
        None,
        None,
    )
    .await;
    assert_eq!(status, 200, "{rotated}");
    let new_secret = rotated["secret"].as_str().expect("secret").to_string();
    assert_ne!(new_secret, secret);
    let (status, err) = post_event(&app, &id, &secret, &json!({"text": "hi"})).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (401, Some("unauthorized")),
        "{err}"
    );
    let (status, _) = post_event(&app, &id, &new_secret, &json!({"text": "hi"})).await;
    assert_eq!(status, 202);

    let (status, _) = call(
        &app,
        "DELETE",
        &format!("{TRIGGERS}/{id}"),
        Some(TOKEN),
        None,
        None,
    )
    .await;
    assert_eq!(status, 204);
    for (method, path) in [
        ("GET", format!("{TRIGGERS}/{id}")),
        ("DELETE", format!("{TRIGGERS}/{id}")),
        ("POST", format!("{TRIGGERS}/{id}/secret")),
    ] {
        let (status, err) = call(&app, method, &path, Some(TOKEN), None, None).await;
        assert_eq!(
            (status, err["code"].as_str()),
            (404, Some("trigger_not_found")),
            "{method} {path}: {err}"
        );
    }
    let (status, err) = post_event(&app, &id, &new_secret, &json!({"text": "hi"})).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (404, Some("trigger_not_found")),
        "{err}"
    );
}

async fn managing_triggers_needs_the_api_token_and_valid_fields(app: TestApp) {
    let flow = unique("echo");
    publish(&app, &echo_bot(&flow)).await;
    for token in [None, Some("wrong")] {
        for (method, path) in [
            ("POST", TRIGGERS.to_string()),
            ("GET", TRIGGERS.to_string()),
            ("GET", format!("{TRIGGERS}/x")),
            ("DELETE", format!("{TRIGGERS}/x")),
            ("POST", format!("{TRIGGERS}/x/secret")),
        ] {
            let (status, err) = call(
                &app,
                method,
                &path,
                token,
                None,
                Some(&json!({"flow": flow})),
            )
            .await;
            assert_eq!(
                (status, err["code"].as_str()),
                (401, Some("unauthorized")),
                "{method} {path}"
            );
        }
    }
    let cases = [
        (json!({}), "flow"),
        (json!({"flow": 3}), "flow"),
        (json!({"flow": flow, "name": "x".repeat(201)}), "name"),
        (json!({"flow": flow, "default_text": 5}), "default_text"),
        (
            json!({"flow": flow, "session_ttl_secs": 0}),
            "session_ttl_secs",
        ),
        (
            json!({"flow": flow, "session_ttl_secs": "soon"}),
            "session_ttl_secs",
        ),
        (json!([1]), "body"),
    ];
    for (body, field) in cases {
        let (status, err) = call(&app, "POST", TRIGGERS, Some(TOKEN), None, Some(&body)).await;
        assert_eq!(status, 400, "{body}: {err}");
        assert_eq!(err["details"]["field"], field, "{body}: {err}");
    }
    let (status, err) = call(
        &app,
        "POST",
        TRIGGERS,
        Some(TOKEN),
        None,
        Some(&json!({"flow": "no-such-bot"})),
    )
    .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (404, Some("flow_not_found")),
        "{err}"
    );
    // A trigger by the bot's id works as well as by its public id.
    let (_, secret) = create_trigger(&app, &flow, json!({})).await;
    assert!(!secret.is_empty());
}

on_both_stores!(
    a_trigger_is_created_listed_shown_rotated_and_deleted,
    managing_triggers_needs_the_api_token_and_valid_fields,
);

/// A trigger declared in the config file: its secret from the environment, read-only.
#[tokio::test]
async fn a_declared_trigger_takes_its_secret_from_the_environment_and_is_read_only() {
    let flow = unique("echo");
    let var = format!(
        "TESSERA_TEST_TRIGGER_{}",
        tessera::ids::new_id().to_uppercase()
    );
    let file = format!(
        "[[triggers]]\nid = \"declared-{flow}\"\nflow = \"{flow}\"\ndefault_text = \"ping\"\nsecret_env = \"{var}\"\n"
    );
    // The environment of this process is shared by the tests: the variable is given through
    // the loader's lookup instead of being set.
    let dir = crate::common::temp::TempDir::new("trigger-config");
    let path = dir.path().join("tessera.toml");
    std::fs::write(&path, &file).expect("write");
    let env = |k: &str| (k == var).then(|| "declared-secret".to_string());
    let loaded = tessera::config::Config::load(Some(path), &env).expect("loads");
    assert!(!format!("{loaded:?}").contains("declared-secret"));
    let declared = loaded.triggers;
    let app = crate::common::app::spawn_app_with(move |c| {
        c.triggers = declared;
        c.trigger_workers = 1;
    })
    .await;
    publish(&app, &echo_bot(&flow)).await;
    let id = format!("declared-{flow}");
    let (status, err) = post_event(&app, &id, "wrong", &json!({})).await;
    assert_eq!(status, 401, "{err}");
    let (status, ok) = post_event(&app, &id, "declared-secret", &json!({"text": "ignored"})).await;
    assert_eq!(status, 202, "{ok}");
    let (status, shown) = call(
        &app,
        "GET",
        &format!("{TRIGGERS}/{id}"),
        Some(TOKEN),
        None,
        None,
    )
    .await;
    assert_eq!(
        (status, shown["declared"].as_bool()),
        (200, Some(true)),
        "{shown}"
    );
    for (method, path) in [
        ("DELETE", format!("{TRIGGERS}/{id}")),
        ("POST", format!("{TRIGGERS}/{id}/secret")),
    ] {
        let (status, err) = call(&app, method, &path, Some(TOKEN), None, None).await;
        assert_eq!(
            (status, err["code"].as_str()),
            (409, Some("trigger_read_only")),
            "{err}"
        );
    }
    // The default text replaced the event's text (the trigger as a prompt).
    let session = ok["session"].as_str().expect("session").to_string();
    crate::support::settled(&app, &id, 1, std::time::Duration::from_secs(10)).await;
    let said = crate::support::transcript(&app, &id, &session).await;
    assert_eq!(said.len(), 2, "{said:?}");
    assert_eq!(said[0], "user:ping");
    assert!(said[1].starts_with("bot:got ping"), "{said:?}");
}
