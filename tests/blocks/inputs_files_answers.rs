//! Inputs: file and payment inputs, how answers are keyed and saved, and a start message
//! answering a first input.

use serde_json::json;
use tessera::engine::{EngineConfig, EngineError, Message, StartParams, TurnStatus};

use crate::chat::{Chat, answer, assert_accepted, assert_retry};
use crate::common::engine::GENERIC_RETRY;
use crate::flows::{block, input, linear, text, with_values};

#[tokio::test]
async fn file_input_accepts_http_urls_and_filters_types() {
    let c = answer(
        input("in", "file input", "F", json!({})),
        &["F"],
        "https://cdn.example/a.pdf",
    )
    .await;
    assert_accepted(&c);
    assert_eq!(c.var_str("F").as_deref(), Some("https://cdn.example/a.pdf"));
    let c = answer(
        input("in", "file input", "F", json!({})),
        &["F"],
        "just text",
    )
    .await;
    assert_retry(&c, "in", GENERIC_RETRY);
    let typed = || {
        input(
            "in",
            "file input",
            "F",
            json!({"allowedFileTypes": {"isEnabled": true, "types": ["png", ".jpg"]}}),
        )
    };
    let c = answer(typed(), &["F"], "https://cdn.example/a.JPG").await;
    assert_accepted(&c);
    let c = answer(typed(), &["F"], "https://cdn.example/a.pdf").await;
    assert_retry(&c, "in", GENERIC_RETRY);
}

#[tokio::test]
async fn file_input_keeps_one_url_unless_multiple_files_are_allowed() {
    let two = "https://cdn.example/a.png, https://cdn.example/b.png";
    let c = answer(input("in", "file input", "F", json!({})), &["F"], two).await;
    assert_eq!(c.var_str("F").as_deref(), Some("https://cdn.example/a.png"));
    let c = answer(
        input("in", "file input", "F", json!({"isMultipleAllowed": true})),
        &["F"],
        two,
    )
    .await;
    assert_eq!(c.var_str("F").as_deref(), Some(two));
}

#[tokio::test]
async fn an_optional_file_input_is_skipped_without_a_reply_but_a_required_one_is_not() {
    let def = |required: bool| {
        linear(
            json!([
                input("in", "file input", "F", json!({"isRequired": required})),
                text("t", "done")
            ]),
            &["F"],
        )
    };
    let mut c = Chat::start(def(false)).await;
    c.send(None).await.expect("skip");
    assert_accepted(&c);
    assert_eq!(c.var("F"), None, "nothing saved");
    assert!(c.out.answers.is_empty(), "no answer recorded");
    let mut c = Chat::start(def(true)).await;
    c.send(None).await.expect("retry");
    assert_retry(&c, "in", GENERIC_RETRY);
}

#[tokio::test]
async fn a_payment_input_without_credentials_fails_the_turn() {
    let def = linear(
        json!([
            text("t", "Pay"),
            block(
                "pay",
                "payment input",
                json!({"amount": "9", "currency": "EUR"})
            )
        ]),
        &[],
    );
    let e = Chat::try_start(def, StartParams::default(), &[], EngineConfig::default())
        .await
        .err();
    assert_eq!(e, Some(EngineError::MissingCredentials));
    let def = linear(
        json!([block(
            "pay",
            "payment input",
            json!({"amount": "9", "credentialsId": "stripe-1"})
        )]),
        &[],
    );
    let e = Chat::try_start(def, StartParams::default(), &[], EngineConfig::default())
        .await
        .err();
    assert_eq!(e, Some(EngineError::CredentialsNotFound));
}

#[tokio::test]
async fn answers_are_keyed_by_variable_name_else_group_title_with_an_index() {
    let def = linear(
        json!([
            block("a", "text input", json!({})),
            block("b", "text input", json!({})),
            input("c", "text input", "Named", json!({})),
        ]),
        &["Named"],
    );
    let mut c = Chat::start(def).await;
    c.say("one").await;
    assert_eq!(c.out.answers[0].key, "Main");
    c.say("two").await;
    assert_eq!(c.out.answers[0].key, "Main (1)");
    c.say("three").await;
    assert_eq!(c.out.answers[0].key, "Named");
    assert_eq!(c.out.status, TurnStatus::Completed);
}

#[tokio::test]
async fn a_list_variable_receiving_an_answer_gets_it_appended() {
    let def = with_values(
        linear(
            json!([
                input("in", "text input", "All", json!({})),
                text("t", "{{All}}")
            ]),
            &["All"],
        ),
        &[("All", json!(["first"]))],
    );
    let mut c = Chat::start(def).await;
    c.say("second").await;
    assert_eq!(c.texts(), vec![r#"["first","second"]"#.to_string()]);
}

#[tokio::test]
async fn a_start_message_answers_a_first_text_input_but_not_a_first_choice() {
    let params = || StartParams {
        message: Some(Message::text("Ada")),
        ..StartParams::default()
    };
    let def = linear(
        json!([
            input("in", "text input", "Name", json!({})),
            text("t", "Hi {{Name}}")
        ]),
        &["Name"],
    );
    let c = Chat::start_with(def, params(), &[]).await;
    assert_eq!(c.texts(), vec!["Hi Ada".to_string()]);
    let def = linear(
        json!([block("in", "choice input", json!({})), text("t", "after")]),
        &[],
    );
    let mut def = def;
    def["groups"][0]["blocks"][0]["items"] = json!([{"id": "i1", "content": "Ada"}]);
    let c = Chat::start_with(def, params(), &[]).await;
    assert_eq!(c.input_type().as_deref(), Some("choice input"));
    assert!(c.texts().is_empty());
}
