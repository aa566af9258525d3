//! Rich text of text bubbles: the Plate/Slate JSON trees Typebot stores and sends.
//!
//! This module owns four things, all pure functions over `serde_json::Value` trees:
//! * `substitute`: `{{…}}` substitution into a tree the way Typebot's `parseVariablesInRichText`
//!   does it (each value is parsed as Markdown and grafted in, link `url`s are plain text);
//! * `markdown_to_nodes`: Markdown → Plate nodes, matching `@udecode/plate-markdown`'s
//!   `deserializeMd(…, { splitLineBreaks: true })`, which is what Typebot runs on values;
//! * `to_markdown`: the `textBubbleContentFormat: "markdown"` output (a remark-slate style
//!   serializer without escaping);
//! * `to_plain_text` / `has_templates`: helpers for transcripts, the CLI, logs and fast paths.
//!
//! Unknown element types and unknown leaf marks pass through untouched.

use pulldown_cmark::{CodeBlockKind, Event, LinkType, Options, Parser, Tag};
use serde_json::{Map, Value, json};

/// A piece of a template string: literal text, or the text of an evaluated `{{...}}` (None when the variable has no value; it renders as empty).
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    Text(String),
    Value(Option<String>),
}

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

fn children(node: &Value) -> &[Value] {
    node.get("children")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
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

// ---------------------------------------------------------------------------------------------
// Markdown → Plate. pulldown-cmark events are first folded into a small mdast-like tree, then
// converted with plate-markdown's rules (keys in the order Plate emits them: alphabetical).

#[derive(PartialEq)]
enum K {
    Para,
    Heading(usize),
    Quote,
    Code(Option<String>),
    Html,
    Rule,
    List(bool),
    Item,
    Text,
    Mark(&'static str),
    InlineCode,
    Break,
    Link(String),
    Image(String),
    /// A container we do not model: its children are lifted into the parent.
    Other,
}

/// An mdast-like node: containers have `kids`, text-like nodes (`Text`, `Code`, `Html`…) `text`.
struct Md {
    k: K,
    kids: Vec<Md>,
    text: String,
}

impl Md {
    fn new(k: K, text: &str) -> Md {
        Md {
            k,
            kids: Vec::new(),
            text: text.to_string(),
        }
    }
    fn plain(&self) -> String {
        self.kids
            .iter()
            .fold(self.text.clone(), |acc, k| acc + &k.plain())
    }
    fn is_block(&self) -> bool {
        matches!(
            self.k,
            K::Para | K::Heading(_) | K::Quote | K::Code(_) | K::Rule | K::List(_) | K::Item
        )
    }
}

/// Top-level blocks with their first and last source line (1-based), like mdast positions.
fn parse_blocks(data: &str) -> Vec<(Md, usize, usize)> {
    let newlines: Vec<usize> = data.match_indices('\n').map(|(i, _)| i).collect();
    let line_of = |offset: usize| newlines.partition_point(|&nl| nl < offset) + 1;
    let end_line = |start: usize, end: usize| {
        line_of(start + data.get(start..end).map_or(0, |s| s.trim_end().len()))
    };
    let mut stack: Vec<(Md, usize)> = Vec::new();
    let mut top = Vec::new();
    for (event, range) in Parser::new_ext(data, Options::empty()).into_offset_iter() {
        let mut finished = None;
        match event {
            Event::Start(tag) => {
                let k = match tag {
                    Tag::Paragraph => K::Para,
                    Tag::Heading { level, .. } => K::Heading(level as usize),
                    Tag::BlockQuote(_) => K::Quote,
                    Tag::CodeBlock(CodeBlockKind::Fenced(info)) => {
                        K::Code(info.split_whitespace().next().map(str::to_string))
                    }
                    Tag::CodeBlock(CodeBlockKind::Indented) => K::Code(None),
                    Tag::HtmlBlock => K::Html,
                    Tag::List(start) => K::List(start.is_some()),
                    Tag::Item => K::Item,
                    Tag::Emphasis => K::Mark("italic"),
                    Tag::Strong => K::Mark("bold"),
                    Tag::Link {
                        link_type: LinkType::Email,
                        dest_url,
                        ..
                    } => K::Link(format!("mailto:{dest_url}")),
                    Tag::Link { dest_url, .. } => K::Link(dest_url.to_string()),
                    Tag::Image { dest_url, .. } => K::Image(dest_url.to_string()),
                    _ => K::Other,
                };
                stack.push((Md::new(k, ""), range.start));
            }
            Event::End(_) => finished = stack.pop(),
            Event::Rule => finished = Some((Md::new(K::Rule, ""), range.start)),
            other => {
                let Some((parent, _)) = stack.last_mut() else {
                    continue;
                };
                let (k, text) = match other {
                    Event::Text(t) | Event::Html(t) => (K::Text, t),
                    Event::SoftBreak => (K::Text, "\n".into()),
                    Event::Code(t) => (K::InlineCode, t),
                    Event::InlineHtml(t) => (K::Html, t),
                    Event::HardBreak => (K::Break, "".into()),
                    _ => continue,
                };
                // Adjacent text merges into one node, as in mdast (soft breaks stay inside it).
                match parent.kids.last_mut() {
                    Some(last) if k == K::Text && last.k == K::Text => last.text.push_str(&text),
                    _ => parent.kids.push(Md::new(k, &text)),
                }
            }
        }
        let Some((mut md, start)) = finished else {
            continue;
        };
        if matches!(md.k, K::Code(_) | K::Html) {
            let text = md.plain();
            md.text = text.strip_suffix('\n').unwrap_or(&text).to_string();
            md.kids.clear();
        }
        match stack.last_mut() {
            Some((parent, _)) if md.k == K::Other => parent.kids.append(&mut md.kids),
            Some((parent, _)) => parent.kids.push(md),
            None => top.push((md, line_of(start), end_line(start, range.end))),
        }
    }
    top
}

/// Parses Markdown into Plate nodes (p, a{url}, ol/ul/li/lic, leaves with bold/italic/underline... matching what Typebot produces for variable values).
pub fn markdown_to_nodes(markdown: &str) -> Vec<Value> {
    let data = markdown.replace("<br>", "<br />");
    let blocks = parse_blocks(&data);
    let last_line = data.matches('\n').count() + 1;
    let mut out = Vec::new();
    let mut prev_end: Option<usize> = None;
    // Each blank source line between (or around) blocks becomes an empty paragraph.
    let blank_lines = |n: usize, out: &mut Vec<Value>| {
        out.extend((0..n).map(|_| element(vec![json!({"text": ""})], "p")))
    };
    for (i, (md, start, end)) in blocks.iter().enumerate() {
        blank_lines(
            start.saturating_sub(prev_end.map_or(1, |p| p + 1)),
            &mut out,
        );
        for node in block_nodes(md) {
            out.push(if node.get("text").is_some() {
                element(vec![node], "p")
            } else {
                node
            });
        }
        if i + 1 == blocks.len() {
            blank_lines(last_line.saturating_sub(end + 1), &mut out);
        }
        prev_end = Some(*end);
    }
    out
}

fn element(children: Vec<Value>, kind: &str) -> Value {
    json!({"children": children, "type": kind})
}

fn leaf(deco: &Map<String, Value>, text: &str) -> Value {
    let mut obj = deco.clone();
    obj.insert("text".into(), json!(text));
    Value::Object(obj)
}

/// plate's convertChildrenDeserialize: no source children → one empty leaf.
fn inline_or_empty(kids: &[Md], deco: &Map<String, Value>) -> Vec<Value> {
    if kids.is_empty() {
        vec![json!({"text": ""})]
    } else {
        inline_nodes(kids, deco)
    }
}

fn inline_nodes(kids: &[Md], deco: &Map<String, Value>) -> Vec<Value> {
    let mut out = Vec::new();
    for md in kids {
        let mark = |name: &str| {
            let mut inner = deco.clone();
            inner.insert(name.into(), Value::Bool(true));
            inner
        };
        match &md.k {
            K::Text => out.push(leaf(deco, md.text.strip_prefix('\n').unwrap_or(&md.text))),
            K::Mark(name) => out.extend(inline_nodes(&md.kids, &mark(name))),
            K::InlineCode => out.push(leaf(&mark("code"), &md.text)),
            K::Break => out.push(json!({"text": "\n"})),
            K::Html => out.push(json!({"text": md.text.replace("<br />", "\n")})),
            K::Link(url) => out.push(json!({"children": inline_or_empty(&md.kids, deco), "type": "a", "url": url})),
            K::Image(url) => out.push(
                json!({"caption": [{"text": md.plain()}], "children": [{"text": ""}], "type": "img", "url": url}),
            ),
            _ => out.extend(block_nodes(md)),
        }
    }
    out
}

fn block_nodes(md: &Md) -> Vec<Value> {
    let none = Map::new();
    match &md.k {
        K::Para => split_paragraph(inline_nodes(&md.kids, &none)),
        K::Heading(n) => vec![element(inline_or_empty(&md.kids, &none), &format!("h{n}"))],
        K::Quote => vec![quote(&md.kids)],
        K::Code(lang) => {
            let lines: Vec<Value> = md
                .text
                .split('\n')
                .map(|l| element(vec![json!({"text": l})], "code_line"))
                .collect();
            match lang {
                Some(lang) => vec![json!({"children": lines, "lang": lang, "type": "code_block"})],
                None => vec![element(lines, "code_block")],
            }
        }
        K::Rule => vec![element(vec![json!({"text": ""})], "hr")],
        K::List(ordered) => {
            let items = md
                .kids
                .iter()
                .filter(|it| it.k == K::Item)
                .map(|it| list_item(&it.kids));
            vec![element(items.collect(), if *ordered { "ol" } else { "ul" })]
        }
        K::Item => vec![list_item(&md.kids)],
        _ => inline_nodes(std::slice::from_ref(md), &none),
    }
}

/// `li` children: paragraphs (or a tight item's inline run) become `lic`; other blocks their first node.
fn list_item(kids: &[Md]) -> Value {
    let mut out = Vec::new();
    let mut run: Vec<Value> = Vec::new();
    for md in kids {
        if !md.is_block() {
            run.extend(inline_nodes(std::slice::from_ref(md), &Map::new()));
            continue;
        }
        if !run.is_empty() {
            out.push(element(std::mem::take(&mut run), "lic"));
        }
        match md.k {
            K::Para => out.push(element(inline_or_empty(&md.kids, &Map::new()), "lic")),
            _ => out.extend(block_nodes(md).into_iter().take(1)),
        }
    }
    if !run.is_empty() {
        out.push(element(run, "lic"));
    }
    element(out, "li")
}

/// plate's blockquote rule: the paragraphs' inline content, separated by two "\n" leaves.
fn quote(kids: &[Md]) -> Value {
    let none = Map::new();
    let mut out = Vec::new();
    for (i, md) in kids.iter().enumerate() {
        match md.k {
            K::Para | K::Heading(_) => out.extend(inline_or_empty(&md.kids, &none)),
            K::Quote => out.extend(children(&quote(&md.kids)).iter().cloned()),
            K::Code(_) | K::Html | K::Rule => out.push(json!({"text": ""})),
            _ => {}
        }
        if md.k == K::Para && i + 1 < kids.len() {
            out.extend([json!({"text": "\n"}), json!({"text": "\n"})]);
        }
    }
    if kids.is_empty() {
        out.push(json!({"text": ""}));
    }
    element(out, "blockquote")
}

/// plate's paragraph rule with `splitLineBreaks`: every "\n" in a leaf starts a new paragraph
/// and images are lifted out as blocks.
fn split_paragraph(kids: Vec<Value>) -> Vec<Value> {
    let mut out = Vec::new();
    let mut inline: Vec<Value> = Vec::new();
    let flush = |inline: &mut Vec<Value>, out: &mut Vec<Value>| {
        if !inline.is_empty() {
            out.push(element(std::mem::take(inline), "p"));
        }
    };
    for child in kids {
        let text = child
            .get("text")
            .and_then(Value::as_str)
            .map(str::to_string);
        match (kind(&child), text, child.as_object()) {
            ("img", ..) => {
                flush(&mut inline, &mut out);
                out.push(child);
            }
            (_, Some(text), _) if text == "\n" && inline.is_empty() => {
                out.push(element(vec![json!({"text": ""})], "p"));
            }
            (_, Some(text), Some(obj)) => {
                for (i, part) in text.split('\n').enumerate() {
                    if i > 0 {
                        flush(&mut inline, &mut out);
                    }
                    if !part.is_empty() {
                        let mut piece = obj.clone();
                        piece.insert("text".into(), json!(part));
                        inline.push(Value::Object(piece));
                    }
                }
            }
            _ => inline.push(child),
        }
    }
    flush(&mut inline, &mut out);
    out
}

// ---------------------------------------------------------------------------------------------
// Output: Markdown and plain text share one walk; blocks become lines, joined by "\n".

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

fn kind(node: &Value) -> &str {
    node.get("type").and_then(Value::as_str).unwrap_or("")
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
    let level = ["h1", "h2", "h3", "h4", "h5", "h6"]
        .iter()
        .position(|h| *h == kind(node));
    match kind(node) {
        "ul" | "ol" => {
            let ordered = kind(node) == "ol";
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

    fn run(tree: &str, vars: &[(&str, &str)]) -> Value {
        let nodes: Vec<Value> = serde_json::from_str(tree).expect("test tree");
        Value::Array(substitute(&nodes, &mut with_vars(vars)))
    }

    fn parse(json: &str) -> Value {
        serde_json::from_str(json).expect("test json")
    }

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

    /// Outputs of `@udecode/plate-markdown` 49 `deserializeMd(md, { splitLineBreaks: true })`.
    const PLATE: &[(&str, &str)] = &[
        ("", "[]"),
        ("\n", "[]"),
        (
            "a\nb",
            r#"[{"children":[{"text":"a"}],"type":"p"},{"children":[{"text":"b"}],"type":"p"}]"#,
        ),
        (
            "a  \nb",
            r#"[{"children":[{"text":"a"}],"type":"p"},{"children":[{"text":"b"}],"type":"p"}]"#,
        ),
        (
            "a<br>b",
            r#"[{"children":[{"text":"a"}],"type":"p"},{"children":[{"text":"b"}],"type":"p"}]"#,
        ),
        (
            "\n\nHello\n\n",
            r#"[{"children":[{"text":""}],"type":"p"},{"children":[{"text":""}],"type":"p"},
            {"children":[{"text":"Hello"}],"type":"p"},{"children":[{"text":""}],"type":"p"}]"#,
        ),
        (
            "a\n\n\nb",
            r#"[{"children":[{"text":"a"}],"type":"p"},{"children":[{"text":""}],"type":"p"},
            {"children":[{"text":""}],"type":"p"},{"children":[{"text":"b"}],"type":"p"}]"#,
        ),
        (
            "***x*** **a _b_ c**",
            r#"[{"children":[{"italic":true,"bold":true,"text":"x"},{"text":" "},
            {"bold":true,"text":"a "},{"bold":true,"italic":true,"text":"b"},{"bold":true,"text":" c"}],"type":"p"}]"#,
        ),
        (
            "**a**\nb",
            r#"[{"children":[{"bold":true,"text":"a"},{"text":"b"}],"type":"p"}]"#,
        ),
        (
            "5*3*2 a_b_c",
            r#"[{"children":[{"text":"5"},{"italic":true,"text":"3"},{"text":"2 a_b_c"}],"type":"p"}]"#,
        ),
        (
            "john@example.com www.x.com",
            r#"[{"children":[{"text":"john@example.com www.x.com"}],"type":"p"}]"#,
        ),
        (
            "**`c` d**",
            r#"[{"children":[{"bold":true,"code":true,"text":"c"},{"bold":true,"text":" d"}],"type":"p"}]"#,
        ),
        (
            "**[a](u) z**",
            r#"[{"children":[{"children":[{"bold":true,"text":"a"}],"type":"a","url":"u"},
            {"bold":true,"text":" z"}],"type":"p"}]"#,
        ),
        (
            "<http://x.y>",
            r#"[{"children":[{"children":[{"text":"http://x.y"}],"type":"a","url":"http://x.y"}],"type":"p"}]"#,
        ),
        (
            "x ![a](u) y",
            r#"[{"children":[{"text":"x "}],"type":"p"},
            {"caption":[{"text":"a"}],"children":[{"text":""}],"type":"img","url":"u"},{"children":[{"text":" y"}],"type":"p"}]"#,
        ),
        (
            "- a\n  - b\n- c",
            r#"[{"children":[{"children":[{"children":[{"text":"a"}],"type":"lic"},
            {"children":[{"children":[{"children":[{"text":"b"}],"type":"lic"}],"type":"li"}],"type":"ul"}],"type":"li"},
            {"children":[{"children":[{"text":"c"}],"type":"lic"}],"type":"li"}],"type":"ul"}]"#,
        ),
        (
            "- a\n\n  second\n- b",
            r#"[{"children":[{"children":[{"children":[{"text":"a"}],"type":"lic"},
            {"children":[{"text":"second"}],"type":"lic"}],"type":"li"},{"children":[{"children":[{"text":"b"}],"type":"lic"}],"type":"li"}],"type":"ul"}]"#,
        ),
        (
            "- a\n  b",
            r#"[{"children":[{"children":[{"children":[{"text":"a\nb"}],"type":"lic"}],"type":"li"}],"type":"ul"}]"#,
        ),
        (
            "- \n- b",
            r#"[{"children":[{"children":[],"type":"li"},{"children":[{"children":[{"text":"b"}],"type":"lic"}],"type":"li"}],"type":"ul"}]"#,
        ),
        (
            "3. a",
            r#"[{"children":[{"children":[{"children":[{"text":"a"}],"type":"lic"}],"type":"li"}],"type":"ol"}]"#,
        ),
        (
            "- a\n- b\n\n\npara",
            r#"[{"children":[{"children":[{"children":[{"text":"a"}],"type":"lic"}],"type":"li"},
            {"children":[{"children":[{"text":"b"}],"type":"lic"}],"type":"li"}],"type":"ul"},
            {"children":[{"text":""}],"type":"p"},{"children":[{"text":""}],"type":"p"},{"children":[{"text":"para"}],"type":"p"}]"#,
        ),
        (
            "## T *e*\n===",
            r#"[{"children":[{"text":"T "},{"italic":true,"text":"e"}],"type":"h2"},{"children":[{"text":"==="}],"type":"p"}]"#,
        ),
        (
            "> a\n>\n> b",
            r#"[{"children":[{"text":"a"},{"text":"\n"},{"text":"\n"},{"text":"b"}],"type":"blockquote"}]"#,
        ),
        (
            "> **a** b\n> c",
            r#"[{"children":[{"bold":true,"text":"a"},{"text":" b\nc"}],"type":"blockquote"}]"#,
        ),
        (
            "```js\ncode\nline2\n```",
            r#"[{"children":[{"children":[{"text":"code"}],"type":"code_line"},
            {"children":[{"text":"line2"}],"type":"code_line"}],"lang":"js","type":"code_block"}]"#,
        ),
        (
            "a\n\n---\n\nb",
            r#"[{"children":[{"text":"a"}],"type":"p"},{"children":[{"text":""}],"type":"p"},
            {"children":[{"text":""}],"type":"hr"},{"children":[{"text":""}],"type":"p"},{"children":[{"text":"b"}],"type":"p"}]"#,
        ),
        (
            "<b>x</b> y",
            r#"[{"children":[{"text":"<b>"},{"text":"x"},{"text":"</b>"},{"text":" y"}],"type":"p"}]"#,
        ),
        (
            "<div>\nhi\n</div>",
            r#"[{"children":[{"text":"<div>\nhi\n</div>"}],"type":"p"}]"#,
        ),
        (
            "\\*x\\* &amp; &copy;",
            r#"[{"children":[{"text":"*x* & ©"}],"type":"p"}]"#,
        ),
        (
            "| a |\n|---|\n- [ ] t",
            r#"[{"children":[{"text":"| a |"}],"type":"p"},{"children":[{"text":"|---|"}],"type":"p"},
            {"children":[{"children":[{"children":[{"text":"[ ] t"}],"type":"lic"}],"type":"li"}],"type":"ul"}]"#,
        ),
    ];

    #[test]
    fn markdown_is_parsed_like_plate_markdown() {
        for (md, want) in PLATE {
            assert_eq!(
                Value::Array(markdown_to_nodes(md)),
                parse(want),
                "markdown {md:?}"
            );
        }
    }

    #[test]
    fn plate_key_order_is_kept() {
        let got = serde_json::to_string(&markdown_to_nodes("**a** [b](u)")).expect("json");
        let want = r#"[{"children":[{"bold":true,"text":"a"},{"text":" "},{"children":[{"text":"b"}],"type":"a","url":"u"}],"type":"p"}]"#;
        assert_eq!(got, want);
    }
}
