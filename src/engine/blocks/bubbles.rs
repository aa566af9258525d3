//! Bubbles: text (rich text or markdown), image, video, audio, embed. Each becomes a message
//! whose id is the block id; variables are substituted at render time.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Value, json};

use super::Next;
use crate::engine::TextFormat;
use crate::engine::context::Turn;
use crate::engine::state::TrailEntry;
use crate::engine::turn::{TurnStatus, object};
use crate::eval::richtext;
use crate::eval::templating;
use crate::eval::templating::substitute_value;
use crate::flow::block::Bubble;
use crate::flow::{CBlock, VarValue};

pub fn render(turn: &mut Turn<'_>, block: &CBlock, bubble: &Bubble) -> Next {
    match bubble {
        Bubble::Empty => Next::Continue,
        Bubble::Text {
            rich_text,
            templated,
        } => {
            let nodes = if *templated {
                let take_latest = !turn.flow().is_v6;
                let mut scope = turn.scope();
                richtext::substitute(rich_text, &mut |t| {
                    templating::split(t, &mut scope, take_latest)
                })
            } else {
                rich_text.clone()
            };
            if let Some(trail) = turn.state.trail.as_mut() {
                trail.push(TrailEntry::Bot(richtext::to_markdown(&nodes)));
            }
            let content = text_content(nodes, turn.format);
            turn.out.push_message(&block.id, "text", content);
            Next::Continue
        }
        Bubble::Image(c) | Bubble::Audio(c) => {
            let content = substitute_value(c, &mut turn.scope());
            push_media(turn, block, content);
            Next::Continue
        }
        Bubble::Video(c) => {
            let mut content = substitute_value(c, &mut turn.scope());
            classify_video(&mut content);
            push_media(turn, block, content);
            Next::Continue
        }
        Bubble::Embed(c) => {
            let content = substitute_value(c, &mut turn.scope());
            let waits = c
                .get("waitForEvent")
                .and_then(|w| w.get("isEnabled"))
                .and_then(Value::as_bool)
                == Some(true);
            push_media(turn, block, content);
            if waits {
                Next::Stop(TurnStatus::WaitingAction)
            } else {
                Next::Continue
            }
        }
    }
}

fn push_media(turn: &mut Turn<'_>, block: &CBlock, content: Value) {
    if let (Some(trail), Some(url)) = (
        turn.state.trail.as_mut(),
        content.get("url").and_then(Value::as_str),
    ) {
        trail.push(TrailEntry::Bot(url.to_string()));
    }
    let kind = block.type_name.clone();
    turn.out.push_message(&block.id, &kind, content);
}

/// The content of a text message in the requested format.
pub fn text_content(nodes: Vec<Value>, format: TextFormat) -> Value {
    match format {
        TextFormat::RichText => object([
            ("type", Value::String("richText".into())),
            ("richText", Value::Array(nodes)),
        ]),
        TextFormat::Markdown => object([
            ("type", Value::String("markdown".into())),
            ("markdown", Value::String(richtext::to_markdown(&nodes))),
        ]),
    }
}

/// A one-paragraph text message content (retry messages, system texts).
pub fn plain_text_content(text: &str, format: TextFormat) -> Value {
    text_content(
        vec![json!({"type": "p", "children": [{"text": text}]})],
        format,
    )
}

/// The reply to a waiting embed is stored in its variable (JSON-parsed when possible).
pub fn resume(turn: &mut Turn<'_>, bubble: &Bubble, text: &str) {
    let Bubble::Embed(c) = bubble else { return };
    let Some(var) = c
        .get("waitForEvent")
        .and_then(|w| w.get("saveDataInVariableId"))
        .and_then(Value::as_str)
    else {
        return;
    };
    let value = serde_json::from_str::<Value>(text)
        .ok()
        .map_or_else(|| VarValue::from_string(text), |v| VarValue::from_json(&v));
    turn.scope().set(var, value);
}

static YOUTUBE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?:youtube\.com/(?:watch\?(?:.*&)?v=|shorts/|embed/)|youtu\.be/)([\w-]{11})").ok()
});
static VIMEO: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"vimeo\.com/(?:video/)?(\d+)").ok());
static TIKTOK: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"tiktok\.com/@[\w.-]+/video/(\d+)").ok());
static GUMLET: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"gumlet\.tv/watch/(\w+)").ok());
static YT_START: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"[?&]t=(\d+)(?:&|$)").ok());

/// Re-classifies a video URL after substitution (YouTube, Vimeo, TikTok, Gumlet, plain URL).
fn classify_video(content: &mut Value) {
    let Some(obj) = content.as_object_mut() else {
        return;
    };
    let Some(url) = obj.get("url").and_then(Value::as_str).map(str::to_string) else {
        return;
    };
    let found = |re: &Option<Regex>| {
        re.as_ref()
            .and_then(|r| r.captures(&url))
            .and_then(|c| c.get(1))
            .map(|m| m.as_str().to_string())
    };
    // Like Typebot, a recognised provider URL is replaced by the matched part.
    let matched = |re: &Option<Regex>| {
        re.as_ref().and_then(|r| r.captures(&url)).and_then(|c| {
            Some((
                c.get(0)?.as_str().to_string(),
                c.get(1)?.as_str().to_string(),
            ))
        })
    };
    let (kind, id) = if let Some((m, id)) = matched(&YOUTUBE) {
        if let Some(t) = found(&YT_START) {
            obj.insert("queryParamsStr".into(), Value::String(format!("start={t}")));
        }
        obj.insert("url".into(), Value::String(m));
        ("youtube", Some(id))
    } else if let Some((m, id)) = matched(&VIMEO) {
        obj.insert("url".into(), Value::String(m));
        ("vimeo", Some(id))
    } else if let Some((m, id)) = matched(&TIKTOK) {
        obj.insert("url".into(), Value::String(m));
        ("tiktok", Some(id))
    } else if let Some((m, id)) = matched(&GUMLET) {
        obj.insert("url".into(), Value::String(m));
        ("gumlet", Some(id))
    } else {
        let url = if url.contains("1drv.ms") || url.contains("onedrive.live.com") {
            url.replace("/embed", "/download")
        } else {
            url
        };
        obj.insert("url".into(), Value::String(url));
        ("url", None)
    };
    obj.insert("type".into(), Value::String(kind.into()));
    match id {
        Some(id) => {
            obj.insert("id".into(), Value::String(id));
        }
        None => {
            obj.remove("id");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_youtube_with_start_time() {
        let mut v = json!({"url": "https://www.youtube.com/watch?v=jp3ggg_42-M&t=42"});
        classify_video(&mut v);
        assert_eq!(v["type"], "youtube");
        assert_eq!(v["url"], "youtube.com/watch?v=jp3ggg_42-M");
        assert_eq!(v["id"], "jp3ggg_42-M");
        assert_eq!(v["queryParamsStr"], "start=42");
        let mut v = json!({"url": "https://vimeo.com/12345"});
        classify_video(&mut v);
        assert_eq!(v["type"], "vimeo");
        let mut v: Value = Value::Object(serde_json::Map::new());
        classify_video(&mut v);
        assert_eq!(v, json!({}));
    }
}
