//! Bubbles: rich text with variables and marks, markdown, lists in v5 and v6 bubbles, media,
//! embeds waiting for an event, inline code.

use serde_json::{Value, json};
use tessera::engine::{StartParams, TextFormat, TurnStatus};

use crate::chat::Chat;
use crate::flows::{group, linear, text, vid, with_values};

fn rich(id: &str, paragraphs: Value) -> Value {
    json!({"id": id, "type": "text", "content": {"richText": paragraphs}})
}

#[tokio::test]
async fn text_bubbles_substitute_variables_and_keep_bold_italic_and_links() {
    let bubble = rich(
        "t1",
        json!([{"type": "p", "children": [
            {"text": "Hello "},
            {"text": "{{Name}}", "bold": true},
            {"text": ", see "},
            {"type": "a", "url": "https://example.com/u/{{Name}}",
             "children": [{"text": "your page", "italic": true}]},
            {"text": " {{Unknown}}!"}
        ]}]),
    );
    let def = with_values(
        linear(json!([bubble]), &["Name"]),
        &[("Name", json!("Ada"))],
    );
    let c = Chat::start(def).await;
    let nodes = &c.out.messages[0]["content"]["richText"][0]["children"];
    let kids = nodes.as_array().expect("children");
    assert!(
        kids.iter().any(|k| k["text"] == "Ada" && k["bold"] == true),
        "the value keeps the bold mark: {nodes}"
    );
    let link = kids.iter().find(|k| k["type"] == "a").expect("a link");
    assert_eq!(link["url"], "https://example.com/u/Ada");
    assert_eq!(link["children"][0]["italic"], true);
    // An unknown variable renders as nothing.
    assert_eq!(c.texts(), vec!["Hello Ada, see your page !".to_string()]);
    assert_eq!(c.out.status, TurnStatus::Completed);
}

#[tokio::test]
async fn markdown_format_renders_marks_and_links_as_commonmark() {
    let bubble = rich(
        "t1",
        json!([{"type": "p", "children": [
            {"text": "Hi "}, {"text": "{{Name}}", "bold": true}, {"text": " and "},
            {"text": "you", "italic": true}, {"text": ": "},
            {"type": "a", "url": "https://example.com", "children": [{"text": "site"}]}
        ]}]),
    );
    let def = with_values(
        linear(json!([bubble]), &["Name"]),
        &[("Name", json!("Ada"))],
    );
    let params = StartParams {
        format: TextFormat::Markdown,
        ..StartParams::default()
    };
    let c = Chat::start_with(def, params, &[]).await;
    assert_eq!(
        c.out.messages[0]["content"],
        json!({"type": "markdown", "markdown": "Hi **Ada** and _you_: [site](https://example.com)"})
    );
}

