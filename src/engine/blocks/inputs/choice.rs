//! Choice-like inputs (buttons, picture choice, cards): which items are shown (static items
//! filtered by display conditions, or items generated from list variables), and how a reply is
//! matched against them (§2.2.1).

use serde_json::{Map, Value, json};

use super::ValidReply;
use crate::eval::conditions;
use crate::eval::scope::Scope;
use crate::eval::templating::substitute_value;
use crate::flow::VarValue;
use crate::flow::block::{Input, InputKind, item_paths, lenient};
use crate::flow::options::Condition;

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

/// The values of a list-ish variable: a list, a JSON array text, or a single string.
fn list_values(v: Option<&VarValue>) -> Vec<String> {
    match v {
        None => Vec::new(),
        Some(VarValue::List(l)) => l.iter().flatten().cloned().collect(),
        Some(VarValue::Str(s)) => match serde_json::from_str::<Vec<Value>>(s) {
            Ok(items) => items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| i.to_string())
                })
                .collect(),
            Err(_) => vec![s.clone()],
        },
    }
}

fn visible(item: &Value, scope: &mut Scope<'_>, path: &[&str]) -> bool {
    let Some(dc) = path.iter().try_fold(item, |cur, k| cur.get(k)) else {
        return true;
    };
    if dc.get("isEnabled").and_then(Value::as_bool) != Some(true) {
        return true;
    }
    let cond: Condition = lenient(dc.get("condition"));
    conditions::evaluate(&cond, scope)
}

/// The items the user sees now.
pub fn displayed_items(input: &Input, scope: &mut Scope<'_>) -> Vec<Value> {
    match input.kind {
        InputKind::Choice => {
            if let Some(var) = &input.options.dynamic_variable_id {
                let values = list_values(scope.get(var));
                if !values.is_empty() {
                    let mut seen = Vec::<String>::new();
                    for v in values {
                        if !v.is_empty() && !seen.contains(&v) {
                            seen.push(v);
                        }
                    }
                    return seen
                        .into_iter()
                        .enumerate()
                        .map(|(i, c)| json!({"id": format!("choice{i}"), "content": c}))
                        .collect();
                }
            }
            static_items(input, scope, &["displayCondition"])
        }
        InputKind::PictureChoice => {
            let d = &input.options.dynamic_items;
            if d.is_enabled == Some(true)
                && let Some(srcs) = d
                    .picture_srcs_variable_id
                    .as_ref()
                    .map(|v| list_values(scope.get(v)))
                && !srcs.is_empty()
            {
                let titles = d
                    .titles_variable_id
                    .as_ref()
                    .map(|v| list_values(scope.get(v)))
                    .unwrap_or_default();
                let descs = d
                    .descriptions_variable_id
                    .as_ref()
                    .map(|v| list_values(scope.get(v)))
                    .unwrap_or_default();
                return srcs
                    .iter()
                    .enumerate()
                    .map(|(i, src)| {
                        let mut m = Map::new();
                        m.insert("id".into(), Value::String(i.to_string()));
                        m.insert("pictureSrc".into(), Value::String(src.clone()));
                        if let Some(t) = titles.get(i) {
                            m.insert("title".into(), Value::String(t.clone()));
                        }
                        if let Some(d) = descs.get(i) {
                            m.insert("description".into(), Value::String(d.clone()));
                        }
                        Value::Object(m)
                    })
                    .collect();
            }
            static_items(input, scope, &["displayCondition"])
        }
        InputKind::Cards => cards(input, scope),
        _ => Vec::new(),
    }
}

fn static_items(input: &Input, scope: &mut Scope<'_>, cond_path: &[&str]) -> Vec<Value> {
    let mut out = Vec::with_capacity(input.items.len());
    for it in &input.items {
        if visible(it, scope, cond_path) {
            out.push(substitute_value(it, scope));
        }
    }
    out
}

/// Cards, expanded when a field is exactly one `{{List}}` variable (one card per list item).
fn cards(input: &Input, scope: &mut Scope<'_>) -> Vec<Value> {
    let mut out = Vec::new();
    for item in &input.items {
        if !visible(item, scope, &["options", "displayCondition"]) {
            continue;
        }
        let lists: Vec<(&str, Vec<String>)> = ["imageUrl", "title", "description"]
            .iter()
            .filter_map(|k| {
                let name = s(item, k)?.strip_prefix("{{")?.strip_suffix("}}")?;
                match scope.get_by_name(name) {
                    Some(VarValue::List(_)) => Some((*k, list_values(scope.get_by_name(name)))),
                    _ => None,
                }
            })
            .collect();
        let n = lists.iter().map(|(_, l)| l.len()).max().unwrap_or(0);
        if lists.is_empty() || n == 0 {
            out.push(substitute_value(item, scope));
            continue;
        }
        for i in 0..n {
            let mut card = substitute_value(item, scope);
            if let Some(obj) = card.as_object_mut() {
                for (k, l) in &lists {
                    obj.insert(
                        (*k).to_string(),
                        l.get(i).map_or(Value::Null, |v| Value::String(v.clone())),
                    );
                }
            }
            out.push(card);
        }
    }
    out
}

fn content_of(kind: InputKind, item: &Value) -> String {
    match kind {
        InputKind::PictureChoice => s(item, "title")
            .or_else(|| s(item, "pictureSrc"))
            .unwrap_or_default()
            .to_string(),
        _ => s(item, "content").unwrap_or_default().to_string(),
    }
}

fn value_or_content(kind: InputKind, item: &Value) -> String {
    s(item, "value")
        .filter(|v| !v.trim().is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| content_of(kind, item))
}

