//! `{{…}}` substitution into a Plate tree, the way Typebot's `parseVariablesInRichText` does it:
//! a leaf's text is split into literal pieces and values, each value is parsed as Markdown
//! ([`markdown_to_nodes`]) and grafted in (as blocks when it stands alone in an unstyled leaf,
//! flattened into inline siblings otherwise); link `url`s are substituted as plain text.

use serde_json::{Map, Value, json};

use super::{Segment, children, markdown_to_nodes};

/// The leaf marks a variable's parsed nodes inherit from the leaf that held it.
const STYLE_MARKS: [&str; 3] = ["bold", "italic", "underline"];

/// What a text leaf became: block nodes (a lone unstyled `{{var}}`) or sibling inline nodes.
enum Parsed {
    Blocks(Vec<Value>),
    Inline(Vec<Value>),
}

/// Substitutes variables into a Plate rich-text tree the way Typebot does. `split` turns a leaf's text (or a link url) into segments; it is only called for strings containing "{{".
pub fn substitute(nodes: &[Value], split: &mut dyn FnMut(&str) -> Vec<Segment>) -> Vec<Value> {
    let mut out = Vec::with_capacity(nodes.len());
    for node in nodes {
        substitute_into(node, split, &mut out);
    }
    out
}

fn substitute_into(
    node: &Value,
    split: &mut dyn FnMut(&str) -> Vec<Segment>,
    out: &mut Vec<Value>,
) {
    let Some(obj) = node.as_object() else {
        out.push(node.clone());
        return;
    };
    if let Some(text) = obj.get("text").and_then(Value::as_str) {
        match substitute_leaf(obj, text, split) {
            Parsed::Blocks(nodes) | Parsed::Inline(nodes) => out.extend(nodes),
        }
        return;
    }
    let Some(children) = obj.get("children").and_then(Value::as_array) else {
        out.push(node.clone());
        return;
    };
    // An element (other than a link) whose only child is a lone `{{var}}` is replaced by the
    // value's block nodes: `{{Transcript}}` in a paragraph becomes several paragraphs.
    if let [only] = children.as_slice()
        && obj.get("type").and_then(Value::as_str) != Some("a")
        && let Some(leaf) = only.as_object()
        && let Some(text) = leaf.get("text").and_then(Value::as_str)
    {
        match substitute_leaf(leaf, text, split) {
            Parsed::Blocks(nodes) => out.extend(nodes),
            Parsed::Inline(kids) => out.push(rebuild_element(obj, kids, split)),
        }
        return;
    }
    let kids = substitute(children, split);
    out.push(rebuild_element(obj, kids, split));
}

/// The element with new children and its `url` substituted as plain text; other keys kept in place.
fn rebuild_element(
    obj: &Map<String, Value>,
    kids: Vec<Value>,
    split: &mut dyn FnMut(&str) -> Vec<Segment>,
) -> Value {
    let mut el = obj.clone();
    el.insert("children".into(), Value::Array(kids));
    if let Some(url) = obj.get("url").and_then(Value::as_str)
        && url.contains("{{")
    {
        let joined: String = split(url)
            .into_iter()
            .map(|s| match s {
                Segment::Text(t) | Segment::Value(Some(t)) => t,
                Segment::Value(None) => String::new(),
            })
            .collect();
        el.insert("url".into(), Value::String(joined));
    }
    Value::Object(el)
}

fn substitute_leaf(
    leaf: &Map<String, Value>,
    text: &str,
    split: &mut dyn FnMut(&str) -> Vec<Segment>,
) -> Parsed {
    if !text.contains("{{") {
        return Parsed::Inline(vec![Value::Object(leaf.clone())]);
    }
    // Merge adjacent literal pieces and drop empty ones, so "{{a}}" is exactly one value.
    let mut segments: Vec<Segment> = Vec::new();
    for seg in split(text) {
        match (seg, segments.last_mut()) {
            (Segment::Text(t), _) if t.is_empty() => {}
            (Segment::Text(t), Some(Segment::Text(prev))) => prev.push_str(&t),
            (seg, _) => segments.push(seg),
        }
    }
    let style: Map<String, Value> = STYLE_MARKS
        .iter()
        .filter_map(|m| {
            leaf.get(*m)
                .filter(|v| !v.is_null())
                .map(|v| ((*m).to_string(), v.clone()))
        })
        .collect();
    let styled = style.values().any(|v| v.as_bool().unwrap_or(true));
    if let [Segment::Value(value)] = segments.as_slice()
        && !styled
    {
        return Parsed::Blocks(markdown_to_nodes(value.as_deref().unwrap_or("")));
    }
    let mut out = Vec::new();
    for seg in segments {
        match seg {
            Segment::Text(t) => {
                let mut piece = leaf.clone();
                piece.insert("text".into(), Value::String(t));
                out.push(Value::Object(piece));
            }
            Segment::Value(v) => flatten_inline(
                &markdown_to_nodes(v.as_deref().unwrap_or("")),
                &style,
                &mut out,
            ),
        }
    }
    Parsed::Inline(out)
}

