//! Conditions (§6.6): used by Condition blocks and item display conditions.
//!
//! The left side is a variable's raw value (string, list or nothing); the right side is a
//! literal, a single `{{Var}}` (its raw value, possibly a list) or a template. When either
//! side is a list, comparisons apply element-wise ("every", or "some" for Contains/regex).

use regex::RegexBuilder;

use crate::eval::scope::Scope;
use crate::eval::templating::{self, Opts};
use crate::flow::VarValue;
use crate::flow::options::{Comparison, Condition};

/// One side of a comparison.
#[derive(Debug, Clone)]
enum Side {
    None,
    Str(String),
    List(Vec<Option<String>>),
}

impl Side {
    fn from(v: Option<&VarValue>) -> Side {
        match v {
            None => Side::None,
            Some(VarValue::Str(s)) => Side::Str(s.clone()),
            Some(VarValue::List(l)) => Side::List(l.clone()),
        }
    }
}

/// Evaluates a condition; no comparisons means false.
pub fn evaluate(cond: &Condition, scope: &mut Scope<'_>) -> bool {
    if cond.comparisons.is_empty() {
        return false;
    }
    let or = cond.logical_operator.as_deref() == Some("OR");
    let mut results = cond.comparisons.iter().map(|c| compare_one(c, scope));
    if or {
        results.any(|r| r)
    } else {
        results.all(|r| r)
    }
}

fn compare_one(c: &Comparison, scope: &mut Scope<'_>) -> bool {
    let (Some(var), Some(op)) = (&c.variable_id, &c.comparison_operator) else {
        return false;
    };
    let left = Side::from(scope.get(var));
    let right = match c.value.as_deref() {
        None | Some("undefined") | Some("null") => Side::None,
        Some(v) => match single_variable(v, scope) {
            Some(side) => side,
            None => Side::Str(templating::parse(v, scope, Opts::default())),
        },
    };
    match op.as_str() {
        "Equal to" => cmp(&left, &right, All, |a, b| a == b),
        "Not equal" => cmp(&left, &right, All, |a, b| a != b),
        "Contains" => {
            if matches!(left, Side::List(_)) {
                cmp(&left, &right, AnyOf, |a, b| a == b)
            } else {
                cmp(&left, &right, AnyOf, |a, b| match (a, b) {
                    (Some(a), Some(b)) => fold(a).contains(&fold(b)),
                    _ => false,
                })
            }
        }
        "Does not contain" => {
            if matches!(left, Side::List(_)) {
                !cmp(&left, &right, AnyOf, |a, b| a == b)
            } else {
                cmp(&left, &right, All, |a, b| match (a, b) {
                    (Some(a), Some(b)) => !fold(a).contains(&fold(b)),
                    _ => true,
                })
            }
        }
        "Greater than" => ordered(&left, &right, |a, b| a > b),
        "Greater or equal to" => ordered(&left, &right, |a, b| a >= b),
        "Less than" => ordered(&left, &right, |a, b| a < b),
        "Less or equal to" => ordered(&left, &right, |a, b| a <= b),
        "Is set" => side_len(&left).is_some_and(|l| l > 0),
        "Is empty" => side_len(&left).is_none_or(|l| l == 0),
        "Starts with" => cmp(&left, &right, All, |a, b| match (a, b) {
            (Some(a), Some(b)) => fold(a).starts_with(&fold(b)),
            _ => false,
        }),
        "Ends with" => cmp(&left, &right, All, |a, b| match (a, b) {
            (Some(a), Some(b)) => fold(a).ends_with(&fold(b)),
            _ => false,
        }),
        "Matches regex" => cmp(&left, &right, AnyOf, matches_regex),
        "Does not match regex" => cmp(&left, &right, All, |a, b| match (a, b) {
            (Some(_), Some(_)) => !matches_regex(a, b),
            _ => false,
        }),
        _ => false,
    }
}

fn single_variable(v: &str, scope: &Scope<'_>) -> Option<Side> {
    let name = v.strip_prefix("{{")?.strip_suffix("}}")?;
    if name.contains('{') || name.contains('}') {
        return None;
    }
    let decl = scope.flow.variable_by_name(name)?;
    Some(Side::from(scope.get(&decl.id)))
}

fn fold(s: &str) -> String {
    s.trim().to_lowercase()
}

#[derive(Clone, Copy)]
enum Quantifier {
    All,
    AnyOf,
}
use Quantifier::{All, AnyOf};

/// Typebot's `compare`: strings directly, lists element-wise.
fn cmp(
    left: &Side,
    right: &Side,
    q: Quantifier,
    f: impl Fn(Option<&str>, Option<&str>) -> bool,
) -> bool {
    fn apply(q: Quantifier, mut items: impl Iterator<Item = bool>) -> bool {
        match q {
            All => items.all(|x| x),
            AnyOf => items.any(|x| x),
        }
    }
    let as_opt = |s: &Side| match s {
        Side::Str(s) if !s.is_empty() => Option::Some(s.clone()),
        _ => None,
    };
    match (left, right) {
        (Side::List(a), Side::List(b)) => apply(
            q,
            a.iter()
                .enumerate()
                .map(|(i, x)| f(x.as_deref(), b.get(i).cloned().flatten().as_deref())),
        ),
        (Side::List(a), r) => {
            let r = as_opt(r);
            apply(q, a.iter().map(|x| f(x.as_deref(), r.as_deref())))
        }
        (l, Side::List(b)) => {
            let l = as_opt(l);
            apply(q, b.iter().map(|y| f(l.as_deref(), y.as_deref())))
        }
        (l, r) => f(as_opt(l).as_deref(), as_opt(r).as_deref()),
    }
}

