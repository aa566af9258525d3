//! Output of a Plate tree as Markdown (Typebot's `textBubbleContentFormat: "markdown"`, a
//! remark-slate style serializer without escaping) or as plain text. Both share one walk: blocks
//! become lines, joined by "\n".

use serde_json::Value;

use super::{children, kind};

/// Converts rich text to Typebot's markdown output: CommonMark-ish, no escaping, one line per
/// block joined by "\n" (an empty paragraph is an empty line), links `[text](url)`, bold `**x**`,
/// italic `_x_`, both `***x***`, code `` `x` ``, lists `- x` / `1. x`, marks kept off edge spaces.
pub fn to_markdown(nodes: &[Value]) -> String {
    let mut lines = Vec::new();
    render_blocks(nodes, true, &mut lines);
    lines.join("\n")
}

/// Plain text of the tree (paragraphs joined by "\n"), used for transcripts, the CLI and logs.
pub fn to_plain_text(nodes: &[Value]) -> String {
    let mut lines = Vec::new();
    render_blocks(nodes, false, &mut lines);
    lines.join("\n")
}

fn is_inline(node: &Value) -> bool {
    node.get("text").is_some() || kind(node) == "a"
}

/// Renders a run of sibling nodes: consecutive inline nodes form one line, blocks their own lines.
fn render_blocks(nodes: &[Value], md: bool, lines: &mut Vec<String>) {
    let mut run: Option<String> = None;
    for node in nodes {
        if is_inline(node) {
            run.get_or_insert_with(String::new)
                .push_str(&render_inline(node, md));
            continue;
        }
        lines.extend(run.take());
        render_block(node, md, 0, lines);
    }
    lines.extend(run);
}

fn render_block(node: &Value, md: bool, depth: usize, lines: &mut Vec<String>) {
    let kids = children(node);
    let text = || {
        kids.iter()
            .map(|k| render_inline(k, md))
            .collect::<String>()
    };
    // The node's type, read once (a map lookup).
    let k = kind(node);
    let level = ["h1", "h2", "h3", "h4", "h5", "h6"]
        .iter()
        .position(|h| *h == k);
    match k {
        "ul" | "ol" => {
            let ordered = k == "ol";
            for item in kids {
                let mut item_lines = Vec::new();
                for child in children(item) {
                    match kind(child) {
                        "ul" | "ol" => render_block(child, md, depth + 1, &mut item_lines),
                        _ if is_inline(child) => item_lines.push(render_inline(child, md)),
                        _ => render_blocks(std::slice::from_ref(child), md, &mut item_lines),
                    }
                }
                let first = item_lines.first().map_or(String::new(), Clone::clone);
                let prefix = if !md {
                    String::new()
                } else if ordered {
                    "   ".repeat(depth) + "1. "
                } else {
                    "  ".repeat(depth) + "- "
                };
                lines.push(prefix + &first);
                lines.extend(item_lines.into_iter().skip(1));
            }
        }
        "code_block" if md => {
            let lang = node.get("lang").and_then(Value::as_str).unwrap_or("");
            lines.push(format!("```{lang}"));
            render_blocks(kids, md, lines);
            lines.push("```".into());
        }
        "hr" if md => lines.push("---".into()),
        "img" if md => {
            let alt = node
                .get("caption")
                .and_then(Value::as_array)
                .map_or(String::new(), |c| to_plain_text(c));
            lines.push(format!(
                "![{alt}]({})",
                node.get("url").and_then(Value::as_str).unwrap_or("")
            ));
        }
        _ if !kids.iter().all(is_inline) => render_blocks(kids, md, lines),
        _ if md && level.is_some() => {
            let hashes = "#".repeat(level.map_or(1, |l| l + 1));
            lines.push(format!("{hashes} {}", text()));
        }
        "blockquote" if md => lines.push(format!("> {}", text())),
        _ => lines.push(text()),
    }
}

fn render_inline(node: &Value, md: bool) -> String {
    if let Some(text) = node.get("text").and_then(Value::as_str) {
        return if md {
            format_leaf(node, text)
        } else {
            text.to_string()
        };
    }
    let inner: String = children(node)
        .iter()
        .map(|k| render_inline(k, md))
        .collect();
    match node.get("url").and_then(Value::as_str) {
        Some(url) if md && kind(node) == "a" => format!("[{inner}]({url})"),
        _ => inner,
    }
}

/// remark-slate's leaf formatting: marks wrap the trimmed text, surrounding whitespace stays outside.
fn format_leaf(node: &Value, text: &str) -> String {
    let on = |k: &str| node.get(k).and_then(Value::as_bool).unwrap_or(false);
    let strike = on("strikethrough") || on("strikeThrough");
    let wrap = |s: String, f: &str| {
        let core = s.trim();
        if core.is_empty() {
            return s;
        }
        let rev: String = f.chars().rev().collect();
        s.replacen(core, &format!("{f}{core}{rev}"), 1)
    };
    let mut s = text.to_string();
    if on("bold") && on("italic") {
        s = wrap(s, if strike { "~~***" } else { "***" });
    } else {
        for (mark, f) in [("bold", "**"), ("italic", "_")] {
            if on(mark) {
                s = wrap(s, f);
            }
        }
        if strike {
            s = wrap(s, "~~");
        }
        if on("code") {
            s = wrap(s, "`");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::richtext::markdown_to_nodes;
    use crate::eval::richtext::tests::run;
    use serde_json::json;

    #[test]
    fn markdown_output_matches_typebot() {
        // golden/lead-gen--markdown.json
        let tree = r#"[{"type":"p","children":[{"text":"Welcome to "},{"bold":true,"text":"AA"},{"text":" (Awesome Agency)"}]}]"#;
        let nodes: Vec<Value> = serde_json::from_str(tree).expect("tree");
        assert_eq!(to_markdown(&nodes), "Welcome to **AA** (Awesome Agency)");
        let got = run(
            r#"[{"type":"p","children":[{"text":"Great! Nice to meet you {{Name}}"}]}]"#,
            &[("Name", "John")],
        );
        assert_eq!(
            to_markdown(got.as_array().expect("array")),
            "Great! Nice to meet you John"
        );
    }

    #[test]
    fn markdown_output_of_blocks_links_and_marks() {
        let nodes = markdown_to_nodes(
            "# T\n\nA **b** _i_ ***bi*** `c` [l](http://l)\n\n- x\n  1. y\n- z\n\n> q",
        );
        let want = "# T\n\nA **b** _i_ ***bi*** `c` [l](http://l)\n\n- x\n   1. y\n- z\n\n> q";
        assert_eq!(to_markdown(&nodes), want);
        assert_eq!(to_plain_text(&nodes), "T\n\nA b i bi c l\n\nx\ny\nz\n\nq");
        let spaced =
            [json!({"type": "p", "children": [{"bold": true, "text": " hi "}, {"text": "x"}]})];
        assert_eq!(to_markdown(&spaced), " **hi** x");
    }
}
