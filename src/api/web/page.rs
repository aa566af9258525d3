//! The server-rendered pages: the handlebars templates (compiled once per process, HTML-escaped
//! by default) and the views they are rendered from. A bot page's head comes from the bot's
//! `settings.metadata`; its custom head code is only included when the operator allows it
//! (`web_custom_head_code`). URL query parameters become the player's prefilled variables.

use std::sync::OnceLock;

use handlebars::Handlebars;
use serde_json::{Map, Value, json};

use crate::flow::CompiledFlow;
use crate::store::Published;

/// The templates, registered once.
fn templates() -> &'static Result<Handlebars<'static>, String> {
    static T: OnceLock<Result<Handlebars<'static>, String>> = OnceLock::new();
    T.get_or_init(|| {
        let mut hb = Handlebars::new();
        hb.set_strict_mode(false);
        let sources = [
            (
                "layout_head",
                include_str!("../../../web/templates/layout_head.hbs"),
            ),
            ("index", include_str!("../../../web/templates/index.hbs")),
            ("bot", include_str!("../../../web/templates/bot.hbs")),
            (
                "not_found",
                include_str!("../../../web/templates/not_found.hbs"),
            ),
        ];
        for (name, text) in sources {
            if name == "layout_head" {
                hb.register_partial(name, text)
            } else {
                hb.register_template_string(name, text)
            }
            .map_err(|e| format!("template {name}: {e}"))?;
        }
        Ok(hb)
    })
}

/// Renders template `name` with `view`.
pub fn render(name: &str, view: &Value) -> Result<String, String> {
    let hb = templates().as_ref().map_err(Clone::clone)?;
    hb.render(name, view).map_err(|e| e.to_string())
}

/// A URL fit for the page head: http(s), or a path on this server. Anything else (a
/// `javascript:` or `data:` URL, a template left unsubstituted) is dropped.
fn head_url(u: &str) -> Option<String> {
    let u = u.trim();
    let lower = u.to_ascii_lowercase();
    let ok = lower.starts_with("https://")
        || lower.starts_with("http://")
        || (u.starts_with('/') && !u.starts_with("//"));
    (ok && !u.contains("{{")).then(|| u.to_string())
}

fn meta_str<'a>(meta: Option<&'a Value>, key: &str) -> Option<&'a str> {
    meta.and_then(|m| m.get(key))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The view of `GET /{publicId}`.
pub fn bot_view(
    flow: &CompiledFlow,
    public_id: &str,
    query: &[(String, String)],
    allow_head_code: bool,
) -> Value {
    let meta = flow.raw_settings.get("metadata");
    let general = flow.raw_settings.get("general");
    let hide_query = general
        .and_then(|g| g.get("isHideQueryParamsEnabled"))
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let allow_indexing = meta
        .and_then(|m| m.get("allowIndexing"))
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let mut prefilled = Map::new();
    for (k, v) in query {
        if !k.is_empty() {
            prefilled.insert(k.clone(), Value::String(v.clone()));
        }
    }
    let title = meta_str(meta, "title").unwrap_or(if flow.name.is_empty() {
        public_id
    } else {
        &flow.name
    });
    let custom_head = meta_str(meta, "customHeadCode")
        .filter(|_| allow_head_code)
        .unwrap_or_default();
    json!({
        "publicId": public_id,
        "title": title,
        "description": meta_str(meta, "description"),
        "image": meta_str(meta, "imageUrl").and_then(head_url),
        "favicon": meta_str(meta, "favIconUrl").and_then(head_url),
        "allowIndexing": allow_indexing,
        "customHead": custom_head,
        "prefilled": Value::Object(prefilled).to_string(),
        "hideQuery": hide_query && !query.is_empty(),
    })
}

/// The view of `GET /`: every published bot by name, and an embed example.
pub fn index_view(mut bots: Vec<Published>, origin: &str) -> Value {
    bots.sort_by_key(|b| b.name.to_lowercase());
    let example = bots
        .first()
        .map(|b| b.public_id.clone())
        .unwrap_or_else(|| "my-bot".into());
    let bots: Vec<Value> = bots
        .iter()
        .map(|b| {
            let name = if b.name.is_empty() {
                &b.public_id
            } else {
                &b.name
            };
            json!({"name": name, "publicId": b.public_id})
        })
        .collect();
    json!({"bots": bots, "origin": origin, "example": example})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_urls_are_http_or_local_only() {
        assert_eq!(
            head_url(" https://a.example/i.png").as_deref(),
            Some("https://a.example/i.png")
        );
        assert_eq!(head_url("/favicon.ico").as_deref(), Some("/favicon.ico"));
        assert_eq!(head_url("javascript:alert(1)"), None);
        assert_eq!(head_url("//evil.example/x"), None);
        assert_eq!(head_url("data:image/png;base64,xx"), None);
        assert_eq!(head_url("{{Logo}}"), None);
    }

    #[test]
    fn templates_compile_and_escape() {
        let html = render(
            "not_found",
            &json!({"publicId": "<script>alert(1)</script>"}),
        )
        .unwrap_or_default();
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<script>alert"));
    }
}
