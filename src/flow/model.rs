//! The serde model of a Typebot-compatible export: what authors and other tools write.
//!
//! Lenient on purpose: unknown fields are ignored, missing collections default to empty,
//! `options`/`content`/`items` stay as JSON until [`crate::flow::compile`] types them per
//! block type. Versions 3, 4, 5 (start block in the first group) and 6, 6.1 (start event)
//! share this model. Nothing here executes anything.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// A bot as exported by Typebot (or written by hand).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowDef {
    /// Schema version ("3" … "6.1"); missing or null means "3".
    #[serde(default, deserialize_with = "version_string")]
    pub version: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub id: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    #[serde(default)]
    pub public_id: Option<String>,
    /// V6: `events[0]` is the start event. V5 exports carry `null` or nothing.
    #[serde(default, deserialize_with = "null_as_default")]
    pub events: Vec<EventDef>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub groups: Vec<GroupDef>,
    /// Kept as JSON: edges that do not match the edge shape are dropped at compile time,
    /// like Typebot's pre-v5 normalisation, instead of failing the whole parse.
    #[serde(default, deserialize_with = "null_as_default")]
    pub edges: Vec<Value>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub variables: Vec<VariableDef>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub theme: Value,
    #[serde(default, deserialize_with = "null_as_default")]
    pub settings: Value,
    #[serde(default)]
    pub updated_at: Option<String>,
    /// A closed bot answers startChat with its "bot closed" message.
    #[serde(default)]
    pub is_closed: Option<bool>,
    /// An archived bot is not served.
    #[serde(default)]
    pub is_archived: Option<bool>,
}

