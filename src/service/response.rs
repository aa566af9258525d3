//! Shapes engine output into Typebot's response JSON: which keys appear when, the bot object,
//! dynamic theme and progress.

use serde_json::{Map, Value, json};

use crate::engine::{TurnOutput, TurnStatus};
use crate::eval::js::JsLimits;
use crate::eval::scope::Scope;
use crate::eval::templating::substitute_value;
use crate::flow::CompiledFlow;

/// `{id, version, theme, settings[, publishedAt]}` with variables substituted.
pub fn bot_object(flow: &CompiledFlow, out: &TurnOutput, with_published_at: bool) -> Value {
    let (theme, settings) = {
        let limits = JsLimits::default();
        let mut runs = 0;
        let mut vars = out.initial_vars.clone().unwrap_or_default();
        let mut scope = Scope {
            flow,
            vars: &mut vars,
            limits: &limits,
            js_runs: &mut runs,
        };
        (
            substitute_value(&flow.theme, &mut scope),
            substitute_value(&flow.settings.wire, &mut scope),
        )
    };
    let mut o = Map::new();
    o.insert("id".into(), Value::String(flow.id.clone()));
    o.insert("version".into(), Value::String(flow.version.clone()));
    o.insert(
        "theme".into(),
        if theme.is_object() { theme } else { json!({}) },
    );
    o.insert("settings".into(), settings);
    if with_published_at {
        o.insert(
            "publishedAt".into(),
            Value::String(flow.published_at.clone()),
        );
    }
    Value::Object(o)
}

/// The keys shared by start and continue responses.
pub fn turn_fields(
    o: &mut Map<String, Value>,
    out: TurnOutput,
    always_actions: bool,
    preview: bool,
) {
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

/// Whether the session waits for something (else the conversation is over).
pub fn is_waiting(out: &TurnOutput) -> bool {
    matches!(
        out.status,
        TurnStatus::WaitingInput | TurnStatus::WaitingAction | TurnStatus::WaitingTime
    )
}
