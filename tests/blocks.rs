//! Engine behaviour per block family, on small hand-written flows run with the engine directly
//! (no HTTP, no network: the engine has no HTTP client here). One module per family: bubbles,
//! inputs (validators and retry messages), choices, cards, logic, events, the step budget,
//! prefilled variables and unsupported blocks. Expectations come from the behavioural spec
//! (Typebot's engine); tests marked `ignore = "engine bug: …"` show where the engine differs.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::engine::{EMAIL_RETRY, GENERIC_RETRY, texts};
use serde_json::{Value, json};
use tessera::engine::{
    Engine, EngineConfig, EngineError, MemoryFlows, Message, SessionState, StartParams, TextFormat,
    TurnOutput, TurnStatus,
};
use tessera::flow::{self, CompiledFlow, VarValue};

// ---------------------------------------------------------------------------------------------
// Flow builders

/// The id used for a variable name in these flows (a valid JS identifier).
fn vid(name: &str) -> String {
    format!(
        "v{}",
        name.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
    )
}

fn text(id: &str, s: &str) -> Value {
    json!({"id": id, "type": "text",
           "content": {"richText": [{"type": "p", "children": [{"text": s}]}]}})
}

fn block(id: &str, kind: &str, options: Value) -> Value {
    json!({"id": id, "type": kind, "options": options})
}

fn input(id: &str, kind: &str, var: &str, mut options: Value) -> Value {
    if let Some(o) = options.as_object_mut() {
        o.insert("variableId".into(), json!(vid(var)));
    }
    block(id, kind, options)
}

