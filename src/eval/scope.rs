//! A view of the running frame's variables, with Typebot's storage rules (§6.1) and the bridge
//! to the JS sandbox (typed values, §6.4). The sandbox is only touched when code actually runs.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::eval::js::{self, JsError, JsLimits, JsOutcome, JsValue};
use crate::flow::{CompiledFlow, VarValue};

/// Variables of the running frame plus what is needed to evaluate code against them.
pub struct Scope<'a> {
    pub flow: &'a CompiledFlow,
    pub vars: &'a mut BTreeMap<String, VarValue>,
    pub limits: &'a JsLimits,
    /// Number of sandbox evaluations in this turn (telemetry).
    pub js_runs: &'a mut u32,
}

impl Scope<'_> {
    pub fn get(&self, id: &str) -> Option<&VarValue> {
        self.vars.get(id)
    }

    pub fn get_by_name(&self, name: &str) -> Option<&VarValue> {
        self.flow
            .variable_by_name(name)
            .and_then(|d| self.vars.get(&d.id))
    }

    /// Sets (or clears, with `None`) a variable. Unknown ids are ignored.
    pub fn set(&mut self, id: &str, value: Option<VarValue>) {
        if self.flow.variable(id).is_none() {
            return;
        }
        match value.map(sanitize) {
            Some(v) => {
                self.vars.insert(id.to_string(), v);
            }
            None => {
                self.vars.remove(id);
            }
        }
    }

    /// Sets a variable by name (used by `setVariable(name, value)` in scripts).
    pub fn set_by_name(&mut self, name: &str, value: Option<VarValue>) {
        if let Some(id) = self.flow.variable_by_name(name).map(|d| d.id.clone()) {
            self.set(&id, value);
        }
    }

    /// Runs a function body with every declared variable in scope by id, typed.
    pub fn run_js(&mut self, body: &str) -> Result<JsOutcome, JsError> {
        *self.js_runs += 1;
        let params: Vec<(&str, JsValue)> = self
            .flow
            .variables
            .iter()
            .filter(|d| is_identifier(&d.id))
            .map(|d| {
                (
                    d.id.as_str(),
                    self.vars
                        .get(&d.id)
                        .map(typed)
                        .unwrap_or(JsValue::Undefined),
                )
            })
            .collect();
        js::run_function_body(body, &params, self.limits)
    }
}

/// Lone surrogates cannot exist in Rust strings; what remains of §6.1 is doubling lone
/// backslashes, which Typebot does to keep values JSON-safe. We store values verbatim and
/// escape at the JSON boundary instead, so nothing to do here beyond normalising "" to unset.
fn sanitize(v: VarValue) -> VarValue {
    v
}

/// Typebot's conversion of a stored value to a JS value (§6.4).
pub fn typed(v: &VarValue) -> JsValue {
    match v {
        VarValue::List(items) => JsValue::Value(Value::Array(
            items
                .iter()
                .map(|i| i.clone().map(Value::String).unwrap_or(Value::Null))
                .collect(),
        )),
        VarValue::Str(s) => typed_str(s),
    }
}

fn typed_str(s: &str) -> JsValue {
    match s {
        "true" => return JsValue::Value(Value::Bool(true)),
        "false" => return JsValue::Value(Value::Bool(false)),
        "null" => return JsValue::Value(Value::Null),
        "undefined" => return JsValue::Undefined,
        _ => {}
    }
    let t = s.trim();
    let leading_zero = t.starts_with('0') && !t.starts_with("0.") && t.len() > 1;
    if !t.is_empty()
        && !leading_zero
        && !t.starts_with('+')
        && is_js_numeric(t)
        && let Ok(f) = t.parse::<f64>()
    {
        return JsValue::Value(number(f));
    }
    JsValue::Value(Value::String(s.to_string()))
}

fn is_js_numeric(t: &str) -> bool {
    let body = t.strip_prefix('-').unwrap_or(t);
    !body.is_empty()
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
        && body
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '.')
}

/// A JSON number, integral when possible (so `42` and not `42.0` reaches the sandbox).
pub fn number(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        Value::from(f as i64)
    } else {
        serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

/// Whether a variable id can be bound as a JS parameter.
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_follows_typebot_rules() {
        assert_eq!(typed_str("42"), JsValue::Value(Value::from(42)));
        assert_eq!(typed_str("4.5"), JsValue::Value(serde_json::json!(4.5)));
        assert_eq!(
            typed_str("007"),
            JsValue::Value(Value::String("007".into()))
        );
        assert_eq!(typed_str("0.5"), JsValue::Value(serde_json::json!(0.5)));
        assert_eq!(
            typed_str("+33"),
            JsValue::Value(Value::String("+33".into()))
        );
        assert_eq!(typed_str("true"), JsValue::Value(Value::Bool(true)));
        assert_eq!(typed_str("undefined"), JsValue::Undefined);
        assert_eq!(
            typed_str("John"),
            JsValue::Value(Value::String("John".into()))
        );
        assert_eq!(typed_str("0"), JsValue::Value(Value::from(0)));
    }

    #[test]
    fn identifiers_are_checked() {
        assert!(is_identifier("vudksu3zyrat6s1bq6qne0rx3"));
        assert!(!is_identifier("3VFChNVSCXQ2rXv4DrJ8Ah"));
        assert!(!is_identifier("a-b"));
    }
}
