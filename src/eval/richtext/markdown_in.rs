//! Markdown → Plate nodes, matching `@udecode/plate-markdown`'s
//! `deserializeMd(…, { splitLineBreaks: true })`: the mdast-like tree built by `mdast.rs` is
//! converted with plate-markdown's rules (keys in the order Plate emits them: alphabetical).

use serde_json::{Map, Value, json};

use super::mdast::{K, Md, parse_blocks};
use super::{children, kind};

/// Parses Markdown into Plate nodes (p, a{url}, ol/ul/li/lic, leaves with bold/italic/underline... matching what Typebot produces for variable values).
pub fn markdown_to_nodes(markdown: &str) -> Vec<Value> {
    // Most variable values (names, e-mails, short answers) hold no Markdown at all: one
    // paragraph of one leaf, without running the parser.
    if is_plain(markdown) {
        return vec![element(vec![json!({"text": markdown})], "p")];
    }
    parse_markdown(markdown)
}

/// Text that Markdown leaves as it is: starts with a letter or an ASCII digit (numbers, the
/// values counters and scores hold, whose leading digits are not followed by `.`: no ordered
/// list marker), then letters, digits, single spaces and a few punctuation marks that mean
/// nothing there (no emphasis, code, link, HTML, entity, escape, list or heading marker can
/// appear), without a line break or a trailing space.
fn is_plain(text: &str) -> bool {
    let mut chars = text.chars();
    let starts_well = chars.next().is_some_and(|c| {
        c.is_alphabetic()
            || (c.is_ascii_digit()
                && !text
                    .trim_start_matches(|d: char| d.is_ascii_digit())
                    .starts_with('.'))
    });
    if !starts_well || text.ends_with(' ') {
        return false;
    }
    let mut prev_space = false;
    for c in chars {
        let space = c == ' ';
        if !(c.is_alphanumeric() || matches!(c, '@' | '.' | ',' | '\'' | '-' | '?') || space)
            || (space && prev_space)
        {
            return false;
        }
        prev_space = space;
    }
    true
}

fn parse_markdown(markdown: &str) -> Vec<Value> {
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

#[cfg(test)]
mod tests;
