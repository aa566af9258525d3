//! The Set variable block and all its presets (§6.5). Custom expressions are code: they run in
//! the sandbox and fall back to plain substituted text when they fail, as in Typebot.

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::engine::blocks::Next;
use crate::engine::context::Turn;
use crate::engine::state::TrailEntry;
use crate::engine::turn::{Log, TurnStatus};
use crate::eval::js::JsValue;
use crate::eval::scope::{Scope, typed};
use crate::eval::templating::{self, Mode, Opts};
use crate::flow::VarValue;
use crate::flow::options::SetVariableOptions;

pub fn execute(turn: &mut Turn<'_>, o: &SetVariableOptions) -> Next {
    let Some(var) = o.variable_id.clone() else {
        return Next::Continue;
    };
    let kind = o.kind.as_deref().unwrap_or("Custom");
    let expr = o.expression_to_evaluate.clone().unwrap_or_default();
    let value: Option<VarValue> = match kind {
        "Custom" if o.is_executed_on_client == Some(true) => {
            return client_side(turn, &expr, o.is_code, o.is_unsafe);
        }
        "Moment of the day" => return client_side(turn, MOMENT_OF_THE_DAY, Some(true), None),
        "Device type" => return client_side(turn, DEVICE_TYPE, Some(true), None),
        "Custom" => match evaluate(&expr, &mut turn.scope()) {
            Ok(v) => v,
            Err(e) => {
                if o.is_code == Some(true) {
                    turn.out.logs.push(
                        Log::error(format!("Error while evaluating \"{expr}\""))
                            .with_details(json!(e)),
                    );
                    if let Some(err_var) = &o.save_error_in_variable_id {
                        turn.scope().set(err_var, VarValue::from_string(e));
                    }
                }
                VarValue::from_string(templating::parse(&expr, &mut turn.scope(), Opts::default()))
            }
        },
        "Empty" => None,
        "Append value(s)" => {
            let mut scope = turn.scope();
            let item = templating::parse(
                o.item.as_deref().unwrap_or_default(),
                &mut scope,
                Opts::default(),
            );
            let mut list = match scope.get(&var) {
                None => Vec::new(),
                Some(VarValue::Str(s)) => vec![Some(s.clone())],
                Some(VarValue::List(l)) => l.clone(),
            };
            list.push(Some(item));
            Some(VarValue::List(list))
        }
        "Environment name" => VarValue::from_string("web"),
        "Transcript" => transcript(turn),
        "User ID" | "Result ID" => {
            // The running bot's result: a linked bot that keeps its own result has its own id.
            let id = turn
                .state
                .top()
                .result_id
                .as_deref()
                .map(str::to_string)
                .unwrap_or_else(crate::ids::new_id);
            VarValue::from_string(id)
        }
        "Now" | "Today" | "Yesterday" | "Tomorrow" => {
            let shift = match kind {
                "Yesterday" => Duration::hours(-24),
                "Tomorrow" => Duration::hours(24),
                _ => Duration::zero(),
            };
            VarValue::from_string(date_value(turn.now + shift, o.time_zone.as_deref()))
        }
        "Random ID" => VarValue::from_string(crate::ids::new_id()),
        "Map item with same index" => {
            let p = &o.map_list_item_params;
            let scope = turn.scope();
            let (Some(bi), Some(bl), Some(tl)) = (
                &p.base_item_variable_id,
                &p.base_list_variable_id,
                &p.target_list_variable_id,
            ) else {
                return Next::Continue;
            };
            let item = scope.get(bi).and_then(|v| v.as_str().map(str::to_string));
            let (Some(VarValue::List(base)), Some(VarValue::List(target))) =
                (scope.get(bl), scope.get(tl))
            else {
                return Next::Continue;
            };
            let Some(index) =
                item.and_then(|it| base.iter().position(|b| b.as_deref() == Some(it.as_str())))
            else {
                return Next::Continue;
            };
            match target.get(index).cloned().flatten() {
                Some(v) => VarValue::from_string(v),
                None => return Next::Continue,
            }
        }
        "Pop" | "Shift" => {
            let mut scope = turn.scope();
            let list = match scope.get(&var) {
                None => return Next::Continue,
                Some(VarValue::Str(_)) => Vec::new(),
                Some(VarValue::List(l)) => l.clone(),
            };
            let mut list = list;
            let removed = if list.is_empty() {
                None
            } else if kind == "Pop" {
                list.pop().flatten()
            } else {
                list.remove(0)
            };
            if let Some(save) = &o.save_item_in_variable_id {
                scope.set(save, removed.and_then(VarValue::from_string));
            }
            Some(VarValue::List(list))
        }
        // WhatsApp-only presets have no value on the web.
        "Phone number" | "Contact name" | "Referral Click ID" | "Referral Source ID" => {
            return Next::Continue;
        }
        _ => return Next::Continue,
    };
    turn.scope().set(&var, value);
    Next::Continue
}

