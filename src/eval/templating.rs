//! Typebot's `{{Variable}}` templating, in one place.
//!
//! Two passes, as Typebot does: inline code `{{= code =}}` first (run in the sandbox, its
//! result inserted; on error the code text itself is substituted and used), then `{{Name}}`
//! (and `${{Name}}`, which keeps the `$`): exact name match among variables *with a value*;
//! no match renders as the empty string. Modes decide how values are encoded: raw, inside
//! JSON (escaped), inside HTML (`<`/`>` escaped), or by variable id (for code).

use serde_json::Value;

use crate::eval::js::JsValue;
use crate::eval::richtext::Segment;
use crate::eval::scope::Scope;
use crate::flow::VarValue;

/// How substituted values are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Plain,
    /// Inside a JSON text: strings escaped without quotes, other values JSON-encoded.
    Json,
    /// Inside HTML: `<` and `>` escaped.
    Html,
    /// Variable ids instead of values (code about to run in the sandbox).
    Id,
}

/// Options of one substitution.
#[derive(Debug, Clone, Copy, Default)]
pub struct Opts {
    pub mode: Mode,
    /// V5 text bubbles show only the last item of a list.
    pub take_latest: bool,
}

/// A `{{...}}` occurrence: byte range and the inner text.
struct Hit<'a> {
    start: usize,
    end: usize,
    inner: &'a str,
    /// `{{= code =}}`
    code: bool,
}

fn next_hit(text: &str, from: usize) -> Option<Hit<'_>> {
    let bytes = text.as_bytes();
    let mut i = from;
    while let Some(off) = text[i..].find("{{") {
        let start = i + off;
        // Inline code: `{{=` … `=}}` on one line, shortest match.
        if bytes.get(start + 2) == Some(&b'=') {
            let rest = &text[start + 3..];
            if let Some(close) = rest.find("=}}") {
                let code = &rest[..close];
                if !code.contains('\n') && !code.is_empty() {
                    return Some(Hit {
                        start,
                        end: start + 3 + close + 3,
                        inner: code,
                        code: true,
                    });
                }
            }
        }
        // `{{name}}` where name has no braces.
        let rest = &text[start + 2..];
        let mut j = 0;
        let rb = rest.as_bytes();
        while j < rb.len() && rb[j] != b'{' && rb[j] != b'}' {
            j += 1;
        }
        if j > 0 && rest[j..].starts_with("}}") {
            return Some(Hit {
                start,
                end: start + 2 + j + 2,
                inner: &rest[..j],
                code: false,
            });
        }
        i = start + 1;
    }
    None
}

/// True if `text` contains a template that substitution would change.
pub fn has_template(text: &str) -> bool {
    next_hit(text, 0).is_some()
}

