//! The identity check of user ids: with an `identity_secret`, a start that prefills `user_id`
//! or `userId` needs the user id's HMAC in `X-Tessera-User-Hash`; without a secret, nothing is
//! checked.

use serde_json::json;
use tessera::api::identity::user_hash;

use crate::common::app::{TestApp, spawn_app, spawn_app_with};
use crate::common::bots::{bot, text, var};
use crate::common::http::into_json;
use crate::common::replies::assert_error;

async fn start(app: &TestApp, user: &str, hash: Option<&str>) -> (u16, serde_json::Value) {
    let mut rb = app
        .client
        .post(format!("{}/api/v1/typebots/who/startChat", app.base))
        .json(&json!({"prefilledVariables": {"user_id": user}}));
    if let Some(h) = hash {
        rb = rb.header("x-tessera-user-hash", h);
    }
    into_json(rb.send().await.expect("request")).await
}

async fn publish(app: &TestApp) {
    let b = bot(
        "who",
        json!([text("t", "Hi {{user_id}}")]),
        json!([var("v-user", "user_id")]),
    );
    assert_eq!(app.publish("who", &b).await.0, 200);
}

#[tokio::test]
async fn a_user_id_with_its_hmac_starts_and_a_wrong_or_missing_one_is_403_identity_mismatch() {
    let app = spawn_app_with(|c| c.identity_secret = Some("s3cret".into())).await;
    publish(&app).await;
    let good = user_hash("s3cret", "user_123");
    let (status, body) = start(&app, "user_123", Some(&good)).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["messages"].to_string().contains("user_123"),
        "the verified user id reaches the bot: {body}"
    );
    assert_error(
        &start(&app, "user_123", None).await,
        403,
        "identity_mismatch",
    );
    assert_error(
        &start(&app, "user_124", Some(&good)).await,
        403,
        "identity_mismatch",
    );
}

#[tokio::test]
async fn without_a_secret_user_ids_are_not_checked() {
    let app = spawn_app().await;
    publish(&app).await;
    assert_eq!(start(&app, "anyone", None).await.0, 200);
}