/// Evaluates a Custom expression. Ok(value) on success, Err(message) when the code failed.
pub fn evaluate(expr: &str, scope: &mut Scope<'_>) -> Result<Option<VarValue>, String> {
    let t = expr.trim();
    if t.starts_with("{{") && t.ends_with("}}") && t.matches("{{").count() == 1 {
        return Ok(VarValue::from_string(templating::parse(
            t,
            scope,
            Opts::default(),
        )));
    }
    if is_literal_with_leading_zero(t) {
        return Ok(VarValue::from_string(t));
    }
    let body = templating::function_body(expr, scope);
    let out = scope.run_js(&body).map_err(|e| e.to_string())?;
    for (name, v) in &out.set_variables {
        scope.set_by_name(name, js_to_var(v));
    }
    Ok(js_to_var(&out.value))
}

/// Typebot keeps numeric-looking strings such as "007" as typed (no octal evaluation).
fn is_literal_with_leading_zero(t: &str) -> bool {
    t.len() >= 2
        && t.starts_with('0')
        && !t.starts_with("0.")
        && t.chars().all(|c| c.is_ascii_digit() || c == '.')
}

pub fn js_to_var(v: &JsValue) -> Option<VarValue> {
    match v {
        JsValue::Undefined => None,
        JsValue::Value(v) => VarValue::from_json(v),
    }
}

/// Asks the client to evaluate code and reply with the result.
fn client_side(
    turn: &mut Turn<'_>,
    expr: &str,
    is_code: Option<bool>,
    is_unsafe: Option<bool>,
) -> Next {
    let script = script_payload(&mut turn.scope(), expr, is_code, is_unsafe);
    turn.out.push_action(
        "setVariable",
        Some(json!({ "scriptToExecute": script })),
        true,
    );
    Next::Stop(TurnStatus::WaitingAction)
}

/// `{content, isCode?, isUnsafe?, args}`: variables referenced by the code are passed by id.
pub fn script_payload(
    scope: &mut Scope<'_>,
    code: &str,
    is_code: Option<bool>,
    is_unsafe: Option<bool>,
) -> Value {
    let content = templating::parse(
        code,
        scope,
        Opts {
            mode: Mode::Id,
            take_latest: false,
        },
    );
    let args: Vec<Value> = scope
        .flow
        .variables
        .iter()
        .filter(|d| code.contains(&format!("{{{{{}}}}}", d.name)))
        .map(|d| {
            let value = match scope.get(&d.id).map(typed) {
                Some(JsValue::Value(v)) => v,
                _ => Value::Null,
            };
            json!({"id": d.id, "value": value})
        })
        .collect();
    let mut p = serde_json::Map::new();
    p.insert("content".into(), Value::String(content));
    if let Some(c) = is_code {
        p.insert("isCode".into(), Value::Bool(c));
    }
    if let Some(u) = is_unsafe {
        p.insert("isUnsafe".into(), Value::Bool(u));
    }
    p.insert("args".into(), Value::Array(args));
    Value::Object(p)
}

/// The reply of a client-evaluated Set variable: JSON-parsed when possible.
pub fn resume(turn: &mut Turn<'_>, o: &SetVariableOptions, text: &str) {
    let Some(var) = &o.variable_id else { return };
    let value = match serde_json::from_str::<Value>(text) {
        Ok(v) => VarValue::from_json(&v),
        Err(_) => VarValue::from_string(text),
    };
    turn.scope().set(var, value);
}

fn date_value(t: chrono::DateTime<Utc>, tz: Option<&str>) -> String {
    match tz.and_then(|z| z.parse::<chrono_tz::Tz>().ok()) {
        Some(zone) => t
            .with_timezone(&zone)
            .format("%Y-%m-%dT%H:%M:%S%:z")
            .to_string(),
        None => t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    }
}

/// The conversation so far, as `Assistant: "…"` / `User: "…"` lines separated by blank lines.
fn transcript(turn: &Turn<'_>) -> Option<VarValue> {
    let trail = turn.state.trail.as_ref()?;
    let mut lines = Vec::with_capacity(trail.len());
    for entry in trail {
        match entry {
            TrailEntry::Bot(t) => lines.push(format!("Assistant: \"{t}\"")),
            TrailEntry::User(t) => lines.push(format!("User: \"{t}\"")),
        }
    }
    VarValue::from_string(lines.join("\n\n"))
}

const MOMENT_OF_THE_DAY: &str = "const h = new Date().getHours(); if (h < 12) return 'morning'; if (h < 18) return 'afternoon'; return 'evening';";
const DEVICE_TYPE: &str = "const w = window.innerWidth; const t = 'ontouchstart' in window || navigator.maxTouchPoints > 0; if (/iPad|Tablet/i.test(navigator.userAgent) || (t && w >= 768 && w < 1024)) return 'tablet'; if (/Mobi|Android/i.test(navigator.userAgent) || (t && w < 768)) return 'mobile'; return 'desktop';";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_zero_literals_are_kept() {
        assert!(is_literal_with_leading_zero("007"));
        assert!(!is_literal_with_leading_zero("0"));
        assert!(!is_literal_with_leading_zero("0.5"));
        assert!(!is_literal_with_leading_zero("42"));
    }

    #[test]
    fn dates_in_utc_or_a_zone() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-01-15T10:30:00Z")
            .map(|d| d.with_timezone(&Utc));
        let Ok(t) = t else { panic!("bad test date") };
        assert_eq!(date_value(t, None), "2026-01-15T10:30:00.000Z");
        assert_eq!(
            date_value(t, Some("Europe/Paris")),
            "2026-01-15T11:30:00+01:00"
        );
    }
}
