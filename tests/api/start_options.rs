//! startChat's options: `resultId` with remember user, `isOnlyRegistering` and
//! `prefilledVariables` (and the bot setting restricting them).

use serde_json::{Value, json};

use crate::common::app::{TestApp, spawn_app};
use crate::common::bots::{bot, input, text, three_questions, var};
use crate::common::replies::{said, session_id};
use crate::support::{cont, greeter, publish, results, start};

fn remembering(id: &str) -> Value {
    let mut b = greeter(id);
    b["settings"] = json!({"general": {"rememberUser": {"isEnabled": true}}});
    b
}

/// Starts and answers the name: the result id.
async fn result_with_name(app: &TestApp, public_id: &str, name: &str) -> String {
    let (_, s) = start(app, public_id, json!({})).await;
    let (status, _) = cont(app, &session_id(&s), json!({ "message": name })).await;
    assert_eq!(status, 200);
    s["resultId"].as_str().expect("resultId").to_string()
}

#[tokio::test]
async fn start_chat_with_remember_user_reuses_the_result_and_restores_its_variables() {
    let app = spawn_app().await;
    publish(&app, &remembering("remember")).await;
    let rid = result_with_name(&app, "remember", "Ann").await;
    let (status, body) = start(&app, "remember", json!({ "resultId": rid })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["resultId"], json!(rid), "same result");
    assert_eq!(said(&body), ["Hello Ann"], "variables restored");
    assert_eq!(body["input"]["prefilledValue"], "Ann");
    let r = results(&app, "remember").await;
    assert_eq!(r["results"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn start_chat_ignores_the_result_id_when_remember_user_is_off() {
    let app = spawn_app().await;
    publish(&app, &greeter("forget")).await;
    let rid = result_with_name(&app, "forget", "Ann").await;
    let (_, body) = start(&app, "forget", json!({ "resultId": rid })).await;
    assert!(body["resultId"].is_string());
    assert_ne!(body["resultId"], json!(rid));
    assert_eq!(said(&body), ["Hello "], "nothing restored");
}

#[tokio::test]
async fn start_chat_never_reuses_a_result_of_another_bot() {
    let app = spawn_app().await;
    publish(&app, &remembering("owner")).await;
    publish(&app, &remembering("intruder")).await;
    let rid = result_with_name(&app, "owner", "Secret Ann").await;
    let (_, body) = start(&app, "intruder", json!({ "resultId": rid })).await;
    assert_ne!(
        body["resultId"],
        json!(rid),
        "another bot's result is not adopted"
    );
    assert_eq!(said(&body), ["Hello "], "its variables are not leaked");
    let owner = results(&app, "owner").await;
    assert_eq!(owner["results"][0]["variables"]["Name"], "Secret Ann");
    let intruder = results(&app, "intruder").await;
    assert!(
        intruder["results"]
            .as_array()
            .expect("results")
            .iter()
            .all(|r| r["id"] != json!(rid))
    );
}

#[tokio::test]
async fn start_chat_with_an_unknown_result_id_creates_a_new_one() {
    let app = spawn_app().await;
    publish(&app, &remembering("unknown-rid")).await;
    let (_, body) = start(&app, "unknown-rid", json!({"resultId": "chosen-by-client"})).await;
    assert!(body["resultId"].is_string());
    assert_ne!(body["resultId"], "chosen-by-client");
}

#[tokio::test]
async fn start_chat_only_registering_returns_no_result_id_and_runs_nothing() {
    let app = spawn_app().await;
    publish(&app, &greeter("register")).await;
    let (status, body) = start(&app, "register", json!({"isOnlyRegistering": true})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["sessionId"].is_string());
    assert!(body.get("resultId").is_none(), "{body}");
    assert_eq!(body["typebot"]["id"], "register");
    assert_eq!(body["messages"], json!([]));
    assert!(body.get("input").is_none());
    let r = results(&app, "register").await;
    assert_eq!(r["results"], json!([]), "no result is written");
}

#[tokio::test]
async fn first_continue_chat_after_registering_starts_the_flow_with_prefilled_variables_kept() {
    let app = spawn_app().await;
    publish(&app, &greeter("register2")).await;
    let (_, s) = start(
        &app,
        "register2",
        json!({"isOnlyRegistering": true, "prefilledVariables": {"Name": "Ann"}}),
    )
    .await;
    let (status, body) = cont(&app, &session_id(&s), json!({"message": "hi"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(said(&body), ["Hello Ann"]);
    assert_eq!(body["input"]["id"], "i-name");
    assert_eq!(body["input"]["prefilledValue"], "Ann");
}

#[tokio::test]
async fn first_continue_chat_after_registering_answers_a_first_input_with_its_message() {
    let app = spawn_app().await;
    publish(&app, &three_questions("register3")).await;
    let (_, s) = start(&app, "register3", json!({"isOnlyRegistering": true})).await;
    let (status, body) = cont(&app, &session_id(&s), json!({"message": "first"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["input"]["id"], "q2", "the message answered q1");
    let r = results(&app, "register3").await;
    assert_eq!(r["results"][0]["variables"]["A"], "first");
}

#[tokio::test]
async fn start_chat_prefills_variables_by_exact_name_only() {
    let app = spawn_app().await;
    publish(&app, &greeter("prefill")).await;
    let (_, body) = start(
        &app,
        "prefill",
        json!({"prefilledVariables": {"name": "lower", "NAME": "upper", "Unknown": "x"}}),
    )
    .await;
    assert_eq!(said(&body), ["Hello "], "names are case-sensitive");
    let (_, body) = start(
        &app,
        "prefill",
        json!({"prefilledVariables": {"Name": "Ann"}}),
    )
    .await;
    assert_eq!(said(&body), ["Hello Ann"]);
    let (_, body) = start(&app, "prefill", json!({"prefilledVariables": {"Name": 42}})).await;
    assert_eq!(said(&body), ["Hello 42"], "any JSON value, stringified");
}

#[tokio::test]
async fn prefillable_variables_setting_restricts_which_variables_can_be_prefilled() {
    let app = spawn_app().await;
    let mut b = bot(
        "restricted",
        json!([
            text("t", "{{Name}}/{{Role}}"),
            input("i", "text input", "v-name")
        ]),
        json!([var("v-name", "Name"), var("v-role", "Role")]),
    );
    b["settings"] = json!({"tessera": {"prefillableVariables": ["Name"]}});
    publish(&app, &b).await;
    let (status, body) = start(
        &app,
        "restricted",
        json!({"prefilledVariables": {"Name": "Ann", "Role": "admin"}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(said(&body), ["Ann/"], "Role may not be prefilled");
}