fn side_len(s: &Side) -> Option<usize> {
    match s {
        Side::None => None,
        Side::Str(s) => Option::Some(s.chars().count()),
        Side::List(l) => Option::Some(l.len()),
    }
}

/// Numeric comparison: numbers, else dates (epoch ms), else string lengths; lists by length.
fn ordered(left: &Side, right: &Side, f: impl Fn(f64, f64) -> bool) -> bool {
    let val = |s: &Side| -> Option<f64> {
        match s {
            Side::None => None,
            Side::Str(s) => Option::Some(number_date_or_length(s)),
            Side::List(l) => Option::Some(l.len() as f64),
        }
    };
    match (val(left), val(right)) {
        (Option::Some(a), Option::Some(b)) => f(a, b),
        _ => false,
    }
}

fn number_date_or_length(s: &str) -> f64 {
    let t = s.trim();
    if !t.starts_with('+') {
        if t.is_empty() {
            return 0.0;
        }
        if let Ok(n) = t.parse::<f64>()
            && n.is_finite()
        {
            return n;
        }
    }
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(t) {
        return d.timestamp_millis() as f64;
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return d
            .and_hms_opt(0, 0, 0)
            .map(|dt| dt.and_utc().timestamp_millis() as f64)
            .unwrap_or(0.0);
    }
    s.chars().count() as f64
}

/// `/pattern/flags` or a bare pattern; an invalid regex never matches.
fn matches_regex(text: Option<&str>, pattern: Option<&str>) -> bool {
    let (Option::Some(text), Option::Some(p)) = (text, pattern) else {
        return false;
    };
    let (pat, flags) = match p
        .strip_prefix('/')
        .and_then(|r| r.rfind('/').map(|i| (&r[..i], &r[i + 1..])))
    {
        Option::Some((pat, flags)) => (pat, flags),
        None => (p, ""),
    };
    if pat.is_empty() {
        return false;
    }
    let key = (
        flags.contains('i'),
        flags.contains('m'),
        flags.contains('s'),
        pat,
    );
    compiled(key).is_some_and(|re| re.is_match(text))
}

/// Regexes compiled at most.
const REGEX_CACHE_MAX: usize = 256;

/// Compiled regexes by (case-insensitive, multi-line, dot-all, pattern); None: invalid.
type RegexCache = std::collections::HashMap<(bool, bool, bool, String), Option<regex::Regex>>;

thread_local! {
    /// The regexes of this thread's conditions, compiled once (a bot's condition runs on
    /// every turn that reaches it: compiling its regex each time cost more than the rest of
    /// the turn). Cleared when full (patterns built from variables may vary without bound).
    static REGEXES: std::cell::RefCell<RegexCache> =
        std::cell::RefCell::default();
}

/// The regex of `(case-insensitive, multi-line, dot-all, pattern)`; None when invalid.
fn compiled((i, m, s, pat): (bool, bool, bool, &str)) -> Option<regex::Regex> {
    let key = (i, m, s, pat.to_string());
    if let Some(found) = REGEXES.with(|c| c.borrow().get(&key).cloned()) {
        return found;
    }
    let re = RegexBuilder::new(pat)
        .case_insensitive(i)
        .multi_line(m)
        .dot_matches_new_line(s)
        .size_limit(1 << 20)
        .build()
        .ok();
    REGEXES.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= REGEX_CACHE_MAX {
            c.clear();
        }
        c.insert(key, re.clone());
    });
    re
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_regexes_keep_their_flags_apart() {
        for _ in 0..2 {
            assert!(matches_regex(Option::Some("ABC"), Option::Some("/abc/i")));
            assert!(!matches_regex(Option::Some("ABC"), Option::Some("abc")));
            assert!(!matches_regex(Option::Some("ABC"), Option::Some("/abc/")));
            assert!(!matches_regex(Option::Some("x"), Option::Some("(")));
        }
    }

    #[test]
    fn regex_forms() {
        assert!(matches_regex(
            Option::Some("Hello"),
            Option::Some("/hello/i")
        ));
        assert!(!matches_regex(
            Option::Some("Hello"),
            Option::Some("/hello/")
        ));
        assert!(matches_regex(Option::Some("abc123"), Option::Some("\\d+")));
        assert!(!matches_regex(Option::Some("abc"), Option::Some("(")));
    }

    #[test]
    fn ordering_uses_numbers_dates_then_lengths() {
        assert_eq!(number_date_or_length("42"), 42.0);
        assert_eq!(number_date_or_length("abc"), 3.0);
        assert_eq!(number_date_or_length("+33"), 3.0);
        assert!(number_date_or_length("2026-01-02") > number_date_or_length("2026-01-01"));
    }

    #[test]
    fn list_sides_compare_element_wise() {
        let l = Side::List(vec![Option::Some("a".into()), Option::Some("b".into())]);
        assert!(cmp(&l, &Side::Str("a".into()), AnyOf, |a, b| a == b));
        assert!(!cmp(&l, &Side::Str("a".into()), All, |a, b| a == b));
    }
}
