//! Client-side trackers: Chatwoot widget, Google Analytics events, Meta Pixel. They become
//! client-side actions on live sessions; previews skip them (Chatwoot with an info log).

use serde_json::{Map, Value, json};

use super::substituted;
use crate::engine::blocks::Next;
use crate::engine::context::Turn;
use crate::engine::turn::Log;

pub fn chatwoot(turn: &mut Turn<'_>, o: &Value) -> Next {
    if turn.state.preview {
        turn.out
            .logs
            .push(Log::info("Chatwoot is not enabled in Preview mode"));
        turn.out.push_action(
            "chatwoot",
            Some(json!({"scriptToExecute": {"content": "", "args": []}})),
            false,
        );
        return Next::Continue;
    }
    let o = substituted(turn, o);
    let get = |k: &str| {
        o.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let content = if get("task") == "Close widget" {
        "if (window.$chatwoot) window.$chatwoot.toggle('close');".to_string()
    } else {
        let base = Some(get("baseUrl"))
            .filter(|b| !b.is_empty())
            .unwrap_or_else(|| "https://app.chatwoot.com".into());
        let user = o.get("user").cloned().unwrap_or(Value::Null);
        format!(
            "window.chatwootSettings = {{ hideMessageBubble: false, position: 'right', type: 'standard' }};\n\
             (function (d, t) {{ var BASE_URL = {base}; var g = d.createElement(t), s = d.getElementsByTagName(t)[0];\n\
             g.src = BASE_URL + '/packs/js/sdk.js'; g.defer = true; g.async = true; s.parentNode.insertBefore(g, s);\n\
             g.onload = function () {{ window.chatwootSDK.run({{ websiteToken: {token}, baseUrl: BASE_URL }});\n\
             var user = {user}; window.addEventListener('chatwoot:ready', function () {{ if (user && user.id) window.$chatwoot.setUser(user.id, {{ email: user.email, name: user.name, avatar_url: user.avatarUrl, phone_number: user.phoneNumber }}); window.$chatwoot.toggle('open'); }}); }};\n\
             }})(document, 'script');",
            base = Value::String(base),
            token = Value::String(get("websiteToken")),
            user = user,
        )
    };
    turn.out.push_action(
        "chatwoot",
        Some(json!({"scriptToExecute": {"content": content, "args": []}})),
        false,
    );
    Next::Continue
}

/// Options substituted, empty strings removed, numeric strings typed.
fn cleaned(turn: &mut Turn<'_>, o: &Value) -> Map<String, Value> {
    let o = substituted(turn, o);
    let mut out = Map::new();
    for (k, v) in o.as_object().into_iter().flatten() {
        match v {
            Value::String(s) if s.is_empty() => {}
            Value::String(s) if k == "value" => {
                out.insert(
                    k.clone(),
                    s.parse::<f64>()
                        .map(crate::eval::scope::number)
                        .unwrap_or_else(|_| v.clone()),
                );
            }
            other => {
                out.insert(k.clone(), other.clone());
            }
        }
    }
    out
}

pub fn google_analytics(turn: &mut Turn<'_>, o: &Value) -> Next {
    if !turn.state.preview {
        let payload = cleaned(turn, o);
        turn.out
            .push_action("googleAnalytics", Some(Value::Object(payload)), false);
    }
    Next::Continue
}

pub fn pixel(turn: &mut Turn<'_>, o: &Value) -> Next {
    let has = |k: &str| {
        o.get(k)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    if !turn.state.preview && has("pixelId") && has("eventType") {
        let payload = cleaned(turn, o);
        turn.out
            .push_action("pixel", Some(Value::Object(payload)), false);
    }
    Next::Continue
}
