//! Shapes a [`TurnResult`] into Typebot's response JSON: which keys appear when, the bot object
//! (theme and settings with variables substituted), dynamic theme and progress.

use serde_json::{Map, Value, json};

use super::BotKey;
use crate::conversation::TurnResult;
use crate::engine::TurnOutput;
use crate::engine::presentation::theme_and_settings;
use crate::flow::CompiledFlow;

/// The body of a startChat response.
pub fn start_response(turn: TurnResult, key: BotKey) -> Value {
    let live = turn.is_live();
    let TurnResult {
        session_id,
        result_id,
        flow,
        published_at,
        mut output,
        preview,
        ..
    } = turn;
    // Live starts first ask the embedding page to load the bot's trackers and head code.
    if let Some(props) = flow.start_props.as_ref().filter(|_| live) {
        output.actions.insert(
            0,
            json!({"type": "startPropsToInject", "startPropsToInject": props}),
        );
    }
    let mut o = Map::new();
    o.insert("sessionId".into(), Value::String(session_id));
    if let Some(r) = result_id {
        o.insert("resultId".into(), Value::String(r));
    }
    let published_at = published_at.filter(|_| live);
    o.insert(
        key.as_str().into(),
        bot_object(&flow, &output, published_at.as_deref()),
    );
    if let Some(f) = &output.last_message_new_format {
        o.insert("lastMessageNewFormat".into(), Value::String(f.clone()));
    }
    turn_fields(&mut o, output, false, preview);
    Value::Object(o)
}

/// The body of a continueChat response.
pub fn continue_response(turn: TurnResult) -> Value {
    let mut o = Map::new();
    let out = turn.output;
    if let Some(f) = &out.last_message_new_format {
        o.insert("lastMessageNewFormat".into(), Value::String(f.clone()));
    }
    let walked = out.walked;
    turn_fields(&mut o, out, walked, turn.preview);
    Value::Object(o)
}

/// `{id, version, theme, settings[, publishedAt]}` with variables substituted.
fn bot_object(flow: &CompiledFlow, out: &TurnOutput, published_at: Option<&str>) -> Value {
    let (theme, settings) = theme_and_settings(flow, out);
    let mut o = Map::new();
    o.insert("id".into(), Value::String(flow.id.clone()));
    o.insert("version".into(), Value::String(flow.version.clone()));
    o.insert(
        "theme".into(),
        if theme.is_object() { theme } else { json!({}) },
    );
    o.insert("settings".into(), settings);
    if let Some(at) = published_at {
        o.insert("publishedAt".into(), Value::String(at.to_string()));
    }
    Value::Object(o)
}

/// The keys shared by start and continue responses.
fn turn_fields(o: &mut Map<String, Value>, out: TurnOutput, always_actions: bool, preview: bool) {
    let logs: Vec<Value> = out
        .visible_logs(preview)
        .into_iter()
        .filter_map(|l| serde_json::to_value(l).ok())
        .collect();
    o.insert("messages".into(), Value::Array(out.messages));
    if let Some(i) = out.input {
        o.insert("input".into(), i);
    }
    if always_actions || !out.actions.is_empty() {
        o.insert("clientSideActions".into(), Value::Array(out.actions));
    }
    if always_actions || !logs.is_empty() {
        o.insert("logs".into(), Value::Array(logs));
    }
    if let Some(dt) = out.dynamic_theme {
        o.insert("dynamicTheme".into(), dt);
    }
    if let Some(p) = out.progress {
        o.insert("progress".into(), json!(p));
    }
}
