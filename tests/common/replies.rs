//! Reading the chat API's replies: the session and result ids, what the bot said, the input it
//! waits for, and the error envelope.

use serde_json::{Value, json};

pub fn session_id(body: &Value) -> String {
    body["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no sessionId in {body}"))
        .to_string()
}

pub fn result_id(body: &Value) -> String {
    body["resultId"]
        .as_str()
        .unwrap_or_else(|| panic!("no resultId in {body}"))
        .to_string()
}

/// The id of the input a response waits for (None when it waits for nothing).
pub fn input_id(body: &Value) -> Option<&str> {
    body.get("input")?.get("id")?.as_str()
}

/// The plain text of each message (rich text leaves joined, markdown as is, media URLs).
pub fn said(body: &Value) -> Vec<String> {
    messages(body)
        .iter()
        .map(|m| {
            let c = &m["content"];
            if let Some(md) = c["markdown"].as_str() {
                md.to_string()
            } else if let Some(url) = c["url"].as_str() {
                url.to_string()
            } else {
                let mut s = String::new();
                leaves(&c["richText"], true, &mut s);
                s
            }
        })
        .collect()
}

/// The plain text of every message, its rich-text paragraphs joined with a newline.
pub fn said_by_paragraph(body: &Value) -> Vec<String> {
    messages(body)
        .iter()
        .map(|m| {
            let paragraphs = m["content"]["richText"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            paragraphs
                .iter()
                .map(|p| {
                    let mut s = String::new();
                    leaves(p, false, &mut s);
                    s
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect()
}

fn messages(body: &Value) -> &Vec<Value> {
    body["messages"]
        .as_array()
        .unwrap_or_else(|| panic!("no messages in {body}"))
}

/// Appends the `text` of a rich-text node and of the nodes under it: under every key when
/// `deep`, else only under `children`.
fn leaves(v: &Value, deep: bool, out: &mut String) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(t)) = m.get("text") {
                out.push_str(t);
            }
            if deep {
                m.values().for_each(|x| leaves(x, deep, out));
            } else if let Some(Value::Array(children)) = m.get("children") {
                children.iter().for_each(|c| leaves(c, deep, out));
            }
        }
        Value::Array(a) => a.iter().for_each(|x| leaves(x, deep, out)),
        _ => {}
    }
}

/// The response has this status and error code.
#[track_caller]
pub fn assert_error_code(got: &(u16, Value), status: u16, code: &str) {
    assert_eq!(
        (got.0, got.1["code"].as_str()),
        (status, Some(code)),
        "{}",
        got.1
    );
}

/// [`assert_error_code`], and the body is the whole error envelope: the status again,
/// `defined: false` and a message.
#[track_caller]
pub fn assert_error(got: &(u16, Value), status: u16, code: &str) {
    assert_error_code(got, status, code);
    assert_eq!(got.1["status"], json!(status));
    assert_eq!(got.1["defined"], json!(false));
    assert!(got.1["message"].is_string());
}
