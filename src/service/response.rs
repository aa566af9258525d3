//! Shapes engine output into Typebot's response JSON: which keys appear when, the bot object,
//! dynamic theme and progress.

use serde_json::{Map, Value, json};

use crate::blocks::substitute_value;
use crate::engine::js::JsLimits;
use crate::engine::scope::Scope;
use crate::engine::{SessionState, TurnOutput, TurnStatus};
use crate::flow::CompiledFlow;
use crate::flow::progress::{self, Level};

/// A scope over the running frame, for substituting theme values outside a turn.
fn with_scope<T>(
    flows: &[std::sync::Arc<CompiledFlow>],
    state: &mut SessionState,
    f: impl FnOnce(&mut Scope<'_>) -> T,
) -> T {
    let limits = JsLimits::default();
    let mut runs = 0;
    let n = state.frames.len().min(flows.len()) - 1;
    let mut scope = Scope {
        flow: &flows[n],
        vars: &mut state.frames[n].vars,
        limits: &limits,
        js_runs: &mut runs,
    };
    f(&mut scope)
}

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

/// `dynamicTheme`, when the root bot's theme uses `{{Var}}` avatars or background.
pub fn dynamic_theme(
    flows: &[std::sync::Arc<CompiledFlow>],
    state: &mut SessionState,
) -> Option<Value> {
    let dt = flows.first()?.settings.dynamic_theme.clone();
    if dt.is_empty() {
        return None;
    }
    with_scope(flows, state, |scope| {
        let mut o = Map::new();
        let mut put = |k: &str, t: &Option<String>| {
            if let Some(t) = t {
                o.insert(k.into(), Value::String(crate::blocks::parse_text(t, scope)));
            }
        };
        put("hostAvatarUrl", &dt.host_avatar);
        put("guestAvatarUrl", &dt.guest_avatar);
        put("backgroundUrl", &dt.background);
        Some(Value::Object(o))
    })
}

/// Progress in percent when the root bot shows a progress bar.
pub fn progress(
    flows: &[std::sync::Arc<CompiledFlow>],
    state: &SessionState,
    out: &TurnOutput,
    registering: bool,
) -> Option<f64> {
    let answered = state.answered?;
    if registering || out.input.is_none() {
        return Some(100.0);
    }
    // One level per frame (root first), each with the position its parent resumes at,
    // resolved in the parent's flow. O(stack depth): R comes from the precomputed per-block
    // reach tables (see `flow::progress`), no graph walk.
    let n = state.frames.len();
    if n == 0 || flows.len() < n {
        return None;
    }
    let stack: Vec<Level<'_>> = (0..n)
        .map(|k| Level {
            flow: &flows[k],
            resume: (k > 0)
                .then(|| state.frames[k].resume.as_ref())
                .flatten()
                .and_then(|p| flows[k - 1].target(&p.g, p.b.as_deref())),
        })
        .collect();
    let cur = state
        .cur
        .as_deref()
        .and_then(|c| flows[n - 1].block_index(c))?;
    // No recorded path: Typebot divides by -Infinity.
    let Some(r) = progress::remaining(&stack, cur) else {
        return Some(0.0);
    };
    let a = f64::from(answered);
    Some((a + 1.0) / (r as f64 + a + 1.0) * 100.0)
}

/// The keys shared by start and continue responses.
pub fn turn_fields(
    o: &mut Map<String, Value>,
    out: &TurnOutput,
    always_actions: bool,
    preview: bool,
) {
    o.insert("messages".into(), Value::Array(out.messages.clone()));
    if let Some(i) = &out.input {
        o.insert("input".into(), i.clone());
    }
    let logs: Vec<Value> = out
        .visible_logs(preview)
        .into_iter()
        .filter_map(|l| serde_json::to_value(l).ok())
        .collect();
    if always_actions || !out.actions.is_empty() {
        o.insert(
            "clientSideActions".into(),
            Value::Array(out.actions.clone()),
        );
    }
    if always_actions || !logs.is_empty() {
        o.insert("logs".into(), Value::Array(logs));
    }
}

/// Whether the session waits for something (else the conversation is over).
pub fn is_waiting(out: &TurnOutput) -> bool {
    matches!(
        out.status,
        TurnStatus::WaitingInput | TurnStatus::WaitingAction | TurnStatus::WaitingTime
    )
}