/// Substitutes every template of `text`.
pub fn parse(text: &str, scope: &mut Scope<'_>, opts: Opts) -> String {
    if !text.contains("{{") {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    while let Some(hit) = next_hit(text, last) {
        out.push_str(&text[last..hit.start]);
        if hit.code {
            out.push_str(&eval_inline(hit.inner, scope, opts));
        } else {
            out.push_str(&render_var(hit.inner, scope, opts));
        }
        last = hit.end;
    }
    out.push_str(&text[last..]);
    out
}

/// Splits a template into literal text and evaluated values (for rich text).
pub fn split(text: &str, scope: &mut Scope<'_>, take_latest: bool) -> Vec<Segment> {
    let mut segs = Vec::new();
    let mut last = 0;
    let opts = Opts {
        mode: Mode::Plain,
        take_latest,
    };
    while let Some(hit) = next_hit(text, last) {
        if hit.start > last {
            segs.push(Segment::Text(text[last..hit.start].to_string()));
        }
        let value = if hit.code {
            Some(eval_inline(hit.inner, scope, opts))
        } else {
            let v = render_var(hit.inner, scope, opts);
            if v.is_empty() { None } else { Some(v) }
        };
        segs.push(Segment::Value(value));
        last = hit.end;
    }
    if last < text.len() {
        segs.push(Segment::Text(text[last..].to_string()));
    }
    segs
}

fn render_var(name: &str, scope: &Scope<'_>, opts: Opts) -> String {
    let Some(decl) = scope.flow.variable_by_name(name) else {
        return String::new();
    };
    if opts.mode == Mode::Id {
        return decl.id.clone();
    }
    let Some(value) = scope.get(&decl.id) else {
        return String::new();
    };
    match opts.mode {
        Mode::Json => json_inner(value),
        Mode::Html => value_text(value, opts.take_latest)
            .replace('<', "&lt;")
            .replace('>', "&gt;"),
        _ => value_text(value, opts.take_latest),
    }
}

fn value_text(value: &VarValue, take_latest: bool) -> String {
    match value {
        VarValue::List(items) if take_latest => items.last().cloned().flatten().unwrap_or_default(),
        v => v.to_text(),
    }
}

/// A value as it appears inside a JSON text: strings escaped (no quotes), lists as JSON.
fn json_inner(value: &VarValue) -> String {
    match value {
        VarValue::Str(s) => {
            let quoted = Value::String(s.clone()).to_string();
            quoted[1..quoted.len() - 1].to_string()
        }
        list => list.to_json().to_string(),
    }
}

/// Bot code as a sandbox function body: variables referenced by id, and `return` prepended
/// unless the code already returns.
pub fn function_body(code: &str, scope: &mut Scope<'_>) -> String {
    let with_ids = parse(
        code,
        scope,
        Opts {
            mode: Mode::Id,
            take_latest: false,
        },
    );
    if with_ids.contains("return ") {
        with_ids
    } else {
        format!("return {with_ids}")
    }
}

/// Runs inline code; on failure returns the code with its variables substituted.
fn eval_inline(code: &str, scope: &mut Scope<'_>, opts: Opts) -> String {
    let body = function_body(code, scope);
    match scope.run_js(&body) {
        Ok(out) => js_display(&out.value),
        Err(_) => parse(
            code,
            scope,
            Opts {
                mode: opts.mode,
                take_latest: opts.take_latest,
            },
        ),
    }
}

/// JS-style display of a sandbox result (undefined -> "undefined", objects as JSON).
pub fn js_display(v: &JsValue) -> String {
    match v {
        JsValue::Undefined => "undefined".into(),
        JsValue::Value(Value::String(s)) => s.clone(),
        JsValue::Value(other) => other.to_string(),
    }
}

/// Substitutes variables in a text with default options.
pub fn parse_text(text: &str, scope: &mut Scope<'_>) -> String {
    parse(text, scope, Opts::default())
}

/// Substitutes variables in every string of a JSON value (a value without any `{{` is
/// copied as it is: no string parsed, no map rebuilt).
pub fn substitute_value(v: &Value, scope: &mut Scope<'_>) -> Value {
    if !value_has_template(v) {
        return v.clone();
    }
    substitute_all(v, scope)
}

/// Whether some string of `v` holds `{{`.
fn value_has_template(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains("{{"),
        Value::Array(a) => a.iter().any(value_has_template),
        Value::Object(m) => m.values().any(value_has_template),
        _ => false,
    }
}

fn substitute_all(v: &Value, scope: &mut Scope<'_>) -> Value {
    match v {
        Value::String(s) if s.contains("{{") => Value::String(parse(s, scope, Opts::default())),
        Value::Array(a) => Value::Array(a.iter().map(|x| substitute_all(x, scope)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), substitute_all(x, scope)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_plain_and_code_templates() {
        let t = "Hi {{Name}}, {{= 1 + 1 =}} and {{ bad {{Other}}";
        let h = next_hit(t, 0).map(|h| h.inner);
        assert_eq!(h, Some("Name"));
        assert!(has_template("${{A}}"));
        assert!(!has_template("{{}}"));
        assert!(!has_template("no braces"));
    }
}
