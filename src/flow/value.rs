//! Variable values: Typebot only ever stores strings, lists of (nullable) strings, or nothing.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A set variable's value. "No value" is represented by absence, never by an empty string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum VarValue {
    Str(String),
    List(Vec<Option<String>>),
}

/// Read straight from the string or the array, instead of through `#[serde(untagged)]`, which
/// buffers every value and tries each variant (a third of decoding a session was spent there).
impl<'de> Deserialize<'de> for VarValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = VarValue;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or a list of strings and nulls")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<VarValue, E> {
                Ok(VarValue::Str(v.to_string()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<VarValue, E> {
                Ok(VarValue::Str(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<VarValue, A::Error> {
                let mut items = Vec::with_capacity(a.size_hint().unwrap_or(0).min(1024));
                while let Some(item) = a.next_element::<Option<String>>()? {
                    items.push(item);
                }
                Ok(VarValue::List(items))
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl VarValue {
    /// Typebot's storage coercion of any JSON value ("safe stringify"): strings unchanged,
    /// other scalars and objects JSON-encoded, arrays become lists, null and "" become unset.
    pub fn from_json(v: &Value) -> Option<VarValue> {
        match v {
            Value::Null => None,
            Value::Array(items) => Some(VarValue::List(items.iter().map(item_string).collect())),
            other => item_string(other).map(VarValue::Str),
        }
    }

    /// A string value, with the empty string meaning "unset".
    pub fn from_string(s: impl Into<String>) -> Option<VarValue> {
        let s = s.into();
        if s.is_empty() {
            None
        } else {
            Some(VarValue::Str(s))
        }
    }

    /// The text inserted by `{{Var}}`: strings raw, lists as JSON text.
    pub fn to_text(&self) -> String {
        match self {
            VarValue::Str(s) => s.clone(),
            VarValue::List(items) => list_json(items),
        }
    }

    /// The JSON form (string or array), used for APIs and the sandbox.
    pub fn to_json(&self) -> Value {
        match self {
            VarValue::Str(s) => Value::String(s.clone()),
            VarValue::List(items) => Value::Array(
                items
                    .iter()
                    .map(|i| i.clone().map(Value::String).unwrap_or(Value::Null))
                    .collect(),
            ),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            VarValue::Str(s) => Some(s),
            VarValue::List(_) => None,
        }
    }
}

fn item_string(v: &Value) -> Option<String> {
    let s = match v {
        Value::Null => return None,
        Value::String(s) => s.clone(),
        Value::Number(n) => {
            // JSON numbers coming from JS are shown like JS does: 42, not 42.0.
            match n.as_f64() {
                // Integral doubles below 1e21 print all their digits, like JS (no `as i64`,
                // which would saturate above 2^63).
                Some(f) if f.fract() == 0.0 && f.abs() < 1e21 && n.is_f64() => format!("{f:.0}"),
                _ => n.to_string(),
            }
        }
        other => other.to_string(),
    };
    if s.is_empty() { None } else { Some(s) }
}

fn list_json(items: &[Option<String>]) -> String {
    let v: Vec<Value> = items
        .iter()
        .map(|i| i.clone().map(Value::String).unwrap_or(Value::Null))
        .collect();
    Value::Array(v).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_round_trip_through_json_and_other_json_is_refused() {
        for v in [
            VarValue::Str("a \"b\"".into()),
            VarValue::List(vec![Some("x".into()), None]),
            VarValue::List(Vec::new()),
        ] {
            let text = serde_json::to_string(&v).unwrap();
            assert_eq!(
                serde_json::from_str::<VarValue>(&text).unwrap(),
                v,
                "{text}"
            );
        }
        for bad in ["1", "null", "{}", "[1]", "true"] {
            assert!(serde_json::from_str::<VarValue>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn safe_stringify_matches_typebot() {
        assert_eq!(
            VarValue::from_json(&json!(42)),
            Some(VarValue::Str("42".into()))
        );
        assert_eq!(
            VarValue::from_json(&json!(42.0)),
            Some(VarValue::Str("42".into()))
        );
        assert_eq!(
            VarValue::from_json(&json!(1.5)),
            Some(VarValue::Str("1.5".into()))
        );
        assert_eq!(
            VarValue::from_json(&json!(1e20)),
            Some(VarValue::Str("100000000000000000000".into()))
        );
        assert_eq!(
            VarValue::from_json(&json!(-3e19)),
            Some(VarValue::Str("-30000000000000000000".into()))
        );
        assert_eq!(
            VarValue::from_json(&json!(true)),
            Some(VarValue::Str("true".into()))
        );
        assert_eq!(VarValue::from_json(&json!("")), None);
        assert_eq!(VarValue::from_json(&json!(null)), None);
        assert_eq!(
            VarValue::from_json(&json!({"a": 1})),
            Some(VarValue::Str("{\"a\":1}".into()))
        );
        assert_eq!(
            VarValue::from_json(&json!(["a", 1, null])),
            Some(VarValue::List(vec![
                Some("a".into()),
                Some("1".into()),
                None
            ]))
        );
    }

    #[test]
    fn lists_render_as_json_text() {
        let v = VarValue::List(vec![Some("a".into()), None]);
        assert_eq!(v.to_text(), "[\"a\",null]");
    }
}
