//! Inputs: the walk stops at an input; text, email, URL and phone inputs with their validators
//! and retry messages.

use serde_json::{Value, json};
use tessera::engine::{Message, TurnStatus};
use tessera::flow::VarValue;

use crate::chat::{Chat, answer, assert_accepted, assert_retry};
use crate::common::engine::{EMAIL_RETRY, GENERIC_RETRY};
use crate::flows::{input, linear, text, vid, with_values};

fn with_invalid_message(mut def: Value, message: &str) -> Value {
    def["settings"] = json!({"general": {"systemMessages": {"invalidMessage": message}}});
    def
}

#[tokio::test]
async fn the_walk_stops_at_an_input_and_shows_it_with_its_prefilled_value() {
    let def = with_values(
        linear(
            json!([
                text("t1", "Hi"),
                input("in", "text input", "Name", json!({})),
                text("t2", "never")
            ]),
            &["Name"],
        ),
        &[("Name", json!("Ada"))],
    );
    let c = Chat::start(def).await;
    assert_eq!(c.texts(), vec!["Hi".to_string()]);
    assert_eq!(c.input_type().as_deref(), Some("text input"));
    assert_eq!(
        c.out.input.as_ref().map(|i| i["prefilledValue"].clone()),
        Some(json!("Ada"))
    );
    assert_eq!(c.out.status, TurnStatus::WaitingInput);
    assert_eq!(c.state().cur.as_deref(), Some("in"));
}

#[tokio::test]
async fn text_input_accepts_any_text_and_saves_it() {
    let c = answer(
        input("in", "text input", "Story", json!({"isLong": true})),
        &["Story"],
        "Line one\nline two",
    )
    .await;
    assert_accepted(&c);
    assert_eq!(c.var_str("Story").as_deref(), Some("Line one\nline two"));
    assert_eq!(c.out.answers[0].key, "Story");
}

#[tokio::test]
async fn text_input_saves_an_audio_clip_url_and_attachments() {
    let block = input(
        "in",
        "text input",
        "Msg",
        json!({
        "audioClip": {"isEnabled": true, "saveVariableId": vid("Clip")},
        "attachments": {"isEnabled": true, "saveVariableId": vid("Files")}}),
    );
    let def = linear(
        json!([block.clone(), text("t1", "done")]),
        &["Msg", "Clip", "Files"],
    );
    let mut c = Chat::start(def.clone()).await;
    c.send(Some(Message::Audio {
        url: "https://cdn.example/a.webm".into(),
    }))
    .await
    .expect("audio");
    assert_eq!(
        c.var_str("Msg").as_deref(),
        Some("https://cdn.example/a.webm")
    );
    assert_eq!(
        c.var_str("Clip").as_deref(),
        Some("https://cdn.example/a.webm")
    );
    let mut c = Chat::start(def).await;
    c.send(Some(Message::Text {
        text: "see files".into(),
        reply_id: None,
        attached_file_urls: vec![
            "https://cdn.example/1.png".into(),
            "https://cdn.example/2.png".into(),
        ],
    }))
    .await
    .expect("attachments");
    assert_eq!(
        c.var("Files"),
        Some(VarValue::List(vec![
            Some("https://cdn.example/1.png".into()),
            Some("https://cdn.example/2.png".into())
        ]))
    );
    assert_eq!(
        c.out.answers[0].content,
        "https://cdn.example/1.png, https://cdn.example/2.png\n\nsee files"
    );
}

#[tokio::test]
async fn email_input_lowercases_valid_addresses() {
    let c = answer(
        input("in", "email input", "Email", json!({})),
        &["Email"],
        "Ada@Example.COM",
    )
    .await;
    assert_accepted(&c);
    assert_eq!(c.var_str("Email").as_deref(), Some("ada@example.com"));
    assert_eq!(
        c.out.last_message_new_format.as_deref(),
        Some("ada@example.com")
    );
}

#[tokio::test]
async fn email_input_retries_with_the_default_email_message() {
    for bad in ["ada@", "not an email", "ada@example", ""] {
        let c = answer(
            input("in", "email input", "Email", json!({})),
            &["Email"],
            bad,
        )
        .await;
        assert_retry(&c, "in", EMAIL_RETRY);
        assert_eq!(c.var("Email"), None, "{bad:?} is not saved");
    }
}

#[tokio::test]
async fn email_input_retries_with_its_own_message_when_it_has_one() {
    let block = input(
        "in",
        "email input",
        "Email",
        json!({"retryMessageContent": "Oops {{Name}}, that's no email"}),
    );
    let def = with_values(
        linear(json!([block, text("t", "done")]), &["Email", "Name"]),
        &[("Name", json!("Ada"))],
    );
    let mut c = Chat::start(def).await;
    c.say("nope").await;
    assert_retry(&c, "in", "Oops Ada, that's no email");
}

#[tokio::test]
async fn url_input_accepts_addresses_without_protocol_and_retries_with_its_custom_message() {
    let block = || {
        input(
            "in",
            "url input",
            "Site",
            json!({"retryMessageContent": "Try example.com"}),
        )
    };
    for good in [
        "example.com",
        "https://example.com/path?q=1",
        "http://sub.example.org",
    ] {
        let c = answer(block(), &["Site"], good).await;
        assert_accepted(&c);
        assert_eq!(c.var_str("Site").as_deref(), Some(good), "stored as typed");
    }
    for bad in ["not a url", "example", "ftp://example.com"] {
        let c = answer(block(), &["Site"], bad).await;
        assert_retry(&c, "in", "Try example.com");
    }
}

#[tokio::test]
async fn url_input_without_a_custom_message_uses_the_generic_invalid_message() {
    let c = answer(
        input("in", "url input", "Site", json!({})),
        &["Site"],
        "nope",
    )
    .await;
    assert_retry(&c, "in", GENERIC_RETRY);
}

#[tokio::test]
async fn the_generic_invalid_message_comes_from_the_settings_with_variables() {
    let def = with_invalid_message(
        with_values(
            linear(
                json!([
                    input("in", "number input", "N", json!({})),
                    text("t", "done")
                ]),
                &["N", "Name"],
            ),
            &[("Name", json!("Ada"))],
        ),
        "Sorry {{Name}}, I need a number",
    );
    let mut c = Chat::start(def).await;
    c.say("twelve").await;
    assert_retry(&c, "in", "Sorry Ada, I need a number");
}

#[tokio::test]
async fn phone_input_stores_e164_with_the_default_country_and_retries_with_its_message() {
    let block = || {
        input(
            "in",
            "phone number input",
            "Phone",
            json!({"defaultCountryCode": "FR", "retryMessageContent": "Bad number"}),
        )
    };
    let c = answer(block(), &["Phone"], "06 12 34 56 78").await;
    assert_accepted(&c);
    assert_eq!(c.var_str("Phone").as_deref(), Some("+33612345678"));
    let c = answer(block(), &["Phone"], "+1 415 555 2671").await;
    assert_eq!(c.var_str("Phone").as_deref(), Some("+14155552671"));
    let c = answer(block(), &["Phone"], "123").await;
    assert_retry(&c, "in", "Bad number");
    let c = answer(
        input("in", "phone number input", "Phone", json!({})),
        &["Phone"],
        "hello",
    )
    .await;
    assert_retry(&c, "in", GENERIC_RETRY);
}