/// Flattens parsed block nodes into inline siblings: leaves (with the holder's style), links kept
/// as inline elements, a blank paragraph as a `"\n\n"` leaf, any other element unwrapped.
fn flatten_inline(nodes: &[Value], style: &Map<String, Value>, out: &mut Vec<Value>) {
    for node in nodes {
        let Some(obj) = node.as_object() else {
            continue;
        };
        if obj.contains_key("text") {
            if obj.get("text").and_then(Value::as_str) != Some("") {
                out.push(with_style(obj, style));
            }
            continue;
        }
        let kids = children(node);
        match obj.get("type").and_then(Value::as_str) {
            Some("a") => {
                let mut link = obj.clone();
                let styled = kids
                    .iter()
                    .map(|k| k.as_object().map_or(k.clone(), |o| with_style(o, style)));
                link.insert("children".into(), Value::Array(styled.collect()));
                out.push(Value::Object(link));
            }
            Some("p")
                if kids
                    .iter()
                    .all(|k| k.get("text").and_then(Value::as_str) == Some("")) =>
            {
                out.push(json!({"text": "\n\n"}));
            }
            _ => flatten_inline(kids, style, out),
        }
    }
}

fn with_style(leaf: &Map<String, Value>, style: &Map<String, Value>) -> Value {
    let mut out = style.clone();
    for (k, v) in leaf {
        out.insert(k.clone(), v.clone());
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::richtext::tests::{parse, run};
    use crate::eval::richtext::{has_templates, to_plain_text};

    #[test]
    fn a_value_inside_a_sentence_becomes_a_sibling_leaf() {
        // golden/lead-gen.json, dog-insurance-offer.json
        let tree = r#"[{"type":"p","children":[{"text":"Great! Nice to meet you {{Name}}"}]}]"#;
        let want =
            r#"[{"type":"p","children":[{"text":"Great! Nice to meet you "},{"text":"John"}]}]"#;
        assert_eq!(run(tree, &[("Name", "John")]), parse(want));
        let tree = r#"[{"type":"p","children":[{"text":"How old is {{Name}}?"}]}]"#;
        let want =
            r#"[{"type":"p","children":[{"text":"How old is "},{"text":"John"},{"text":"?"}]}]"#;
        assert_eq!(run(tree, &[("Name", "John")]), parse(want));
    }

    #[test]
    fn several_values_in_one_leaf_each_get_a_leaf() {
        // golden/ssrf-test.json: the JSON value is plain Markdown text
        let tree =
            r#"[{"type":"p","children":[{"text":"Status: {{Status}} — Response: {{Response}}"}]}]"#;
        let body = r#"{"message":"Security validation failed: Invalid URL format"}"#;
        let got = run(tree, &[("Status", "400"), ("Response", body)]);
        let want = json!([{"type": "p", "children": [
            {"text": "Status: "}, {"text": "400"}, {"text": " — Response: "}, {"text": body}]}]);
        assert_eq!(got, want);
    }

    #[test]
    fn a_paragraph_that_is_one_value_becomes_the_value_paragraphs() {
        // golden/transcript-2.json step 0: blank lines become empty paragraphs
        let tree = r#"[{"type":"p","children":[{"text":"{{Transcript}}"}]}]"#;
        let transcript = "Assistant: \"Hi there 👋\"\n\nAssistant: \"How can I help?\"";
        let want = r#"[{"children":[{"text":"Assistant: \"Hi there 👋\""}],"type":"p"},
            {"children":[{"text":""}],"type":"p"},
            {"children":[{"text":"Assistant: \"How can I help?\""}],"type":"p"}]"#;
        let got = run(tree, &[("Transcript", transcript)]);
        assert_eq!(got, parse(want));
        // The bubble's text, as the next transcript quotes it (golden/transcript-2.json step 1).
        assert_eq!(to_plain_text(got.as_array().expect("array")), transcript);
    }

    #[test]
    fn a_paragraph_that_is_one_unset_value_disappears() {
        // golden/basic-chat-completion.json, movie-recommendation.json, skin-typology.json
        assert_eq!(
            run(
                r#"[{"type":"p","children":[{"text":"{{Assistant Message}}"}]}]"#,
                &[]
            ),
            json!([])
        );
    }

    #[test]
    fn only_the_templated_paragraph_is_replaced_and_its_extra_keys_go_with_it() {
        // golden/webhook.json and webhookListener.json (the source paragraph had an "id")
        let tree = r#"[{"type":"p","children":[{"text":"Data of first request:"}]},
            {"type":"p","children":[{"text":""}]},{"type":"p","children":[{"text":"{{Data}}"}],"id":"IsxhifNS9e"}]"#;
        let want = r#"[{"type":"p","children":[{"text":"Data of first request:"}]},
            {"type":"p","children":[{"text":""}]},{"children":[{"text":"{\"message\":\"x\"}"}],"type":"p"}]"#;
        assert_eq!(run(tree, &[("Data", r#"{"message":"x"}"#)]), parse(want));
    }

    #[test]
    fn trees_without_templates_pass_through_and_split_is_not_called() {
        // golden/customer-support.json: links, empty leaves and paragraphs are untouched
        let tree = r#"[{"type":"p","children":[{"text":"👉 "},{"url":"https://app.typebot.com/feedback","type":"a",
            "children":[{"text":"https://app.typebot.com/feedback"}]},{"text":""}]},{"type":"p","children":[{"text":""}]}]"#;
        let nodes: Vec<Value> = serde_json::from_str(tree).expect("tree");
        assert!(!has_templates(&nodes));
        let mut calls = 0;
        let got = substitute(&nodes, &mut |_: &str| {
            calls += 1;
            Vec::new()
        });
        assert_eq!((got, calls), (nodes, 0));
    }

    #[test]
    fn value_leaves_inherit_the_leaf_style_and_literal_pieces_keep_every_mark() {
        let tree = r#"[{"type":"callout","x":1,"children":[{"bold":true,"color":"red","text":"Hi {{Name}}!"}]}]"#;
        let want = r#"[{"type":"callout","x":1,"children":[{"bold":true,"color":"red","text":"Hi "},
            {"bold":true,"italic":true,"text":"John"},{"bold":true,"color":"red","text":"!"}]}]"#;
        assert_eq!(run(tree, &[("Name", "_John_")]), parse(want));
        // A styled lone variable is not a block: it stays a leaf inside its paragraph.
        let tree = r#"[{"type":"p","children":[{"bold":true,"text":"{{Name}}"}]}]"#;
        let want = r#"[{"type":"p","children":[{"bold":true,"text":"John"}]}]"#;
        assert_eq!(run(tree, &[("Name", "John")]), parse(want));
    }

    #[test]
    fn multi_paragraph_values_inside_a_sentence_are_flattened() {
        let tree = r#"[{"type":"p","children":[{"text":"Say {{V}}."}]}]"#;
        let want = r#"[{"type":"p","children":[{"text":"Say "},{"text":"a"},{"text":"\n\n"},
            {"text":"b "},{"children":[{"text":"c"}],"type":"a","url":"http://c"},{"text":"."}]}]"#;
        assert_eq!(run(tree, &[("V", "a\n\nb [c](http://c)")]), parse(want));
        assert_eq!(
            run(tree, &[]),
            parse(r#"[{"type":"p","children":[{"text":"Say "},{"text":"."}]}]"#)
        );
    }

    #[test]
    fn a_lone_value_beside_other_leaves_still_becomes_blocks() {
        // Spec 6.3: the leaf is replaced by the blocks; only a sole child lets them replace the element.
        let tree = r#"[{"type":"p","children":[{"text":"Hi "},{"text":"{{V}}"}]}]"#;
        let want =
            r#"[{"type":"p","children":[{"text":"Hi "},{"children":[{"text":"a"}],"type":"p"}]}]"#;
        assert_eq!(run(tree, &[("V", "a")]), parse(want));
    }

    #[test]
    fn link_urls_are_plain_text_and_links_are_never_replaced() {
        let tree = r#"[{"type":"p","children":[{"type":"a","url":"https://x.io/?n={{Name}}&e={{E}}",
            "children":[{"text":"{{Name}}"}]}]}]"#;
        let want = r#"[{"type":"p","children":[{"type":"a","url":"https://x.io/?n=*J*&e=",
            "children":[{"children":[{"italic":true,"text":"J"}],"type":"p"}]}]}]"#;
        assert_eq!(run(tree, &[("Name", "*J*")]), parse(want));
    }
}