#[tokio::test]
async fn a_variable_alone_in_a_paragraph_is_rendered_as_markdown_blocks() {
    let bubble = rich(
        "t1",
        json!([{"type": "p", "children": [{"text": "{{Content}}"}]}]),
    );
    let def = with_values(
        linear(json!([bubble]), &["Content"]),
        &[("Content", json!("First **bold** line\n\nSecond line"))],
    );
    let c = Chat::start(def).await;
    let rich = c.out.messages[0]["content"]["richText"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // Like Typebot (see the transcript-2 golden), the blank line is an empty paragraph.
    assert_eq!(rich.len(), 3, "{rich:?}");
    assert!(rich[0].to_string().contains(r#""bold":true"#), "{rich:?}");
    assert_eq!(rich[1], json!({"type": "p", "children": [{"text": ""}]}));
    assert_eq!(
        c.texts(),
        vec!["First bold line\n\nSecond line".to_string()]
    );
}

#[tokio::test]
async fn v6_text_bubbles_show_a_list_as_json_text() {
    let def = with_values(
        linear(json!([text("t1", "Items: {{List}}")]), &["List"]),
        &[("List", json!(["a", "b", "c"]))],
    );
    let c = Chat::start(def).await;
    assert_eq!(c.texts(), vec![r#"Items: ["a","b","c"]"#.to_string()]);
}

#[tokio::test]
async fn v5_text_bubbles_show_only_the_last_item_of_a_list() {
    let def = json!({
        "version": "5",
        "id": "v5-flow",
        "groups": [
            {"id": "g-start", "title": "Start", "blocks": [
                {"id": "b-start", "type": "start", "label": "Start", "outgoingEdgeId": "e1"}]},
            group("g-main", "Main", json!([text("t1", "Last: {{List}}")]))
        ],
        "edges": [{"id": "e1", "from": {"blockId": "b-start"}, "to": {"groupId": "g-main"}}],
        "variables": [{"id": "vList", "name": "List", "value": ["a", "b", "c"]}]
    });
    let c = Chat::start(def).await;
    assert_eq!(c.texts(), vec!["Last: c".to_string()]);
}

#[tokio::test]
async fn media_bubbles_are_substituted_and_videos_classified() {
    let def = with_values(
        linear(
            json!([
                {"id": "img", "type": "image", "content": {"url": "https://cdn.example/{{Pic}}.png",
                 "clickLink": {"url": "https://example.com/{{Pic}}", "alt": "A picture"}}},
                {"id": "vid", "type": "video", "content": {"url": "https://www.youtube.com/watch?v=jNQXAC9IVRw&t=12"}},
                {"id": "aud", "type": "audio", "content": {"url": "https://cdn.example/{{Pic}}.ogg"}},
                {"id": "emb", "type": "embed", "content": {"url": "https://maps.example/{{Pic}}", "height": 300}},
            ]),
            &["Pic"],
        ),
        &[("Pic", json!("cat"))],
    );
    let c = Chat::start(def).await;
    let m = &c.out.messages;
    let kinds: Vec<&str> = m.iter().filter_map(|x| x["type"].as_str()).collect();
    assert_eq!(kinds, ["image", "video", "audio", "embed"]);
    assert_eq!(m[0]["id"], "img");
    assert_eq!(m[0]["content"]["url"], "https://cdn.example/cat.png");
    assert_eq!(
        m[0]["content"]["clickLink"]["url"],
        "https://example.com/cat"
    );
    assert_eq!(m[1]["content"]["type"], "youtube");
    assert_eq!(m[1]["content"]["id"], "jNQXAC9IVRw");
    assert_eq!(m[1]["content"]["queryParamsStr"], "start=12");
    assert_eq!(m[2]["content"]["url"], "https://cdn.example/cat.ogg");
    assert_eq!(m[3]["content"]["url"], "https://maps.example/cat");
    assert_eq!(c.out.status, TurnStatus::Completed);
}

#[tokio::test]
async fn an_embed_waiting_for_an_event_stops_the_turn_and_saves_the_reply() {
    let def = linear(
        json!([
            {"id": "emb", "type": "embed", "content": {"url": "https://cal.example/book",
             "waitForEvent": {"isEnabled": true, "name": "booked", "saveDataInVariableId": vid("Booking")}}},
            text("t1", "Booked: {{Booking}}"),
        ]),
        &["Booking"],
    );
    let mut c = Chat::start(def).await;
    assert_eq!(c.out.status, TurnStatus::WaitingAction);
    assert_eq!(c.out.messages.len(), 1);
    c.say("{\"slot\":\"10:30\"}").await;
    assert_eq!(c.texts(), vec![r#"Booked: {"slot":"10:30"}"#.to_string()]);
}

#[tokio::test]
async fn bubbles_without_content_are_skipped() {
    let def = linear(
        json!([{"id": "img", "type": "image"}, text("t1", "after")]),
        &[],
    );
    let c = Chat::start(def).await;
    let kinds: Vec<&str> = c
        .out
        .messages
        .iter()
        .filter_map(|x| x["type"].as_str())
        .collect();
    assert_eq!(kinds, ["text"]);
}

#[tokio::test]
async fn inline_code_runs_in_bubbles_with_variables_in_scope() {
    let def = with_values(
        linear(
            json!([text(
                "t1",
                "{{= {{Guests}} * 2 + 1 =}} chairs for {{= {{Name}}.toUpperCase() =}}"
            )]),
            &["Guests", "Name"],
        ),
        &[("Guests", json!("4")), ("Name", json!("ada"))],
    );
    let c = Chat::start(def).await;
    assert_eq!(c.texts(), vec!["9 chairs for ADA".to_string()]);
}
