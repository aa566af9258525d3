//! Rich text of text bubbles: the Plate/Slate JSON trees Typebot stores and sends.
//!
//! This module owns four things, all pure functions over `serde_json::Value` trees:
//! * [`substitute`] (`substitute.rs`): `{{…}}` substitution into a tree the way Typebot's
//!   `parseVariablesInRichText` does it (each value is parsed as Markdown and grafted in, link
//!   `url`s are plain text);
//! * [`markdown_to_nodes`] (`markdown_in.rs`, on the mdast-like tree of `mdast.rs`): Markdown →
//!   Plate nodes, matching `@udecode/plate-markdown`'s `deserializeMd(…, { splitLineBreaks: true })`,
//!   which is what Typebot runs on values;
//! * [`to_markdown`] (`markdown_out.rs`): the `textBubbleContentFormat: "markdown"` output (a
//!   remark-slate style serializer without escaping);
//! * [`to_plain_text`] / [`has_templates`]: helpers for transcripts, the CLI, logs and fast paths.
//!
//! Unknown element types and unknown leaf marks pass through untouched. This module must not
//! know about variables or scopes: callers resolve `{{…}}` through the `split` callback.

mod markdown_in;
mod markdown_out;
mod mdast;
mod substitute;

use serde_json::Value;

pub use markdown_in::markdown_to_nodes;
pub use markdown_out::{to_markdown, to_plain_text};
pub use substitute::substitute;

/// A piece of a template string: literal text, or the text of an evaluated `{{...}}` (None when the variable has no value; it renders as empty).
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    Text(String),
    Value(Option<String>),
}

/// True if any text leaf or url in the tree contains "{{" (lets callers skip substitution entirely).
pub fn has_templates(nodes: &[Value]) -> bool {
    nodes.iter().any(|n| {
        ["text", "url"].iter().any(|k| {
            n.get(*k)
                .and_then(Value::as_str)
                .is_some_and(|s| s.contains("{{"))
        }) || has_templates(children(n))
    })
}

/// The children of an element (none for a leaf or a malformed node).
fn children(node: &Value) -> &[Value] {
    node.get("children")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The element type (`"p"`, `"a"`, `"ul"`…), empty for leaves.
fn kind(node: &Value) -> &str {
    node.get("type").and_then(Value::as_str).unwrap_or("")
}

/// Helpers shared by the tests of the submodules.
#[cfg(test)]
mod tests {
    use super::*;

    /// A `split` that resolves `{{Name}}` from `vars` (unknown or empty → no value), like templating.
    fn with_vars(vars: &[(&str, &str)]) -> impl FnMut(&str) -> Vec<Segment> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |text: &str| {
            let mut out = Vec::new();
            let mut rest = text;
            while let Some(open) = rest.find("{{")
                && let Some(close) = rest[open..].find("}}")
            {
                out.push(Segment::Text(rest[..open].to_string()));
                let name = &rest[open + 2..open + close];
                let value = vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
                out.push(Segment::Value(value.filter(|v| !v.is_empty())));
                rest = &rest[open + close + 2..];
            }
            out.push(Segment::Text(rest.to_string()));
            out
        }
    }

    /// Substitutes `vars` into the tree given as JSON text.
    pub(super) fn run(tree: &str, vars: &[(&str, &str)]) -> Value {
        let nodes: Vec<Value> = serde_json::from_str(tree).expect("test tree");
        Value::Array(substitute(&nodes, &mut with_vars(vars)))
    }

    pub(super) fn parse(json: &str) -> Value {
        serde_json::from_str(json).expect("test json")
    }

    #[test]
    fn has_templates_looks_at_leaves_and_urls() {
        let url = parse(
            r#"[{"type":"p","children":[{"type":"a","url":"{{U}}","children":[{"text":"x"}]}]}]"#,
        );
        let leaf =
            parse(r#"[{"type":"ul","children":[{"type":"li","children":[{"text":"a {{B}}"}]}]}]"#);
        for tree in [url, leaf] {
            assert!(has_templates(tree.as_array().expect("array")));
        }
    }
}
