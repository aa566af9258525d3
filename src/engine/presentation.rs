//! What a turn shows besides its messages: the progress value and the dynamic theme, computed
//! when a turn finishes from the flows the turn already holds (no extra lookups).

use std::sync::Arc;

use serde_json::{Map, Value};

use super::{SessionState, TurnOutput};
use crate::eval::js::JsLimits;
use crate::eval::scope::Scope;
use crate::eval::templating::substitute_value;
use crate::flow::CompiledFlow;
use crate::flow::progress::{self, Level};

/// A scope over the running frame, for substituting theme values outside a block.
fn with_scope<T>(
    flows: &[Arc<CompiledFlow>],
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

/// `dynamicTheme`, when the root bot's theme uses `{{Var}}` avatars or background.
pub fn dynamic_theme(flows: &[Arc<CompiledFlow>], state: &mut SessionState) -> Option<Value> {
    let dt = flows.first()?.settings.dynamic_theme.clone();
    if dt.is_empty() {
        return None;
    }
    with_scope(flows, state, |scope| {
        let mut o = Map::new();
        let mut put = |k: &str, t: &Option<String>| {
            if let Some(t) = t {
                o.insert(
                    k.into(),
                    Value::String(crate::eval::templating::parse_text(t, scope)),
                );
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
    flows: &[Arc<CompiledFlow>],
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

/// The bot's theme and its wire settings with `{{Var}}` substituted from the variables the
/// start turn began with (what a start response shows of the bot).
pub fn theme_and_settings(flow: &CompiledFlow, out: &TurnOutput) -> (Value, Value) {
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
}