/// Matches a reply against choice / picture-choice items.
pub fn match_reply(
    input: &Input,
    items: &[Value],
    reply: &str,
    reply_id: Option<&str>,
) -> Option<ValidReply> {
    let kind = input.kind;
    if input.options.is_multiple_choice == Some(true) {
        return match_multiple(kind, items, reply);
    }
    let mut sorted: Vec<&Value> = items.iter().collect();
    sorted.sort_by_key(|it| std::cmp::Reverse(content_of(kind, it).chars().count()));
    let t = reply.trim();
    let item = sorted.into_iter().find(|it| {
        let id = s(it, "id");
        (reply_id.is_some() && id == reply_id)
            || id == Some(reply)
            || s(it, "value").is_some_and(|v| !v.trim().is_empty() && v.trim() == t)
            || content_of(kind, it).trim() == t
    })?;
    let answer = value_or_content(kind, item);
    Some(ValidReply {
        new_format: (answer != reply).then(|| answer.clone()),
        edge: s(item, "outgoingEdgeId").map(str::to_string),
        answer,
        ..Default::default()
    })
}

/// Greedy whole-phrase matching of a multiple-choice reply: ids, values, contents (longest
/// first), then 1-based indexes.
fn match_multiple(kind: InputKind, items: &[Value], reply: &str) -> Option<ValidReply> {
    let mut rest = reply.to_lowercase();
    let mut matched = vec![false; items.len()];
    type Pass<'a> = &'a dyn Fn(&Value) -> Option<String>;
    let passes: [Pass; 3] = [
        &|it| s(it, "id").map(str::to_string),
        &|it| {
            s(it, "value")
                .filter(|v| !v.trim().is_empty())
                .map(|v| v.trim().to_string())
        },
        &|it| Some(content_of(kind, it).trim().to_string()).filter(|c| !c.is_empty()),
    ];
    for pass in passes {
        let mut cands: Vec<(usize, String)> = items
            .iter()
            .enumerate()
            .filter(|(i, _)| !matched[*i])
            .filter_map(|(i, it)| pass(it).map(|c| (i, c.to_lowercase())))
            .collect();
        cands.sort_by_key(|(_, c)| std::cmp::Reverse(c.chars().count()));
        for (i, c) in cands {
            if !matched[i] && take_phrase(&mut rest, &c) {
                matched[i] = true;
            }
        }
    }
    for tok in rest
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect::<Vec<_>>()
    {
        if let Ok(n) = tok.parse::<usize>()
            && n >= 1
            && n <= items.len()
        {
            matched[n - 1] = true;
        }
    }
    if !matched.iter().any(|m| *m) {
        return None;
    }
    let answer = items
        .iter()
        .zip(&matched)
        .filter(|(_, m)| **m)
        .map(|(it, _)| {
            s(it, "value")
                .map(|v| v.trim().to_string())
                .unwrap_or_else(|| content_of(kind, it).trim().to_string())
        })
        .collect::<Vec<_>>()
        .join(", ");
    Some(ValidReply {
        new_format: (answer != reply).then(|| answer.clone()),
        answer,
        ..Default::default()
    })
}

/// Removes the first whole-phrase occurrence of `phrase` from `text`.
fn take_phrase(text: &mut String, phrase: &str) -> bool {
    if phrase.is_empty() {
        return false;
    }
    let mut from = 0;
    while let Some(off) = text[from..].find(phrase) {
        let start = from + off;
        let end = start + phrase.len();
        let before_ok = text[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let after_ok = text[end..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric());
        if before_ok && after_ok {
            text.replace_range(start..end, " ");
            return true;
        }
        from = start + phrase.chars().next().map_or(1, char::len_utf8);
    }
    false
}

/// Cards: a path id (text or replyId) or a card title.
pub fn match_card(
    input: &Input,
    items: &[Value],
    reply: &str,
    reply_id: Option<&str>,
) -> Option<ValidReply> {
    let wanted = reply_id.unwrap_or(reply);
    let mut found: Option<(&Value, Option<&Value>)> = None;
    'outer: for it in items {
        for p in item_paths(it) {
            if s(p, "id") == Some(wanted) || s(p, "id") == Some(reply) {
                found = Some((it, Some(p)));
                break 'outer;
            }
        }
    }
    if found.is_none() {
        let t = reply.trim().to_lowercase();
        found = items
            .iter()
            .find(|it| s(it, "title").is_some_and(|x| x.trim().to_lowercase() == t))
            .map(|it| (it, item_paths(it).next()));
    }
    let (item, path) = found?;
    let answer = s(item, "title")
        .or_else(|| s(item, "imageUrl"))
        .unwrap_or_default()
        .to_string();
    let mut set_vars = Vec::new();
    for m in &input.options.save_response_mapping {
        let Some(var) = &m.variable_id else { continue };
        let value = match m.field.as_deref() {
            Some("Image URL") => s(item, "imageUrl"),
            Some("Title") => s(item, "title"),
            Some("Description") => s(item, "description"),
            Some("Button") => path.and_then(|p| s(p, "text")),
            Some("Internal Value") => item.get("options").and_then(|o| s(o, "internalValue")),
            _ => None,
        };
        set_vars.push((var.clone(), value.and_then(VarValue::from_string)));
    }
    Some(ValidReply {
        new_format: (answer != reply).then(|| answer.clone()),
        edge: path
            .and_then(|p| s(p, "outgoingEdgeId"))
            .map(str::to_string),
        answer,
        set_vars,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_phrases_only() {
        let mut t = "website dev, content marketing".to_string();
        assert!(take_phrase(&mut t, "website dev"));
        assert!(!take_phrase(&mut t, "dev"));
        assert!(take_phrase(&mut t, "content marketing"));
        let mut t = "developer".to_string();
        assert!(!take_phrase(&mut t, "dev"));
    }
}