impl FlowDef {
    /// The numeric version used for V5/V6 behaviour switches.
    pub fn is_v6(&self) -> bool {
        self.version
            .as_deref()
            .and_then(|v| v.parse::<f64>().ok())
            .is_some_and(|v| v >= 6.0)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupDef {
    pub id: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub title: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub blocks: Vec<BlockDef>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockDef {
    pub id: String,
    #[serde(rename = "type")]
    pub block_type: String,
    #[serde(default)]
    pub outgoing_edge_id: Option<String>,
    #[serde(default)]
    pub options: Option<Value>,
    #[serde(default)]
    pub content: Option<Value>,
    #[serde(default)]
    pub items: Option<Vec<Value>>,
    /// V3 HTTP blocks pointed to a separate webhook row instead of inlining it.
    #[serde(default)]
    pub webhook_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventDef {
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    #[serde(default)]
    pub outgoing_edge_id: Option<String>,
    #[serde(default)]
    pub options: Option<Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EdgeDef {
    pub id: String,
    #[serde(default)]
    pub from: Value,
    pub to: EdgeTo,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EdgeTo {
    pub group_id: String,
    #[serde(default)]
    pub block_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VariableDef {
    pub id: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    #[serde(default)]
    pub is_session_variable: Option<bool>,
    /// A default value set in the builder: a string, a list, or null.
    #[serde(default)]
    pub value: Option<Value>,
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Accepts `"6.1"`, `6.1`, `6` or null for the version field.
fn version_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// Parses a flow export from JSON text, with a message naming the failing field on error.
pub fn parse_flow(text: &str) -> Result<FlowDef, serde_json::Error> {
    serde_json::from_str(text)
}

/// JSON that is not a bot at all (an array, an object without `groups`...), with the reason.
/// Displayed as "this is not a Typebot export: <reason>" by every command and route.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("this is not a Typebot export: {0}")]
pub struct NotAnExport(pub String);

/// The kind of a JSON value (what the export check looks at; the content is skipped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

impl Kind {
    fn of(v: &Value) -> Kind {
        match v {
            Value::Null => Kind::Null,
            Value::Bool(_) => Kind::Bool,
            Value::Number(_) => Kind::Number,
            Value::String(_) => Kind::String,
            Value::Array(_) => Kind::Array,
            Value::Object(_) => Kind::Object,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool => "a boolean",
            Kind::Number => "a number",
            Kind::String => "a string",
            Kind::Array => "an array",
            Kind::Object => "an object",
        }
    }
}

/// What makes JSON a Typebot export: an object with a `groups` array. It is the least every
/// export has, of every version; `events`, `edges` and `variables` may be missing.
fn check_kinds(top: Kind, groups: Option<Kind>) -> Result<(), NotAnExport> {
    if top != Kind::Object {
        return Err(NotAnExport(format!(
            "the JSON is {}, not an object with `groups`",
            top.name()
        )));
    }
    match groups {
        Some(Kind::Array) => Ok(()),
        None | Some(Kind::Null) => Err(NotAnExport(
            "it has no `groups` (a bot is an object with `groups` of `blocks`)".into(),
        )),
        Some(other) => Err(NotAnExport(format!(
            "`groups` is {}, not an array",
            other.name()
        ))),
    }
}

/// Whether parsed JSON is a Typebot export (see [`check_export_text`]).
pub fn check_export(json: &Value) -> Result<(), NotAnExport> {
    check_kinds(Kind::of(json), json.get("groups").map(Kind::of))
}

/// Whether JSON text is a Typebot export: an object with a `groups` array. Only the kinds of
/// the top-level value and of `groups` are read (nothing is built). Text that is not JSON at
/// all passes: parsing it reports the syntax error.
pub fn check_export_text(text: &str) -> Result<(), NotAnExport> {
    match serde_json::from_str::<Probe>(text) {
        Ok(Probe(groups)) => check_kinds(Kind::Object, groups),
        Err(_) => match serde_json::from_str::<Kind>(text) {
            Ok(top) => check_kinds(top, None),
            Err(_) => Ok(()),
        },
    }
}

/// An object's `groups` kind; anything but an object fails (serde's derived structs would
/// also accept an array).
struct Probe(Option<Kind>);

impl<'de> Deserialize<'de> for Probe {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{IgnoredAny, MapAccess, Visitor};
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Probe;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Probe, A::Error> {
                let mut groups = None;
                while let Some(key) = a.next_key::<std::borrow::Cow<'de, str>>()? {
                    if key == "groups" {
                        groups = Some(a.next_value::<Kind>()?);
                    } else {
                        a.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(Probe(groups.filter(|k| *k != Kind::Null)))
            }
        }
        d.deserialize_map(V)
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Kind;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Kind, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Kind::Array)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Kind, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Kind::Object)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Kind, E> {
                Ok(Kind::Bool)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Kind, E> {
                Ok(Kind::Number)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Kind, E> {
                Ok(Kind::Number)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Kind, E> {
                Ok(Kind::Number)
            }
            fn visit_str<E>(self, _: &str) -> Result<Kind, E> {
                Ok(Kind::String)
            }
            fn visit_unit<E>(self) -> Result<Kind, E> {
                Ok(Kind::Null)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_object_with_a_groups_array_is_a_typebot_export() {
        let reason = |t: &str| check_export_text(t).map_err(|e| e.to_string());
        assert_eq!(reason(r#"{"groups": [], "x": [1, {"a": 2}]}"#), Ok(()));
        for (text, why) in [
            ("[]", "the JSON is an array"),
            ("[1, 2]", "the JSON is an array"),
            ("\"bot\"", "the JSON is a string"),
            ("null", "the JSON is null"),
            ("{}", "it has no `groups`"),
            (r#"{"groups": null}"#, "it has no `groups`"),
            (r#"{"groups": {"a": 1}}"#, "`groups` is an object"),
        ] {
            let got = reason(text).expect_err(text);
            assert!(
                got.starts_with("this is not a Typebot export: ") && got.contains(why),
                "{text}: {got}"
            );
            let json: Value = serde_json::from_str(text).expect("json");
            assert_eq!(check_export(&json).map_err(|e| e.to_string()), Err(got));
        }
        // Not JSON at all: left to the parser, which names the syntax error.
        assert_eq!(reason("{nope"), Ok(()));
    }
}