fn set_var(id: &str, var: &str, kind: &str, extra: Value) -> Value {
    let mut o = json!({"variableId": vid(var), "type": kind});
    if let (Some(o), Some(e)) = (o.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    block(id, "Set variable", o)
}

fn custom(id: &str, var: &str, expression: &str) -> Value {
    set_var(
        id,
        var,
        "Custom",
        json!({"expressionToEvaluate": expression}),
    )
}

fn group(id: &str, title: &str, blocks: Value) -> Value {
    json!({"id": id, "title": title, "blocks": blocks})
}

fn edge(id: &str, to_group: &str) -> Value {
    json!({"id": id, "from": {"blockId": ""}, "to": {"groupId": to_group}})
}

/// A V6 flow whose start event leads to the first group. `vars` are names; a name may carry a
/// default value as `("Name", value)` through [`with_values`].
fn flow_def(groups: Value, edges: Value, vars: &[&str]) -> Value {
    let first = groups[0]["id"].as_str().unwrap_or_default().to_string();
    let mut all_edges = vec![json!({"id": "e-start", "from": {"eventId": "start"},
                                    "to": {"groupId": first}})];
    all_edges.extend(edges.as_array().cloned().unwrap_or_default());
    json!({
        "version": "6.1",
        "id": "test-flow",
        "events": [{"id": "start", "type": "start", "outgoingEdgeId": "e-start"}],
        "groups": groups,
        "edges": all_edges,
        "variables": vars.iter().map(|n| json!({"id": vid(n), "name": n})).collect::<Vec<_>>(),
        "settings": {},
        "theme": {},
    })
}

/// One group "Main" holding `blocks`.
fn linear(blocks: Value, vars: &[&str]) -> Value {
    flow_def(json!([group("g-main", "Main", blocks)]), json!([]), vars)
}

/// Gives variables default values.
fn with_values(mut def: Value, values: &[(&str, Value)]) -> Value {
    if let Some(vars) = def["variables"].as_array_mut() {
        for (name, value) in values {
            match vars.iter_mut().find(|v| v["name"] == *name) {
                Some(v) => v["value"] = value.clone(),
                None => vars.push(json!({"id": vid(name), "name": name, "value": value})),
            }
        }
    }
    def
}

fn compile(def: &Value) -> Arc<CompiledFlow> {
    flow::load_str(&def.to_string(), "").unwrap_or_else(|e| panic!("test flow: {e:?}"))
}

// ---------------------------------------------------------------------------------------------
// A conversation driven through the engine

struct Chat {
    engine: Engine,
    flow: Arc<CompiledFlow>,
    state: Option<SessionState>,
    out: TurnOutput,
}

impl Chat {
    async fn start(def: Value) -> Chat {
        Chat::start_with(def, StartParams::default(), &[]).await
    }

    async fn start_with(def: Value, params: StartParams, others: &[Value]) -> Chat {
        Chat::try_start(def, params, others, EngineConfig::default())
            .await
            .unwrap_or_else(|e| panic!("start failed: {e}"))
    }

    async fn try_start(
        def: Value,
        params: StartParams,
        others: &[Value],
        config: EngineConfig,
    ) -> Result<Chat, EngineError> {
        let flows = Arc::new(MemoryFlows::new());
        for o in others {
            flows.publish(compile(o));
        }
        let flow = compile(&def);
        flows.publish(flow.clone());
        let engine = Engine::new(flows, None, config);
        let (state, out) = engine
            .start(flow.clone(), params, "result-1".into())
            .await?;
        Ok(Chat {
            engine,
            flow,
            state: Some(state),
            out,
        })
    }

    async fn send(&mut self, msg: Option<Message>) -> Result<(), EngineError> {
        let state = self.state.take().expect("a session");
        let (state, out) = self.engine.resume(state, msg, TextFormat::RichText).await?;
        self.state = Some(state);
        self.out = out;
        Ok(())
    }

    async fn say(&mut self, text: &str) -> &mut Self {
        self.send(Some(Message::text(text)))
            .await
            .unwrap_or_else(|e| panic!("reply {text:?} failed: {e}"));
        self
    }

    /// Plain text of every text bubble of the last turn.
    fn texts(&self) -> Vec<String> {
        texts(&self.out)
    }

    fn first_text(&self) -> String {
        self.texts().first().cloned().unwrap_or_default()
    }

    fn input_type(&self) -> Option<String> {
        self.out
            .input
            .as_ref()
            .and_then(|i| i["type"].as_str())
            .map(str::to_string)
    }

    fn input_id(&self) -> Option<String> {
        self.out
            .input
            .as_ref()
            .and_then(|i| i["id"].as_str())
            .map(str::to_string)
    }

    fn state(&self) -> &SessionState {
        self.state.as_ref().expect("a session")
    }

    /// A variable of the root flow, by name.
    fn var(&self, name: &str) -> Option<VarValue> {
        let d = self.flow.variable_by_name(name)?;
        self.state().frames[0].vars.get(&d.id).cloned()
    }

    fn var_str(&self, name: &str) -> Option<String> {
        self.var(name).map(|v| v.to_text())
    }

    fn logs(&self) -> Vec<String> {
        self.out
            .logs
            .iter()
            .map(|l| l.description.clone())
            .collect()
    }

    fn action(&self, kind: &str) -> Option<&Value> {
        self.out.actions.iter().find(|a| a["type"] == kind)
    }
}

/// Starts a one-input flow (`input` then a "done" bubble) and sends `reply`.
async fn answer(input_block: Value, vars: &[&str], reply: &str) -> Chat {
    let mut c = Chat::start(linear(json!([input_block, text("t-done", "done")]), vars)).await;
    c.say(reply).await;
    c
}

/// Asserts the turn retried the input `id` with `message`.
fn assert_retry(c: &Chat, id: &str, message: &str) {
    assert_eq!(c.texts(), vec![message.to_string()], "retry message");
    assert_eq!(
        c.out.messages[0]["id"], id,
        "the retry message has the input's id"
    );
    assert_eq!(c.input_id().as_deref(), Some(id), "the same input again");
    assert_eq!(c.out.status, TurnStatus::WaitingInput);
}

/// Asserts the reply was accepted: the flow went on to the "done" bubble.
fn assert_accepted(c: &Chat) {
    assert_eq!(c.texts(), vec!["done".to_string()], "the flow went on");
}

// ---------------------------------------------------------------------------------------------
mod bubbles {
    use super::*;

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
}

// ---------------------------------------------------------------------------------------------
mod inputs {
    use super::*;

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

    #[tokio::test]
    async fn number_input_enforces_min_and_max() {
        let block = || input("in", "number input", "N", json!({"min": 1, "max": 10}));
        for good in ["1", "10", "5.5"] {
            let c = answer(block(), &["N"], good).await;
            assert_accepted(&c);
        }
        for bad in ["0", "11", "-3", "abc", ""] {
            let c = answer(block(), &["N"], bad).await;
            assert_retry(&c, "in", GENERIC_RETRY);
        }
    }

    /// A 0 bound is enforced by Tessera (Typebot ignores falsy bounds; documented deviation in
    /// the number parser).
    #[tokio::test]
    async fn number_input_treats_a_zero_bound_as_a_real_bound() {
        let c = answer(
            input("in", "number input", "N", json!({"min": 0, "max": 5})),
            &["N"],
            "0",
        )
        .await;
        assert_accepted(&c);
        let c = answer(
            input("in", "number input", "N", json!({"min": 0})),
            &["N"],
            "-1",
        )
        .await;
        assert_retry(&c, "in", GENERIC_RETRY);
        let c = answer(
            input("in", "number input", "N", json!({"max": 0})),
            &["N"],
            "1",
        )
        .await;
        assert_retry(&c, "in", GENERIC_RETRY);
    }

    #[tokio::test]
    async fn number_input_normalises_like_javascript_and_keeps_leading_zeros() {
        for (reply, stored) in [
            ("42.50", "42.5"),
            ("0,5", "0.5"),
            ("007", "007"),
            ("1e3", "1000"),
            (" 12 ", "12"),
        ] {
            let c = answer(input("in", "number input", "N", json!({})), &["N"], reply).await;
            assert_accepted(&c);
            assert_eq!(c.var_str("N").as_deref(), Some(stored), "{reply:?}");
        }
    }

    #[tokio::test]
    async fn number_input_bounds_may_come_from_variables() {
        let def = with_values(
            linear(
                json!([
                    input("in", "number input", "N", json!({"max": "{{Max}}"})),
                    text("t", "done")
                ]),
                &["N", "Max"],
            ),
            &[("Max", json!("3"))],
        );
        let mut c = Chat::start(def).await;
        c.say("4").await;
        assert_retry(&c, "in", GENERIC_RETRY);
        c.say("3").await;
        assert_accepted(&c);
    }

    #[tokio::test]
    async fn date_input_formats_dates_times_and_ranges() {
        let cases = [
            (json!({}), "2026-01-15", "15/01/2026"),
            (
                json!({"hasTime": true}),
                "2026-01-15T10:30",
                "15/01/2026 10:30",
            ),
            (json!({"format": "yyyy-MM-dd"}), "15/01/2026", "2026-01-15"),
            (
                json!({"isRange": true}),
                "2026-07-01 to 2026-07-15",
                "01/07/2026 to 15/07/2026",
            ),
            (
                json!({"isRange": true, "labels": {"separator": "→"}}),
                "2026-07-01 to 2026-07-15",
                "01/07/2026 → 15/07/2026",
            ),
        ];
        for (options, reply, stored) in cases {
            let c = answer(
                input("in", "date input", "D", options.clone()),
                &["D"],
                reply,
            )
            .await;
            assert_accepted(&c);
            assert_eq!(
                c.var_str("D").as_deref(),
                Some(stored),
                "{options} {reply:?}"
            );
        }
    }

    #[tokio::test]
    async fn date_input_rejects_nonsense_missing_range_ends_and_dates_out_of_bounds() {
        let cases = [
            (json!({}), "not a date"),
            (json!({"isRange": true}), "2026-07-01"),
            (json!({"isRange": true}), "2026-07-15 to 2026-07-01"),
            (json!({"min": "2026-01-01"}), "2025-12-31"),
            (json!({"max": "2026-12-31"}), "2027-01-01"),
        ];
        for (options, reply) in cases {
            let c = answer(
                input("in", "date input", "D", options.clone()),
                &["D"],
                reply,
            )
            .await;
            assert_retry(&c, "in", GENERIC_RETRY);
        }
    }

    #[tokio::test]
    async fn time_input_reads_common_notations() {
        for (reply, stored) in [("10:30", "10:30"), ("10:30 pm", "22:30"), ("9am", "09:00")] {
            let c = answer(input("in", "time input", "T", json!({})), &["T"], reply).await;
            assert_accepted(&c);
            assert_eq!(c.var_str("T").as_deref(), Some(stored), "{reply:?}");
        }
        let c = answer(
            input("in", "time input", "T", json!({"format": "h:mm a"})),
            &["T"],
            "22:05",
        )
        .await;
        assert_eq!(c.var_str("T").as_deref(), Some("10:05 PM"));
        let c = answer(input("in", "time input", "T", json!({})), &["T"], "banana").await;
        assert_retry(&c, "in", GENERIC_RETRY);
    }

    #[tokio::test]
    async fn rating_input_accepts_numbers_up_to_its_length() {
        let block = || {
            input(
                "in",
                "rating input",
                "R",
                json!({"length": 5, "buttonType": "Numbers"}),
            )
        };
        for good in ["0", "3", "5"] {
            let c = answer(block(), &["R"], good).await;
            assert_accepted(&c);
            assert_eq!(c.var_str("R").as_deref(), Some(good));
        }
        for bad in ["6", "99", "abc", ""] {
            let c = answer(block(), &["R"], bad).await;
            assert_retry(&c, "in", GENERIC_RETRY);
        }
        // Without a length, ratings go up to 10.
        let c = answer(input("in", "rating input", "R", json!({})), &["R"], "10").await;
        assert_accepted(&c);
        let c = answer(input("in", "rating input", "R", json!({})), &["R"], "11").await;
        assert_retry(&c, "in", GENERIC_RETRY);
    }

    /// Deliberate difference (docs/COMPATIBILITY.md): Typebot only checks the upper bound.
    #[tokio::test]
    async fn rating_input_rejects_replies_below_its_scale_start() {
        let c = answer(
            input("in", "rating input", "R", json!({"length": 5})),
            &["R"],
            "-1",
        )
        .await;
        assert_retry(&c, "in", "Invalid message. Please, try again.");
        let c = answer(
            input(
                "in",
                "rating input",
                "R",
                json!({"length": 5, "startsAt": 1}),
            ),
            &["R"],
            "0",
        )
        .await;
        assert_retry(&c, "in", "Invalid message. Please, try again.");
    }

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
}

// ---------------------------------------------------------------------------------------------
mod choices {
    use super::*;

    fn choice(id: &str, var: &str, options: Value, items: Value) -> Value {
        let mut b = input(id, "choice input", var, options);
        b["items"] = items;
        b
    }

    /// A single choice whose "Red" item has its own edge to group "Red".
    fn colours() -> Value {
        let mut b = choice(
            "in",
            "Colour",
            json!({}),
            json!([
                {"id": "i-red", "content": "Red", "outgoingEdgeId": "e-red"},
                {"id": "i-blue", "content": "Blue", "value": "#0000ff"},
                {"id": "i-green", "content": "  Green  "},
            ]),
        );
        b["outgoingEdgeId"] = json!("e-next");
        flow_def(
            json!([
                group("g-main", "Main", json!([b])),
                group(
                    "g-red",
                    "Red",
                    json!([text("t-red", "Red path: {{Colour}}")])
                ),
                group(
                    "g-next",
                    "Next",
                    json!([text("t-next", "Next: {{Colour}}")])
                ),
            ]),
            json!([edge("e-red", "g-red"), edge("e-next", "g-next")]),
            &["Colour"],
        )
    }

    #[tokio::test]
    async fn single_choice_matches_by_content_and_follows_the_item_edge() {
        let mut c = Chat::start(colours()).await;
        c.say("Red").await;
        assert_eq!(c.texts(), vec!["Red path: Red".to_string()]);
    }

    #[tokio::test]
    async fn single_choice_matches_by_value_and_stores_the_value() {
        let mut c = Chat::start(colours()).await;
        c.say("#0000ff").await;
        assert_eq!(
            c.texts(),
            vec!["Next: #0000ff".to_string()],
            "no item edge: the block's edge"
        );
        let mut c = Chat::start(colours()).await;
        c.say("Blue").await;
        assert_eq!(
            c.var_str("Colour").as_deref(),
            Some("#0000ff"),
            "the value is stored"
        );
        assert_eq!(c.out.last_message_new_format.as_deref(), Some("#0000ff"));
    }

    #[tokio::test]
    async fn single_choice_matches_by_item_id_and_by_reply_id_and_trims() {
        let mut c = Chat::start(colours()).await;
        c.say("i-red").await;
        assert_eq!(c.texts(), vec!["Red path: Red".to_string()]);
        let mut c = Chat::start(colours()).await;
        c.send(Some(Message::Text {
            text: "whatever".into(),
            reply_id: Some("i-red".into()),
            attached_file_urls: vec![],
        }))
        .await
        .expect("reply");
        assert_eq!(c.texts(), vec!["Red path: Red".to_string()]);
        let mut c = Chat::start(colours()).await;
        c.say(" Green ").await;
        assert_eq!(c.var_str("Colour").as_deref(), Some("  Green  "));
    }

    #[tokio::test]
    async fn single_choice_is_case_sensitive_and_retries_unknown_replies() {
        for bad in ["red", "Purple", "1"] {
            let mut c = Chat::start(colours()).await;
            c.say(bad).await;
            assert_retry(&c, "in", GENERIC_RETRY);
        }
    }

    fn toppings(extra: Value) -> Value {
        let b = choice(
            "in",
            "Toppings",
            json!({"isMultipleChoice": true}),
            json!([
                {"id": "t1", "content": "Cheese"},
                {"id": "t2", "content": "Ham", "value": "HAM"},
                {"id": "t3", "content": "Extra cheese"},
                {"id": "t4", "content": "Olives"},
            ]),
        );
        let mut def = linear(json!([b, text("t", "{{Toppings}}")]), &["Toppings"]);
        if let Some(e) = extra.as_object() {
            for (k, v) in e {
                def["groups"][0]["blocks"][0]["options"][k] = v.clone();
            }
        }
        def
    }

    #[tokio::test]
    async fn multiple_choice_matches_whole_phrases_in_item_order() {
        for (reply, stored) in [
            ("Olives, Cheese", "Cheese, Olives"),
            ("extra cheese and olives", "Extra cheese, Olives"),
            ("Cheese, Extra cheese", "Cheese, Extra cheese"),
            ("ham", "HAM"),
        ] {
            let mut c = Chat::start(toppings(json!({}))).await;
            c.say(reply).await;
            assert_eq!(c.texts(), vec![stored.to_string()], "{reply:?}");
        }
    }

    #[tokio::test]
    async fn multiple_choice_accepts_one_based_indexes() {
        let mut c = Chat::start(toppings(json!({}))).await;
        c.say("1, 4").await;
        assert_eq!(c.texts(), vec!["Cheese, Olives".to_string()]);
    }

    #[tokio::test]
    async fn multiple_choice_rejects_replies_matching_nothing() {
        for bad in ["pineapple", "9", "cheesecake"] {
            let mut c = Chat::start(toppings(json!({}))).await;
            c.say(bad).await;
            assert_retry(&c, "in", GENERIC_RETRY);
        }
    }

    fn vip_menu() -> Value {
        let b = choice(
            "in",
            "Pick",
            json!({}),
            json!([
                {"id": "a", "content": "Standard"},
                {"id": "b", "content": "Lounge", "displayCondition": {"isEnabled": true, "condition": {
                    "logicalOperator": "AND",
                    "comparisons": [{"id": "c1", "variableId": vid("Vip"), "comparisonOperator": "Equal to", "value": "yes"}]}}},
            ]),
        );
        linear(json!([b, text("t", "done")]), &["Pick", "Vip"])
    }

    #[tokio::test]
    async fn items_hidden_by_their_display_condition_are_not_shown_and_not_accepted() {
        let mut c = Chat::start(vip_menu()).await;
        let items = c
            .out
            .input
            .as_ref()
            .map(|i| i["items"].clone())
            .unwrap_or_default();
        assert_eq!(items.as_array().map(Vec::len), Some(1), "{items}");
        c.say("Lounge").await;
        assert_retry(&c, "in", GENERIC_RETRY);
        let mut c = Chat::start(with_values(vip_menu(), &[("Vip", json!("yes"))])).await;
        assert_eq!(
            c.out
                .input
                .as_ref()
                .and_then(|i| i["items"].as_array().map(Vec::len)),
            Some(2)
        );
        c.say("Lounge").await;
        assert_accepted(&c);
    }

    #[tokio::test]
    async fn dynamic_items_come_from_a_list_variable_without_duplicates() {
        let b = choice(
            "in",
            "Pick",
            json!({"dynamicVariableId": vid("Options")}),
            json!([{"id": "x", "content": "placeholder"}]),
        );
        let def = with_values(
            linear(
                json!([b, text("t", "You picked {{Pick}}")]),
                &["Pick", "Options"],
            ),
            &[("Options", json!(["Paris", "Rome", "Paris", "", "Oslo"]))],
        );
        let mut c = Chat::start(def).await;
        assert_eq!(
            c.out.input.as_ref().map(|i| i["items"].clone()),
            Some(json!([
                {"id": "choice0", "content": "Paris"},
                {"id": "choice1", "content": "Rome"},
                {"id": "choice2", "content": "Oslo"},
            ]))
        );
        c.say("Rome").await;
        assert_eq!(c.texts(), vec!["You picked Rome".to_string()]);
    }

    #[tokio::test]
    async fn searchable_choices_are_sent_with_their_search_options() {
        let b = choice(
            "in",
            "Pick",
            json!({"isSearchable": true, "searchInputPlaceholder": "Find…"}),
            json!([{"id": "a", "content": "Alpha"}, {"id": "b", "content": "Beta"}]),
        );
        let mut c = Chat::start(linear(json!([b, text("t", "done")]), &["Pick"])).await;
        let opts = c
            .out
            .input
            .as_ref()
            .map(|i| i["options"].clone())
            .unwrap_or_default();
        assert_eq!(opts["isSearchable"], true);
        assert_eq!(opts["searchInputPlaceholder"], "Find…");
        c.say("Beta").await;
        assert_accepted(&c);
    }

    #[tokio::test]
    async fn picture_choice_matches_titles_values_and_ids() {
        let pics = || {
            let mut b = input("in", "picture choice input", "Pet", json!({}));
            b["items"] = json!([
                {"id": "p1", "title": "Cat", "pictureSrc": "https://cdn.example/cat.png"},
                {"id": "p2", "title": "Dog", "value": "dog-42", "pictureSrc": "https://cdn.example/dog.png"},
                {"id": "p3", "pictureSrc": "https://cdn.example/fish.png"},
            ]);
            linear(json!([b, text("t", "{{Pet}}")]), &["Pet"])
        };
        for (reply, stored) in [
            ("Cat", "Cat"),
            ("Dog", "dog-42"),
            ("p3", "https://cdn.example/fish.png"),
        ] {
            let mut c = Chat::start(pics()).await;
            c.say(reply).await;
            assert_eq!(c.texts(), vec![stored.to_string()], "{reply:?}");
        }
        let mut c = Chat::start(pics()).await;
        c.say("Hamster").await;
        assert_retry(&c, "in", GENERIC_RETRY);
    }

    #[tokio::test]
    async fn picture_choice_items_can_come_from_list_variables() {
        let mut b = input(
            "in",
            "picture choice input",
            "Pet",
            json!({"dynamicItems": {
            "isEnabled": true, "pictureSrcsVariableId": vid("Srcs"), "titlesVariableId": vid("Titles")}}),
        );
        b["items"] = json!([{"id": "x", "pictureSrc": "https://cdn.example/placeholder.png"}]);
        let def = with_values(
            linear(json!([b, text("t", "{{Pet}}")]), &["Pet", "Srcs", "Titles"]),
            &[
                (
                    "Srcs",
                    json!(["https://cdn.example/a.png", "https://cdn.example/b.png"]),
                ),
                ("Titles", json!(["Ant", "Bee"])),
            ],
        );
        let mut c = Chat::start(def).await;
        let items = c
            .out
            .input
            .as_ref()
            .map(|i| i["items"].clone())
            .unwrap_or_default();
        assert_eq!(
            items[1],
            json!({"id": "1", "pictureSrc": "https://cdn.example/b.png", "title": "Bee"})
        );
        c.say("Bee").await;
        assert_eq!(c.texts(), vec!["Bee".to_string()]);
    }

    // -- cards

    fn cities() -> Value {
        let cards = json!({
            "id": "cards", "type": "cards", "outgoingEdgeId": "e-next",
            "options": {"saveResponseMapping": [
                {"field": "Title", "variableId": vid("City")},
                {"field": "Button", "variableId": vid("Button")},
                {"field": "Internal Value", "variableId": vid("Code")},
                {"field": "Description", "variableId": vid("Desc")},
            ]},
            "items": [
                {"id": "c1", "title": "Paris", "description": "City of light", "imageUrl": "https://cdn.example/paris.jpg",
                 "options": {"internalValue": "PAR"},
                 "paths": [{"id": "p-go", "text": "Go"}, {"id": "p-info", "text": "More info", "outgoingEdgeId": "e-info"}]},
                {"id": "c2", "title": "Rome", "imageUrl": "https://cdn.example/rome.jpg",
                 "paths": [{"id": "p-rome", "text": "Go", "outgoingEdgeId": "e-info"}]},
            ]
        });
        flow_def(
            json!([
                group("g-main", "Main", json!([cards])),
                group(
                    "g-info",
                    "Info",
                    json!([text("t-info", "Info about {{City}} ({{Button}})")])
                ),
                group(
                    "g-next",
                    "Next",
                    json!([text("t-next", "Going to {{City}} {{Code}}: {{Desc}}")])
                ),
            ]),
            json!([edge("e-info", "g-info"), edge("e-next", "g-next")]),
            &["City", "Button", "Code", "Desc"],
        )
    }

    #[tokio::test]
    async fn cards_follow_the_edge_of_the_clicked_path_and_map_its_fields() {
        let mut c = Chat::start(cities()).await;
        assert_eq!(c.input_type().as_deref(), Some("cards"));
        c.send(Some(Message::Text {
            text: "p-info".into(),
            reply_id: Some("p-info".into()),
            attached_file_urls: vec![],
        }))
        .await
        .expect("reply");
        assert_eq!(c.texts(), vec!["Info about Paris (More info)".to_string()]);
        let mut c = Chat::start(cities()).await;
        c.say("p-go").await;
        assert_eq!(
            c.texts(),
            vec!["Going to Paris PAR: City of light".to_string()],
            "a path without edge: the block's edge"
        );
    }

    #[tokio::test]
    async fn cards_match_a_title_case_insensitively_using_the_first_path() {
        let mut c = Chat::start(cities()).await;
        c.say("  rome ").await;
        assert_eq!(c.texts(), vec!["Info about Rome (Go)".to_string()]);
        let mut c = Chat::start(cities()).await;
        c.say("Berlin").await;
        assert_retry(&c, "cards", GENERIC_RETRY);
    }

    #[tokio::test]
    async fn cards_expand_list_variables_into_one_card_per_item() {
        let cards = json!({"id": "cards", "type": "cards", "items": [
            {"id": "c1", "title": "{{Titles}}", "imageUrl": "{{Images}}", "paths": [{"id": "p1", "text": "Pick"}]}]});
        let def = with_values(
            linear(json!([cards, text("t", "done")]), &["Titles", "Images"]),
            &[
                ("Titles", json!(["One", "Two"])),
                (
                    "Images",
                    json!(["https://cdn.example/1.png", "https://cdn.example/2.png"]),
                ),
            ],
        );
        let mut c = Chat::start(def).await;
        let items = c
            .out
            .input
            .as_ref()
            .map(|i| i["items"].clone())
            .unwrap_or_default();
        assert_eq!(items.as_array().map(Vec::len), Some(2), "{items}");
        assert_eq!(items[1]["title"], "Two");
        assert_eq!(items[1]["imageUrl"], "https://cdn.example/2.png");
        c.say("two").await;
        assert_accepted(&c);
    }
}

// ---------------------------------------------------------------------------------------------
mod logic {
    use super::*;

    /// Runs `blocks` then shows `{{Out}}`-style bubbles; returns the chat.
    async fn run(blocks: Value, vars: &[&str], values: &[(&str, Value)]) -> Chat {
        Chat::start(with_values(linear(blocks, vars), values)).await
    }

    fn parse_time(s: &str) -> chrono::DateTime<chrono::FixedOffset> {
        chrono::DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    #[tokio::test]
    async fn set_variable_custom_evaluates_code_with_typed_variables() {
        let c = run(
            json!([custom("s1", "Score", "{{Score}} + 5")]),
            &["Score"],
            &[("Score", json!("10"))],
        )
        .await;
        assert_eq!(c.var_str("Score").as_deref(), Some("15"));
        let c = run(
            json!([custom(
                "s1",
                "Out",
                "{{Name}}.length > 2 ? 'long' : 'short'"
            )]),
            &["Out", "Name"],
            &[("Name", json!("Ada"))],
        )
        .await;
        assert_eq!(c.var_str("Out").as_deref(), Some("long"));
        let c = run(
            json!([custom(
                "s1",
                "Out",
                "const x = [1, 2, 3]; return x.map(n => n * 2)"
            )]),
            &["Out"],
            &[],
        )
        .await;
        assert_eq!(
            c.var("Out"),
            Some(VarValue::List(vec![
                Some("2".into()),
                Some("4".into()),
                Some("6".into())
            ]))
        );
    }

    #[tokio::test]
    async fn set_variable_custom_falls_back_to_text_when_the_code_fails() {
        let c = run(
            json!([custom("s1", "Segment", "Promoter")]),
            &["Segment"],
            &[],
        )
        .await;
        assert_eq!(c.var_str("Segment").as_deref(), Some("Promoter"));
        let c = run(
            json!([custom("s1", "Url", "https://example.com/{{Id}}")]),
            &["Url", "Id"],
            &[("Id", json!("42"))],
        )
        .await;
        assert_eq!(c.var_str("Url").as_deref(), Some("https://example.com/42"));
        assert!(c.logs().is_empty(), "not code: no log {:?}", c.logs());
    }

    #[tokio::test]
    async fn set_variable_custom_code_errors_are_logged_and_saved_when_marked_as_code() {
        let b = set_var(
            "s1",
            "Out",
            "Custom",
            json!({"expressionToEvaluate": "missingFunction()",
            "isCode": true, "saveErrorInVariableId": vid("Err")}),
        );
        let c = run(json!([b]), &["Out", "Err"], &[]).await;
        assert!(
            c.logs()
                .iter()
                .any(|l| l.starts_with("Error while evaluating")),
            "{:?}",
            c.logs()
        );
        assert!(
            c.var_str("Err")
                .is_some_and(|e| e.contains("missingFunction")),
            "{:?}",
            c.var("Err")
        );
        // The value falls back to the substituted expression text.
        assert_eq!(c.var_str("Out").as_deref(), Some("missingFunction()"));
    }

    #[tokio::test]
    async fn set_variable_keeps_a_single_variable_and_leading_zero_literals_as_text() {
        let c = run(
            json!([
                custom("s1", "Copy", "{{List}}"),
                custom("s2", "Code", "007"),
                custom("s3", "Zero", "0")
            ]),
            &["Copy", "List", "Code", "Zero"],
            &[("List", json!(["a", "b"]))],
        )
        .await;
        assert_eq!(c.var_str("Copy").as_deref(), Some(r#"["a","b"]"#));
        assert_eq!(c.var_str("Code").as_deref(), Some("007"));
        assert_eq!(c.var_str("Zero").as_deref(), Some("0"));
    }

    #[tokio::test]
    async fn set_variable_empty_clears_a_variable() {
        let c = run(
            json!([set_var("s1", "X", "Empty", json!({}))]),
            &["X"],
            &[("X", json!("something"))],
        )
        .await;
        assert_eq!(c.var("X"), None);
    }

    #[tokio::test]
    async fn set_variable_append_builds_lists() {
        let append = |id: &str, var: &str, item: &str| {
            set_var(id, var, "Append value(s)", json!({"item": item}))
        };
        let c = run(
            json!([
                append("s1", "New", "a"),
                append("s2", "New", "{{Name}}"),
                append("s3", "Old", "b")
            ]),
            &["New", "Old", "Name"],
            &[("Name", json!("Ada")), ("Old", json!("a"))],
        )
        .await;
        assert_eq!(
            c.var("New"),
            Some(VarValue::List(vec![Some("a".into()), Some("Ada".into())]))
        );
        assert_eq!(
            c.var("Old"),
            Some(VarValue::List(vec![Some("a".into()), Some("b".into())]))
        );
    }

    #[tokio::test]
    async fn set_variable_pop_and_shift_remove_items_and_save_them() {
        let c = run(
            json!([
                set_var(
                    "s1",
                    "L",
                    "Pop",
                    json!({"saveItemInVariableId": vid("Last")})
                ),
                set_var(
                    "s2",
                    "L",
                    "Shift",
                    json!({"saveItemInVariableId": vid("First")})
                ),
                set_var(
                    "s3",
                    "Unset",
                    "Pop",
                    json!({"saveItemInVariableId": vid("Nothing")})
                ),
            ]),
            &["L", "Last", "First", "Unset", "Nothing"],
            &[("L", json!(["a", "b", "c", "d"]))],
        )
        .await;
        assert_eq!(c.var_str("Last").as_deref(), Some("d"));
        assert_eq!(c.var_str("First").as_deref(), Some("a"));
        assert_eq!(
            c.var("L"),
            Some(VarValue::List(vec![Some("b".into()), Some("c".into())]))
        );
        assert_eq!(
            c.var("Unset"),
            None,
            "popping an unset variable does nothing"
        );
        assert_eq!(c.var("Nothing"), None);
    }

    #[tokio::test]
    async fn set_variable_map_item_with_same_index_picks_the_parallel_item() {
        let b = set_var(
            "s1",
            "Price",
            "Map item with same index",
            json!({"mapListItemParams": {
            "baseItemVariableId": vid("Pick"), "baseListVariableId": vid("Names"), "targetListVariableId": vid("Prices")}}),
        );
        let values = |pick: &str| {
            vec![
                ("Pick", json!(pick)),
                ("Names", json!(["Tea", "Coffee"])),
                ("Prices", json!(["2", "3"])),
            ]
        };
        let c = run(
            json!([b.clone()]),
            &["Price", "Pick", "Names", "Prices"],
            &values("Coffee"),
        )
        .await;
        assert_eq!(c.var_str("Price").as_deref(), Some("3"));
        let c = run(
            json!([b]),
            &["Price", "Pick", "Names", "Prices"],
            &values("Juice"),
        )
        .await;
        assert_eq!(
            c.var("Price"),
            None,
            "an item not in the list maps to nothing"
        );
    }

    #[tokio::test]
    async fn set_variable_environment_name_user_id_and_result_id() {
        let c = run(
            json!([
                set_var("s1", "Env", "Environment name", json!({})),
                set_var("s2", "User", "User ID", json!({})),
                set_var("s3", "Result", "Result ID", json!({})),
            ]),
            &["Env", "User", "Result"],
            &[],
        )
        .await;
        assert_eq!(c.var_str("Env").as_deref(), Some("web"));
        assert_eq!(c.var_str("User").as_deref(), Some("result-1"));
        assert_eq!(c.var_str("Result").as_deref(), Some("result-1"));
    }

    #[tokio::test]
    async fn set_variable_random_id_gives_a_fresh_id_each_time() {
        let b = json!([
            set_var("s1", "A", "Random ID", json!({})),
            set_var("s2", "B", "Random ID", json!({}))
        ]);
        let c = run(b, &["A", "B"], &[]).await;
        let (a, b) = (
            c.var_str("A").unwrap_or_default(),
            c.var_str("B").unwrap_or_default(),
        );
        assert!(tessera::ids::is_plausible_id(&a), "{a:?}");
        assert!(a.len() >= 20 && a != b, "{a} / {b}");
    }

    #[tokio::test]
    async fn set_variable_dates_are_now_yesterday_and_tomorrow() {
        let c = run(
            json!([
                set_var("s1", "Now", "Now", json!({})),
                set_var("s2", "Today", "Today", json!({})),
                set_var("s3", "Yesterday", "Yesterday", json!({})),
                set_var("s4", "Tomorrow", "Tomorrow", json!({})),
                set_var("s5", "Paris", "Now", json!({"timeZone": "Europe/Paris"})),
            ]),
            &["Now", "Today", "Yesterday", "Tomorrow", "Paris"],
            &[],
        )
        .await;
        let now = c.var_str("Now").unwrap_or_default();
        assert!(now.ends_with('Z'), "UTC ISO-8601: {now}");
        let now_t = parse_time(&now);
        let wall = chrono::Utc::now();
        assert!((wall.timestamp() - now_t.timestamp()).abs() < 60, "{now}");
        let today = parse_time(&c.var_str("Today").unwrap_or_default());
        assert!((today.timestamp() - now_t.timestamp()).abs() <= 1);
        let yesterday = parse_time(&c.var_str("Yesterday").unwrap_or_default());
        let tomorrow = parse_time(&c.var_str("Tomorrow").unwrap_or_default());
        assert_eq!(now_t.timestamp() - yesterday.timestamp(), 86_400);
        assert_eq!(tomorrow.timestamp() - now_t.timestamp(), 86_400);
        let paris = c.var_str("Paris").unwrap_or_default();
        assert!(
            paris.ends_with("+01:00") || paris.ends_with("+02:00"),
            "{paris}"
        );
        assert!((parse_time(&paris).timestamp() - now_t.timestamp()).abs() <= 1);
    }

    #[tokio::test]
    async fn set_variable_transcript_replays_the_conversation() {
        let def = linear(
            json!([
                text("t1", "Hi! Your name?"),
                input("in", "text input", "Name", json!({})),
                set_var("s1", "T", "Transcript", json!({})),
                text("t2", "ok"),
            ]),
            &["Name", "T"],
        );
        let mut c = Chat::start(def).await;
        c.say("Ada").await;
        assert_eq!(
            c.var_str("T").as_deref(),
            Some("Assistant: \"Hi! Your name?\"\n\nUser: \"Ada\"")
        );
    }

    #[tokio::test]
    async fn set_variable_moment_of_the_day_is_asked_to_the_client() {
        let def = linear(
            json!([
                set_var("s1", "Moment", "Moment of the day", json!({})),
                text("t", "Good {{Moment}}")
            ]),
            &["Moment"],
        );
        let mut c = Chat::start(def).await;
        assert_eq!(c.out.status, TurnStatus::WaitingAction);
        let action = c.action("setVariable").cloned().unwrap_or_default();
        assert_eq!(action["expectsDedicatedReply"], true);
        assert!(
            action["setVariable"]["scriptToExecute"]["content"]
                .as_str()
                .is_some_and(|s| s.contains("getHours"))
        );
        c.say("evening").await;
        assert_eq!(c.texts(), vec!["Good evening".to_string()]);
    }

    #[tokio::test]
    async fn set_variable_executed_on_client_stores_the_parsed_reply() {
        let b = set_var(
            "s1",
            "Href",
            "Custom",
            json!({"expressionToEvaluate": "window.location.href + {{Id}}", "isExecutedOnClient": true}),
        );
        let mut c = run(
            json!([b, text("t", "{{Href}}")]),
            &["Href", "Id"],
            &[("Id", json!("7"))],
        )
        .await;
        let script = c
            .action("setVariable")
            .map(|a| a["setVariable"]["scriptToExecute"].clone())
            .unwrap_or_default();
        assert_eq!(
            script["content"], "window.location.href + vId",
            "variables are passed by id"
        );
        assert_eq!(script["args"], json!([{"id": "vId", "value": 7}]));
        c.say("[\"a\",\"b\"]").await;
        assert_eq!(
            c.var("Href"),
            Some(VarValue::List(vec![Some("a".into()), Some("b".into())]))
        );
    }

    // -- conditions

    /// A Condition on variable X: true goes to "Yes", else (block edge) to "No".
    fn condition_flow(op: &str, right: Option<&str>, x: Option<Value>) -> Value {
        let mut cmp = json!({"id": "c1", "variableId": vid("X"), "comparisonOperator": op});
        if let Some(r) = right {
            cmp["value"] = json!(r);
        }
        let cond = json!({"id": "cond", "type": "Condition", "outgoingEdgeId": "e-no",
            "items": [{"id": "it1", "outgoingEdgeId": "e-yes", "content": {"comparisons": [cmp]}}]});
        let def = flow_def(
            json!([
                group("g-main", "Main", json!([cond])),
                group("g-yes", "Yes", json!([text("t-yes", "yes")])),
                group("g-no", "No", json!([text("t-no", "no")])),
            ]),
            json!([edge("e-yes", "g-yes"), edge("e-no", "g-no")]),
            &["X", "Y"],
        );
        match x {
            Some(v) => with_values(def, &[("X", v), ("Y", json!(["b", "a"]))]),
            None => with_values(def, &[("Y", json!(["b", "a"]))]),
        }
    }

    #[tokio::test]
    async fn condition_operators_compare_like_typebot() {
        let s = |v: &str| Some(json!(v));
        let list = || Some(json!(["a", "b", "c"]));
        let cases: Vec<(Option<Value>, &str, Option<&str>, bool)> = vec![
            (s("Ada"), "Equal to", Some("Ada"), true),
            (s("Ada"), "Equal to", Some("ada"), false),
            (s("Ada"), "Not equal", Some("Bob"), true),
            (s("Ada"), "Not equal", Some("Ada"), false),
            (s("Hello World"), "Contains", Some("world"), true),
            (s("Hello"), "Contains", Some("xyz"), false),
            (s("Hello"), "Does not contain", Some("xyz"), true),
            (s("Hello"), "Does not contain", Some("ELL"), false),
            (s("10"), "Greater than", Some("9"), true),
            (s("10"), "Less than", Some("9"), false),
            (s("5"), "Greater or equal to", Some("5"), true),
            (s("5"), "Less or equal to", Some("4"), false),
            (s("2026-01-15"), "Greater than", Some("2025-12-31"), true),
            (s("abcd"), "Greater than", Some("abc"), true),
            (None, "Is set", None, false),
            (s("x"), "Is set", None, true),
            (None, "Is empty", None, true),
            (s("x"), "Is empty", None, false),
            (s("Hello"), "Starts with", Some("he"), true),
            (s("Hello"), "Starts with", Some("lo"), false),
            (s("Hello"), "Ends with", Some("LO"), true),
            (s("abc123"), "Matches regex", Some("^[a-z]+\\d+$"), true),
            (s("ABC"), "Matches regex", Some("/^abc$/i"), true),
            (s("ABC"), "Matches regex", Some("^abc$"), false),
            (s("abc"), "Does not match regex", Some("^\\d+$"), true),
            (s("abc"), "Matches regex", Some("(unclosed"), false),
            (list(), "Contains", Some("b"), true),
            (list(), "Contains", Some("z"), false),
            (list(), "Does not contain", Some("z"), true),
            (list(), "Greater than", Some("2"), true),
            (list(), "Less than", Some("2"), false),
            (s("b"), "Equal to", Some("{{Y}}"), false),
            (s("a"), "Contains", Some("{{Y}}"), true),
            (s("x"), "Unknown operator", Some("x"), false),
        ];
        for (x, op, right, expected) in cases {
            let c = Chat::start(condition_flow(op, right, x.clone())).await;
            let want = if expected { "yes" } else { "no" };
            assert_eq!(c.first_text(), want, "{x:?} {op} {right:?}");
        }
    }

    fn two_comparisons(op: &str, a: &str, b: &str) -> Value {
        let cond = json!({"id": "cond", "type": "Condition", "outgoingEdgeId": "e-no",
            "items": [{"id": "it1", "outgoingEdgeId": "e-yes", "content": {"logicalOperator": op, "comparisons": [
                {"id": "c1", "variableId": vid("A"), "comparisonOperator": "Equal to", "value": "1"},
                {"id": "c2", "variableId": vid("B"), "comparisonOperator": "Equal to", "value": "1"}]}}]});
        with_values(
            flow_def(
                json!([
                    group("g-main", "Main", json!([cond])),
                    group("g-yes", "Yes", json!([text("t-yes", "yes")])),
                    group("g-no", "No", json!([text("t-no", "no")])),
                ]),
                json!([edge("e-yes", "g-yes"), edge("e-no", "g-no")]),
                &["A", "B"],
            ),
            &[("A", json!(a)), ("B", json!(b))],
        )
    }

    #[tokio::test]
    async fn condition_and_needs_every_comparison_and_or_needs_one() {
        for (op, a, b, want) in [
            ("AND", "1", "1", "yes"),
            ("AND", "1", "0", "no"),
            ("OR", "1", "0", "yes"),
            ("OR", "0", "0", "no"),
        ] {
            let c = Chat::start(two_comparisons(op, a, b)).await;
            assert_eq!(c.first_text(), want, "{op} {a} {b}");
        }
    }

    #[tokio::test]
    async fn condition_takes_the_first_true_item_and_else_goes_on_in_the_group() {
        let item = |id: &str, value: &str, edge: Option<&str>| {
            let mut it = json!({"id": id, "content": {"comparisons": [
                {"id": format!("c-{id}"), "variableId": vid("X"), "comparisonOperator": "Equal to", "value": value}]}});
            if let Some(e) = edge {
                it["outgoingEdgeId"] = json!(e);
            }
            it
        };
        let def = |x: &str| {
            let cond = json!({"id": "cond", "type": "Condition",
                "items": [item("i1", "1", Some("e-one")), item("i2", "2", None), item("i3", "1", Some("e-other"))]});
            with_values(
                flow_def(
                    json!([
                        group("g-main", "Main", json!([cond, text("t-after", "after")])),
                        group("g-one", "One", json!([text("t-one", "one")])),
                        group("g-other", "Other", json!([text("t-other", "other")])),
                    ]),
                    json!([edge("e-one", "g-one"), edge("e-other", "g-other")]),
                    &["X"],
                ),
                &[("X", json!(x))],
            )
        };
        let c = Chat::start(def("1")).await;
        assert_eq!(c.texts(), vec!["one".to_string()], "first true item wins");
        let c = Chat::start(def("2")).await;
        assert!(
            c.texts().is_empty(),
            "a true item without edge ends the walk"
        );
        assert_eq!(c.out.status, TurnStatus::Completed);
        let c = Chat::start(def("3")).await;
        assert_eq!(
            c.texts(),
            vec!["after".to_string()],
            "no true item, no else edge: next block"
        );
    }

    // -- jumps

    #[tokio::test]
    async fn jump_goes_to_a_group_and_return_comes_back_after_the_jump() {
        let def = flow_def(
            json!([
                group(
                    "g-main",
                    "Main",
                    json!([
                        text("t1", "before"),
                        block("j", "Jump", json!({"groupId": "g-helper"})),
                        text("t2", "back"),
                    ])
                ),
                group(
                    "g-helper",
                    "Helper",
                    json!([
                        text("t3", "in helper"),
                        block("r", "Return", json!({})),
                        text("t4", "never")
                    ])
                ),
            ]),
            json!([]),
            &[],
        );
        let c = Chat::start(def).await;
        assert_eq!(c.texts(), vec!["before", "in helper", "back"]);
        assert_eq!(c.out.status, TurnStatus::Completed);
    }

    #[tokio::test]
    async fn jump_to_a_block_starts_there_and_return_without_a_mark_goes_on() {
        let def = flow_def(
            json!([
                group(
                    "g-main",
                    "Main",
                    json!([block(
                        "j",
                        "Jump",
                        json!({"groupId": "g-b", "blockId": "t-b2"})
                    )])
                ),
                group(
                    "g-b",
                    "B",
                    json!([
                        text("t-b1", "skipped"),
                        text("t-b2", "landed"),
                        block("r", "Return", json!({}))
                    ]),
                ),
            ]),
            json!([]),
            &[],
        );
        let c = Chat::start(def).await;
        assert_eq!(
            c.texts(),
            vec!["landed"],
            "the jump was the last block: no mark, return goes on"
        );
    }

    #[tokio::test]
    async fn jump_by_variable_uses_the_group_title_and_logs_unknown_titles() {
        let def = |target: &str| {
            with_values(
                flow_def(
                    json!([
                        group(
                            "g-main",
                            "Main",
                            json!([
                                block("j", "Jump", json!({"groupId": "{{Target}}"})),
                                text("t", "after jump")
                            ])
                        ),
                        group("g-faq", "FAQ", json!([text("t-faq", "the FAQ")])),
                    ]),
                    json!([]),
                    &["Target"],
                ),
                &[("Target", json!(target))],
            )
        };
        let c = Chat::start(def("FAQ")).await;
        assert_eq!(c.texts(), vec!["the FAQ"]);
        let c = Chat::start(def("Nowhere")).await;
        assert!(c.texts().is_empty());
        assert!(
            c.logs().iter().any(|l| l.contains("Jump target not found")),
            "{:?}",
            c.logs()
        );
    }

    // -- A/B test

    fn ab(percent: f64) -> Value {
        let b = json!({"id": "ab", "type": "AB test", "options": {"aPercent": percent},
            "items": [{"id": "a", "path": "a", "outgoingEdgeId": "e-a"}, {"id": "b", "path": "b", "outgoingEdgeId": "e-b"}]});
        flow_def(
            json!([
                group("g-main", "Main", json!([b])),
                group("g-a", "A", json!([text("ta", "A")])),
                group("g-b", "B", json!([text("tb", "B")])),
            ]),
            json!([edge("e-a", "g-a"), edge("e-b", "g-b")]),
            &[],
        )
    }

    #[tokio::test]
    async fn ab_test_at_0_percent_always_takes_b_and_at_100_always_a() {
        for _ in 0..20 {
            assert_eq!(Chat::start(ab(0.0)).await.texts(), vec!["B"]);
            assert_eq!(Chat::start(ab(100.0)).await.texts(), vec!["A"]);
        }
    }

    #[tokio::test]
    async fn ab_test_at_50_percent_takes_both_paths_over_many_sessions() {
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..60 {
            seen.insert(Chat::start(ab(50.0)).await.first_text());
        }
        assert_eq!(seen.len(), 2, "{seen:?}");
    }

    // -- typebot link

    fn child_flow() -> Value {
        let mut def = flow_def(
            json!([group(
                "c-main",
                "Child",
                json!([
                    text("c1", "Hi {{Name}}, in the child"),
                    input("c-in", "text input", "Color", json!({})),
                    custom("c-set", "Shared", "\"from child: \" + {{Color}}"),
                ])
            )]),
            json!([]),
            &["Name", "Color", "Shared"],
        );
        def["id"] = json!("child-flow");
        def["events"][0]["id"] = json!("child-start");
        def["edges"][0]["from"] = json!({"eventId": "child-start"});
        def
    }

    fn parent_flow(options: Value) -> Value {
        with_values(
            linear(
                json!([
                    block("link", "Typebot link", options),
                    text("p2", "Back: {{Shared}} / {{Color}}"),
                ]),
                &["Name", "Shared"],
            ),
            &[("Name", json!("Ada"))],
        )
    }

    #[tokio::test]
    async fn typebot_link_runs_another_flow_with_inherited_variables_and_merges_back() {
        let def = parent_flow(json!({"typebotId": "child-flow", "mergeResults": true}));
        let mut c = Chat::start_with(def, StartParams::default(), &[child_flow()]).await;
        assert_eq!(
            c.texts(),
            vec!["Hi Ada, in the child"],
            "parent variables are inherited by name"
        );
        assert_eq!(c.state().frames.len(), 2);
        c.say("blue").await;
        assert_eq!(
            c.texts(),
            vec!["Back: from child: blue / "],
            "merged by name; child-only variables stay out"
        );
        assert_eq!(c.state().frames.len(), 1);
        assert_eq!(c.out.status, TurnStatus::Completed);
    }

    #[tokio::test]
    async fn typebot_link_without_merge_keeps_the_parent_variables_untouched() {
        let def = parent_flow(json!({"typebotId": "child-flow", "mergeResults": false}));
        let mut c = Chat::start_with(def, StartParams::default(), &[child_flow()]).await;
        c.say("blue").await;
        assert_eq!(c.texts(), vec!["Back:  / "]);
    }

    #[tokio::test]
    async fn typebot_link_to_the_current_flow_runs_a_group_and_returns() {
        let def = flow_def(
            json!([
                group(
                    "g-main",
                    "Main",
                    json!([
                        block(
                            "link",
                            "Typebot link",
                            json!({"typebotId": "current", "groupId": "g-sub", "mergeResults": false})
                        ),
                        text("t2", "back with {{X}}"),
                    ])
                ),
                group(
                    "g-sub",
                    "Sub",
                    json!([custom("s1", "X", "40 + 2"), text("t1", "in sub")])
                ),
            ]),
            json!([]),
            &["X"],
        );
        let c = Chat::start(def).await;
        assert_eq!(
            c.texts(),
            vec!["in sub", "back with 42"],
            "same-flow links always merge"
        );
    }

    #[tokio::test]
    async fn typebot_link_to_an_unknown_flow_logs_and_goes_on() {
        let def = linear(
            json!([
                block("link", "Typebot link", json!({"typebotId": "nope"})),
                text("t", "still here")
            ]),
            &[],
        );
        let c = Chat::start(def).await;
        assert_eq!(c.texts(), vec!["still here"]);
        assert!(
            c.logs()
                .iter()
                .any(|l| l.contains("Linked typebot not found")),
            "{:?}",
            c.logs()
        );
    }

    // -- wait, redirect, scripts

    #[tokio::test]
    async fn wait_sends_a_wait_action_and_goes_on() {
        let def = with_values(
            linear(
                json!([
                    block("w", "Wait", json!({"secondsToWaitFor": "{{Secs}}"})),
                    text("t", "after")
                ]),
                &["Secs"],
            ),
            &[("Secs", json!("2"))],
        );
        let c = Chat::start(def).await;
        assert_eq!(
            c.action("wait").map(|a| a["wait"].clone()),
            Some(json!({"secondsToWaitFor": 2}))
        );
        assert_eq!(c.texts(), vec!["after"]);
        let def = linear(
            json!([
                block(
                    "w",
                    "Wait",
                    json!({"secondsToWaitFor": "soon", "shouldPause": true})
                ),
                text("t", "after")
            ]),
            &[],
        );
        let c = Chat::start(def).await;
        assert!(c.out.actions.is_empty(), "unparseable seconds: no-op");
        assert_eq!(c.texts(), vec!["after"]);
    }

    #[tokio::test]
    async fn wait_with_pause_stops_the_turn_until_the_client_resumes() {
        let def = linear(
            json!([
                block(
                    "w",
                    "Wait",
                    json!({"secondsToWaitFor": "1", "shouldPause": true})
                ),
                text("t", "after")
            ]),
            &[],
        );
        let mut c = Chat::start(def).await;
        assert_eq!(c.out.status, TurnStatus::WaitingTime);
        assert_eq!(
            c.action("wait").map(|a| a["expectsDedicatedReply"].clone()),
            Some(json!(true))
        );
        assert!(c.texts().is_empty());
        c.send(None).await.expect("resume");
        assert_eq!(c.texts(), vec!["after"]);
        assert_eq!(c.out.status, TurnStatus::Completed);
    }

    async fn redirect(url: &str) -> Chat {
        let def = with_values(
            linear(
                json!([
                    text("t1", "bye"),
                    block("r", "Redirect", json!({"url": url, "isNewTab": true})),
                    text("t2", "after")
                ]),
                &["Page"],
            ),
            &[("Page", json!("https://example.com/x"))],
        );
        Chat::start(def).await
    }

    #[tokio::test]
    async fn redirect_adds_https_when_needed_and_does_not_stop_the_walk() {
        for (url, expected) in [
            ("example.com/pricing", "https://example.com/pricing"),
            ("http://example.com", "http://example.com"),
            ("mailto:hi@example.com", "mailto:hi@example.com"),
            ("tel:+33612345678", "tel:+33612345678"),
            ("{{Page}}", "https://example.com/x"),
        ] {
            let c = redirect(url).await;
            let a = c.action("redirect").cloned().unwrap_or_default();
            assert_eq!(
                a["redirect"],
                json!({"url": expected, "isNewTab": true}),
                "{url}"
            );
            assert_eq!(a["lastBubbleBlockId"], "t1");
            assert_eq!(c.texts(), vec!["bye", "after"]);
        }
    }

    #[tokio::test]
    async fn redirect_refuses_javascript_urls() {
        for url in [
            "javascript:alert(1)",
            "JavaScript:alert(document.cookie)",
            "data:text/html,hi",
        ] {
            let c = redirect(url).await;
            assert!(c.action("redirect").is_none(), "{url}");
            assert!(
                c.logs().iter().any(|l| l.contains("refused")),
                "{url}: {:?}",
                c.logs()
            );
        }
    }

    #[tokio::test]
    async fn a_client_script_becomes_an_action_with_its_variables() {
        let b = block("code", "Code", json!({"content": "console.log({{Name}})"}));
        let def = with_values(
            linear(json!([text("t1", "hi"), b, text("t2", "after")]), &["Name"]),
            &[("Name", json!("Ada"))],
        );
        let c = Chat::start(def).await;
        let a = c.action("scriptToExecute").cloned().unwrap_or_default();
        assert_eq!(a["scriptToExecute"]["content"], "console.log(vName)");
        assert_eq!(
            a["scriptToExecute"]["args"],
            json!([{"id": "vName", "value": "Ada"}])
        );
        assert_eq!(a["lastBubbleBlockId"], "t1");
        assert!(a.get("expectsDedicatedReply").is_none());
        assert_eq!(c.texts(), vec!["hi", "after"]);
    }

    #[tokio::test]
    async fn a_server_script_sets_variables_by_name_and_logs_its_errors() {
        let b = block(
            "code",
            "Code",
            json!({"isExecutedOnClient": false,
            "content": "setVariable('Total', {{A}} + {{B}}); setVariable('Unknown', 1);"}),
        );
        let def = with_values(
            linear(
                json!([b, text("t", "Total: {{Total}}")]),
                &["A", "B", "Total"],
            ),
            &[("A", json!("2")), ("B", json!("3"))],
        );
        let c = Chat::start(def).await;
        assert_eq!(c.texts(), vec!["Total: 5"]);
        assert!(c.out.actions.is_empty());
        let b = block(
            "code",
            "Code",
            json!({"isExecutedOnClient": false, "content": "throw new Error('nope')"}),
        );
        let c = Chat::start(linear(json!([b, text("t", "after")]), &[])).await;
        assert!(
            c.logs().iter().any(|l| l == "Script block failed"),
            "{:?}",
            c.logs()
        );
        assert_eq!(c.texts(), vec!["after"]);
    }
}

// ---------------------------------------------------------------------------------------------
mod events {
    use super::*;

    /// Welcome asks for a name; events are added by the tests.
    fn base(events: Value, event_groups: Value, event_edges: Value) -> Value {
        let mut groups = vec![group(
            "g-main",
            "Welcome",
            json!([
                text("t1", "Your name?"),
                input("in-name", "text input", "Name", json!({})),
                text("t2", "Email, {{Name}}?"),
                input("in-email", "email input", "Email", json!({})),
                text("t3", "Thanks {{Name}}"),
            ]),
        )];
        groups.extend(event_groups.as_array().cloned().unwrap_or_default());
        let mut def = flow_def(
            json!(groups),
            event_edges,
            &["Name", "Email", "Said", "Kind", "Where"],
        );
        if let Some(evs) = def["events"].as_array_mut() {
            evs.extend(events.as_array().cloned().unwrap_or_default());
        }
        def
    }

    fn command(name: &str, resume_after: bool) -> Value {
        json!({"id": format!("ev-{name}"), "type": "command", "outgoingEdgeId": format!("e-{name}"),
               "options": {"command": name, "resumeAfter": resume_after}})
    }

    fn cmd(name: &str) -> Option<Message> {
        Some(Message::Command {
            command: name.into(),
        })
    }

    #[tokio::test]
    async fn a_command_event_runs_its_group_and_return_goes_back_to_the_waiting_input() {
        let def = base(
            json!([command("help", false)]),
            json!([group(
                "g-help",
                "Help",
                json!([
                    text("h1", "Here is some help"),
                    block("r", "Return", json!({}))
                ])
            )]),
            json!([edge("e-help", "g-help")]),
        );
        let mut c = Chat::start(def).await;
        c.send(cmd("help")).await.expect("command");
        assert_eq!(c.texts(), vec!["Here is some help"]);
        assert_eq!(
            c.input_id().as_deref(),
            Some("in-name"),
            "back on the same input"
        );
        c.say("Ada").await;
        assert_eq!(c.texts(), vec!["Email, Ada?"]);
    }

    #[tokio::test]
    async fn a_command_event_with_resume_after_comes_back_when_its_group_ends() {
        let def = base(
            json!([command("status", true)]),
            json!([group(
                "g-status",
                "Status",
                json!([text("s1", "All systems go")])
            )]),
            json!([edge("e-status", "g-status")]),
        );
        let mut c = Chat::start(def).await;
        c.say("Ada").await;
        c.send(cmd("status")).await.expect("command");
        // The queued position is the waiting input itself: it is shown again, without the
        // bubbles that preceded it.
        assert_eq!(c.texts(), vec!["All systems go"]);
        assert_eq!(c.input_id().as_deref(), Some("in-email"));
    }

    #[tokio::test]
    async fn a_command_event_without_resume_after_ends_when_its_group_ends() {
        let def = base(
            json!([command("quit", false)]),
            json!([group("g-quit", "Quit", json!([text("q1", "Bye!")]))]),
            json!([edge("e-quit", "g-quit")]),
        );
        let mut c = Chat::start(def).await;
        c.send(cmd("quit")).await.expect("command");
        assert_eq!(c.texts(), vec!["Bye!"]);
        assert_eq!(c.out.status, TurnStatus::Completed);
    }

    #[tokio::test]
    async fn an_unknown_command_is_an_error() {
        let mut c = Chat::start(base(json!([]), json!([]), json!([]))).await;
        assert_eq!(c.send(cmd("nope")).await, Err(EngineError::CommandNotFound));
    }

    fn reply_event(kind: &str) -> Value {
        json!({"id": format!("ev-{kind}"), "type": kind, "outgoingEdgeId": format!("e-{kind}"),
               "options": {"contentVariableId": vid("Said"), "inputTypeVariableId": vid("Kind"),
                           "inputNameVariableId": vid("Where")}})
    }

    fn echo_group(kind: &str) -> Value {
        json!([group(
            &format!("g-{kind}"),
            kind,
            json!([
                text("echo", "You said {{Said}} ({{Kind}} in {{Where}})"),
                block("r", "Return", json!({})),
            ])
        )])
    }

    #[tokio::test]
    async fn a_reply_event_sees_each_reply_then_the_reply_is_applied_automatically() {
        let def = base(
            json!([reply_event("reply")]),
            echo_group("reply"),
            json!([edge("e-reply", "g-reply")]),
        );
        let mut c = Chat::start(def).await;
        c.say("Ada").await;
        assert_eq!(
            c.texts(),
            vec!["You said Ada (text in Welcome)", "Email, Ada?"]
        );
        assert_eq!(c.input_id().as_deref(), Some("in-email"));
        // Invalid replies go through the event too, then get the retry message.
        c.say("nope").await;
        assert_eq!(
            c.texts(),
            vec!["You said nope (email in Welcome)", EMAIL_RETRY]
        );
        assert_eq!(c.input_id().as_deref(), Some("in-email"));
        c.say("ada@example.com").await;
        assert_eq!(
            c.texts(),
            vec!["You said ada@example.com (email in Welcome)", "Thanks Ada"]
        );
        assert_eq!(c.out.status, TurnStatus::Completed);
    }

    #[tokio::test]
    async fn an_invalid_reply_event_only_sees_invalid_replies() {
        let def = base(
            json!([reply_event("invalidReply")]),
            echo_group("invalidReply"),
            json!([edge("e-invalidReply", "g-invalidReply")]),
        );
        let mut c = Chat::start(def).await;
        c.say("Ada").await;
        assert_eq!(
            c.texts(),
            vec!["Email, Ada?"],
            "valid replies are not intercepted"
        );
        c.say("nope").await;
        assert_eq!(c.texts()[0], "You said nope (email in Welcome)");
        assert_eq!(
            c.input_id().as_deref(),
            Some("in-email"),
            "back on the input"
        );
        assert_eq!(c.var("Email"), None);
        c.say("ada@example.com").await;
        assert_eq!(c.texts(), vec!["Thanks Ada"]);
    }

    #[tokio::test]
    async fn a_reply_event_group_can_leave_the_conversation_instead_of_returning() {
        let g = json!([
            group(
                "g-reply",
                "Watch",
                json!([
                    {"id": "cond", "type": "Condition", "items": [{"id": "i1", "outgoingEdgeId": "e-agent", "content": {"comparisons": [
                        {"id": "c1", "variableId": vid("Said"), "comparisonOperator": "Contains", "value": "agent"}]}}]},
                    block("r", "Return", json!({})),
                ])
            ),
            group(
                "g-agent",
                "Agent",
                json!([text("a1", "Connecting you to an agent")])
            )
        ]);
        let def = base(
            json!([reply_event("reply")]),
            g,
            json!([edge("e-reply", "g-reply"), edge("e-agent", "g-agent")]),
        );
        let mut c = Chat::start(def).await;
        c.say("Ada").await;
        assert_eq!(c.texts(), vec!["Email, Ada?"]);
        c.say("I want an AGENT").await;
        assert_eq!(c.texts(), vec!["Connecting you to an agent"]);
        assert_eq!(c.out.status, TurnStatus::Completed);
    }
}

// ---------------------------------------------------------------------------------------------
mod misc {
    use super::*;

    #[tokio::test]
    async fn a_flow_looping_through_jumps_and_set_variables_fails_the_turn_quickly() {
        let def = flow_def(
            json!([group(
                "g-loop",
                "Loop",
                json!([
                    custom("s1", "N", "({{N}} || 0) + 1"),
                    block("j", "Jump", json!({"groupId": "g-loop"})),
                ])
            )]),
            json!([]),
            &["N"],
        );
        let started = Instant::now();
        let c = Chat::start(def).await;
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "took {:?}",
            started.elapsed()
        );
        assert_eq!(c.out.status, TurnStatus::Failed);
        assert!(
            c.logs()
                .iter()
                .any(|l| l.starts_with("Stopped after 1000 blocks in one turn")),
            "{:?}",
            c.logs()
        );
        assert_eq!(c.out.steps, 1001);
        assert!(c.state().done, "the session is over");
        let n: u32 = c.var_str("N").and_then(|n| n.parse().ok()).unwrap_or(0);
        assert!(
            (499..=501).contains(&n),
            "the loop ran until the budget: {n}"
        );
    }

    #[tokio::test]
    async fn the_step_budget_is_configurable_and_counts_every_block() {
        let def = flow_def(
            json!([group(
                "g-loop",
                "Loop",
                json!([
                    text("t", "again"),
                    block("j", "Jump", json!({"groupId": "g-loop"}))
                ])
            )]),
            json!([]),
            &[],
        );
        let config = EngineConfig {
            step_budget: 10,
            ..EngineConfig::default()
        };
        let c = Chat::try_start(def, StartParams::default(), &[], config)
            .await
            .expect("start");
        assert_eq!(c.out.status, TurnStatus::Failed);
        assert_eq!(c.texts().len(), 5, "5 bubbles and 5 jumps");
        assert!(
            c.logs()
                .iter()
                .any(|l| l.starts_with("Stopped after 10 blocks")),
            "{:?}",
            c.logs()
        );
    }

    #[tokio::test]
    async fn prefilled_variables_match_names_exactly_and_are_coerced() {
        let def = linear(
            json!([text("t", "{{Name}}|{{Age}}|{{Tags}}|{{name}}")]),
            &["Name", "Age", "Tags"],
        );
        let mut prefilled = serde_json::Map::new();
        prefilled.insert("Name".into(), json!("Ada"));
        prefilled.insert("name".into(), json!("wrong case"));
        prefilled.insert("Age".into(), json!(36));
        prefilled.insert("Tags".into(), json!(["a", 1]));
        prefilled.insert("Unknown".into(), json!("ignored"));
        let params = StartParams {
            prefilled,
            ..StartParams::default()
        };
        let c = Chat::start_with(def, params, &[]).await;
        assert_eq!(c.texts(), vec![r#"Ada|36|["a","1"]|"#.to_string()]);
        assert_eq!(
            c.var("Tags"),
            Some(VarValue::List(vec![Some("a".into()), Some("1".into())]))
        );
        assert!(c.flow.variable_by_name("Unknown").is_none());
    }

    #[tokio::test]
    async fn prefilled_variables_can_be_restricted_by_the_bot() {
        let mut def = linear(json!([text("t", "{{Name}}|{{Role}}")]), &["Name", "Role"]);
        def["settings"] = json!({"tessera": {"prefillableVariables": ["Name"]}});
        let mut prefilled = serde_json::Map::new();
        prefilled.insert("Name".into(), json!("Ada"));
        prefilled.insert("Role".into(), json!("admin"));
        let c = Chat::start_with(
            def,
            StartParams {
                prefilled,
                ..StartParams::default()
            },
            &[],
        )
        .await;
        assert_eq!(c.texts(), vec!["Ada|"]);
    }

    #[tokio::test]
    async fn unsupported_block_types_are_skipped_with_a_log() {
        let def = linear(
            json!([
                text("t1", "before"),
                block("x", "Teleport", json!({"to": "mars"})),
                text("t2", "after")
            ]),
            &[],
        );
        assert!(
            compile(&def)
                .warnings
                .iter()
                .any(|w| w.code == "unsupported_block"),
            "validation warns about it"
        );
        let c = Chat::start(def).await;
        assert_eq!(c.texts(), vec!["before", "after"]);
        assert!(
            c.logs()
                .iter()
                .any(|l| l == "Block type \"Teleport\" is not supported by this engine: skipped"),
            "{:?}",
            c.logs()
        );
        assert_eq!(c.out.status, TurnStatus::Completed);
    }

    #[tokio::test]
    async fn an_http_request_without_network_logs_the_refusal_and_maps_the_status() {
        let b = block(
            "http",
            "Webhook",
            json!({
            "webhook": {"url": "https://api.example.com/items", "method": "GET"},
            "responseVariableMapping": [{"variableId": vid("Status"), "bodyPath": "statusCode"},
                                        {"variableId": vid("Msg"), "bodyPath": "data.message"}]}),
        );
        let c = Chat::start(linear(
            json!([b, text("t", "{{Status}}")]),
            &["Status", "Msg"],
        ))
        .await;
        assert_eq!(c.texts(), vec!["400"]);
        assert!(
            c.logs()
                .iter()
                .any(|l| l.starts_with("Security validation failed")),
            "{:?}",
            c.logs()
        );
        assert!(
            c.var_str("Msg")
                .is_some_and(|m| m.starts_with("Security validation failed"))
        );
    }

    #[tokio::test]
    async fn forge_and_email_blocks_without_credentials_are_skipped_with_a_log() {
        let def = linear(
            json!([
                block(
                    "ai",
                    "openai",
                    json!({"action": "Create chat completion", "responseMapping": [
                    {"item": "Message content", "variableId": vid("Reply")}]})
                ),
                block(
                    "mail",
                    "Email",
                    json!({"recipients": ["a@example.com"], "subject": "Hi"})
                ),
                block("cfg", "mistral", json!({})),
                text("t", "after"),
            ]),
            &["Reply"],
        );
        let c = Chat::start(def.clone()).await;
        assert_eq!(c.texts(), vec!["after"]);
        assert_eq!(
            c.logs(),
            vec![
                "Could not find credentials for block openai".to_string(),
                "No credentials found, make sure to configure your SMTP provider properly"
                    .to_string(),
                "mistral is not configured".to_string(),
            ]
        );
        // In preview, emails are skipped with an info log instead.
        let c = Chat::start_with(
            def,
            StartParams {
                preview: true,
                ..StartParams::default()
            },
            &[],
        )
        .await;
        assert!(
            c.logs()
                .iter()
                .any(|l| l == "Emails are not sent in preview mode"),
            "{:?}",
            c.logs()
        );
    }

    #[tokio::test]
    async fn a_finished_session_cannot_be_resumed() {
        let mut c = Chat::start(linear(json!([text("t", "only")]), &[])).await;
        assert_eq!(c.out.status, TurnStatus::Completed);
        assert_eq!(
            c.send(Some(Message::text("hi"))).await,
            Err(EngineError::Finished)
        );
    }
}
