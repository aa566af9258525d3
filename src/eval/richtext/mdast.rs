//! The first half of Markdown → Plate: pulldown-cmark events folded into a small mdast-like
//! tree (top-level blocks with their source lines), which `markdown_in.rs` then converts with
//! plate-markdown's rules. Only the node kinds Plate distinguishes are modelled.

use pulldown_cmark::{CodeBlockKind, Event, LinkType, Options, Parser, Tag};

/// The kind of an [`Md`] node.
#[derive(PartialEq)]
pub(super) enum K {
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
pub(super) struct Md {
    pub(super) k: K,
    pub(super) kids: Vec<Md>,
    pub(super) text: String,
}

impl Md {
    fn new(k: K, text: &str) -> Md {
        Md {
            k,
            kids: Vec::new(),
            text: text.to_string(),
        }
    }
    pub(super) fn plain(&self) -> String {
        self.kids
            .iter()
            .fold(self.text.clone(), |acc, k| acc + &k.plain())
    }
    pub(super) fn is_block(&self) -> bool {
        matches!(
            self.k,
            K::Para | K::Heading(_) | K::Quote | K::Code(_) | K::Rule | K::List(_) | K::Item
        )
    }
}

/// Deepest container nesting kept (lists in lists, quotes in quotes, marks in marks).
const MAX_DEPTH: usize = 32;

/// Top-level blocks with their first and last source line (1-based), like mdast positions.
pub(super) fn parse_blocks(data: &str) -> Vec<(Md, usize, usize)> {
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
            Event::Start(_) if stack.len() >= MAX_DEPTH => {
                // Deeper nesting is flattened into the container at the limit: the later
                // conversion recurses on this tree, and its input comes from users.
                stack.push((Md::new(K::Other, ""), range.start));
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(md: &Md) -> usize {
        1 + md.kids.iter().map(depth).max().unwrap_or(0)
    }

    #[test]
    fn deep_nesting_from_users_is_flattened_not_recursed_into() {
        for input in [
            "- ".repeat(30_000),
            "> ".repeat(30_000),
            format!("{}x{}", "*".repeat(30_000), "*".repeat(30_000)),
        ] {
            let blocks = parse_blocks(&input);
            let deepest = blocks.iter().map(|(md, _, _)| depth(md)).max().unwrap_or(0);
            assert!(deepest <= MAX_DEPTH + 2, "depth {deepest}");
        }
    }
}
