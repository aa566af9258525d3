//! A native evaluator for the pure expressions bots write most (`{{Score}} + 5`,
//! `{{Total}} > 10 ? 'big' : 'small'`, `Math.round({{Price}} * 1.2)`), with JavaScript's exact
//! semantics: IEEE doubles, `ToNumber`/`ToString`, `+` concatenation, the `==` coercions,
//! UTF-16 string comparison and length, truthiness.
//!
//! It evaluates a body or declines ([`try_eval`] returns `None`), never fails: whatever it does
//! not parse (see `parse.rs`), and whatever would throw or needs an object (a list variable,
//! `.length` of a number), goes to QuickJS, which then gives the result or the exact error. The
//! differential test (`tests.rs`) runs thousands of generated expressions through both engines.
//! Pure expressions cannot keep state, so nothing leaks between sessions.

mod number;
mod parse;
#[cfg(test)]
mod tests;

use std::cmp::Ordering;

use serde_json::Value as Json;

use super::{JsLimits, JsValue};
use parse::{BinOp, Expr, MathFn, UnOp};

/// A primitive JavaScript value.
#[derive(Debug, Clone, PartialEq)]
enum V {
    Undefined,
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
}

/// Evaluates `body` natively when it is a single `return` of the subset; `None` sends it to
/// QuickJS. `params` are the function's parameters (besides `setVariable`).
pub(super) fn try_eval(
    body: &str,
    params: &[(&str, JsValue)],
    limits: &JsLimits,
) -> Option<JsValue> {
    eval_body(body, params, limits).map(|v| to_outcome(&v))
}

fn eval_body(body: &str, params: &[(&str, JsValue)], limits: &JsLimits) -> Option<V> {
    let names: Vec<&str> = params.iter().map(|(n, _)| *n).collect();
    let expr = parse::parse_body(body, &names)?;
    let mut ev = Eval {
        params,
        // QuickJS stores strings in 1 or 2 bytes a unit; past a quarter of its heap limit, let
        // it decide whether the string fits.
        max_len: limits.memory_bytes / 4,
    };
    ev.eval(&expr)
}

/// The settled value as it leaves the sandbox (`JSON.stringify` semantics).
fn to_outcome(v: &V) -> JsValue {
    JsValue::Value(match v {
        V::Undefined => return JsValue::Undefined,
        V::Null => Json::Null,
        V::Bool(b) => Json::Bool(*b),
        V::Num(x) if !x.is_finite() => Json::Null,
        // The same JSON number the text `JSON.stringify` writes would parse to.
        V::Num(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => Json::from(*x as i64),
        V::Num(x) => serde_json::from_str(&number::to_string(*x)).unwrap_or(Json::Null),
        V::Str(s) => Json::String(s.clone()),
    })
}

struct Eval<'p, 'n> {
    params: &'p [(&'n str, JsValue)],
    max_len: usize,
}

impl Eval<'_, '_> {
    fn eval(&mut self, e: &Expr) -> Option<V> {
        Some(match e {
            Expr::Num(n) => V::Num(*n),
            Expr::Str(s) => V::Str(s.clone()),
            Expr::Bool(b) => V::Bool(*b),
            Expr::Null => V::Null,
            Expr::Undefined => V::Undefined,
            Expr::Param(i) => match &self.params.get(*i)?.1 {
                JsValue::Undefined => V::Undefined,
                JsValue::Value(Json::Null) => V::Null,
                JsValue::Value(Json::Bool(b)) => V::Bool(*b),
                JsValue::Value(Json::Number(n)) => V::Num(n.as_f64()?),
                JsValue::Value(Json::String(s)) => V::Str(s.clone()),
                // Arrays and objects are QuickJS's.
                JsValue::Value(_) => return None,
            },
            Expr::Unary(op, a) => {
                let a = self.eval(a)?;
                match op {
                    UnOp::Not => V::Bool(!truthy(&a)),
                    UnOp::Neg => V::Num(-to_number(&a)?),
                    UnOp::Plus => V::Num(to_number(&a)?),
                    UnOp::Typeof => V::Str(type_of(&a).into()),
                }
            }
            Expr::Binary(op, a, b) => {
                let a = self.eval(a)?;
                let b = self.eval(b)?;
                self.binary(*op, a, b)?
            }
            Expr::And(a, b) => {
                let a = self.eval(a)?;
                if truthy(&a) { self.eval(b)? } else { a }
            }
            Expr::Or(a, b) => {
                let a = self.eval(a)?;
                if truthy(&a) { a } else { self.eval(b)? }
            }
            Expr::Cond(t, y, n) => {
                let t = self.eval(t)?;
                self.eval(if truthy(&t) { y } else { n })?
            }
            Expr::Length(a) => match self.eval(a)? {
                V::Str(s) => V::Num(s.encode_utf16().count() as f64),
                _ => return None,
            },
            Expr::Math(f, args) => {
                let mut xs = Vec::with_capacity(args.len());
                for a in args {
                    xs.push(to_number(&self.eval(a)?)?);
                }
                V::Num(math(*f, &xs))
            }
        })
    }

    fn binary(&self, op: BinOp, a: V, b: V) -> Option<V> {
        let num = |f: fn(f64, f64) -> f64| Some(V::Num(f(to_number(&a)?, to_number(&b)?)));
        match op {
            BinOp::Add => match (&a, &b) {
                (V::Str(_), _) | (_, V::Str(_)) => {
                    let s = to_string(&a) + &to_string(&b);
                    if s.len() > self.max_len {
                        return None;
                    }
                    Some(V::Str(s))
                }
                _ => num(|x, y| x + y),
            },
            BinOp::Sub => num(|x, y| x - y),
            BinOp::Mul => num(|x, y| x * y),
            BinOp::Div => num(|x, y| x / y),
            BinOp::Rem => num(|x, y| x % y),
            BinOp::Pow => num(pow),
            BinOp::Lt => Some(V::Bool(compare(&a, &b)? == Some(Ordering::Less))),
            BinOp::Gt => Some(V::Bool(compare(&a, &b)? == Some(Ordering::Greater))),
            BinOp::Le => Some(V::Bool(matches!(
                compare(&a, &b)?,
                Some(Ordering::Less | Ordering::Equal)
            ))),
            BinOp::Ge => Some(V::Bool(matches!(
                compare(&a, &b)?,
                Some(Ordering::Greater | Ordering::Equal)
            ))),
            BinOp::StrictEq => Some(V::Bool(strict_eq(&a, &b))),
            BinOp::StrictNe => Some(V::Bool(!strict_eq(&a, &b))),
            BinOp::Eq => Some(V::Bool(loose_eq(&a, &b)?)),
            BinOp::Ne => Some(V::Bool(!loose_eq(&a, &b)?)),
        }
    }
}

fn truthy(v: &V) -> bool {
    match v {
        V::Undefined | V::Null => false,
        V::Bool(b) => *b,
        V::Num(x) => *x != 0.0 && !x.is_nan(),
        V::Str(s) => !s.is_empty(),
    }
}

fn type_of(v: &V) -> &'static str {
    match v {
        V::Undefined => "undefined",
        V::Null => "object",
        V::Bool(_) => "boolean",
        V::Num(_) => "number",
        V::Str(_) => "string",
    }
}

fn to_number(v: &V) -> Option<f64> {
    Some(match v {
        V::Undefined => f64::NAN,
        V::Null => 0.0,
        V::Bool(b) => f64::from(u8::from(*b)),
        V::Num(x) => *x,
        V::Str(s) => number::from_str(s)?,
    })
}

fn to_string(v: &V) -> String {
    match v {
        V::Undefined => "undefined".into(),
        V::Null => "null".into(),
        V::Bool(b) => b.to_string(),
        V::Num(x) => number::to_string(*x),
        V::Str(s) => s.clone(),
    }
}

/// The abstract relational comparison: `None` inside when a NaN makes it undefined.
fn compare(a: &V, b: &V) -> Option<Option<Ordering>> {
    if let (V::Str(x), V::Str(y)) = (a, b) {
        return Some(Some(x.encode_utf16().cmp(y.encode_utf16())));
    }
    Some(to_number(a)?.partial_cmp(&to_number(b)?))
}

fn strict_eq(a: &V, b: &V) -> bool {
    match (a, b) {
        (V::Num(x), V::Num(y)) => x == y,
        _ => a == b,
    }
}

/// `IsLooselyEqual` for primitives.
fn loose_eq(a: &V, b: &V) -> Option<bool> {
    Some(match (a, b) {
        (V::Undefined | V::Null, V::Undefined | V::Null) => true,
        (V::Undefined | V::Null, _) | (_, V::Undefined | V::Null) => false,
        (V::Num(_), V::Num(_)) | (V::Str(_), V::Str(_)) | (V::Bool(_), V::Bool(_)) => {
            strict_eq(a, b)
        }
        _ => to_number(a)? == to_number(b)?,
    })
}

/// `Number::exponentiate`, which differs from C's `pow` for NaN exponents and for ±1 to an
/// infinite power.
fn pow(x: f64, y: f64) -> f64 {
    if y.is_nan() {
        return f64::NAN;
    }
    if y == 0.0 {
        return 1.0;
    }
    if x.abs() == 1.0 && y.is_infinite() {
        return f64::NAN;
    }
    x.powf(y)
}

fn math(f: MathFn, xs: &[f64]) -> f64 {
    let x = xs.first().copied().unwrap_or(f64::NAN);
    match f {
        MathFn::Abs => x.abs(),
        MathFn::Floor => x.floor(),
        MathFn::Ceil => x.ceil(),
        MathFn::Trunc => x.trunc(),
        MathFn::Sqrt => x.sqrt(),
        MathFn::Sign => {
            if x.is_nan() || x == 0.0 {
                x
            } else {
                x.signum()
            }
        }
        MathFn::Round => {
            if !x.is_finite() || x == 0.0 {
                return x;
            }
            let r = x.floor();
            let r = if x - r >= 0.5 { r + 1.0 } else { r };
            // Rounding a negative number up to zero gives -0.
            if r == 0.0 && x < 0.0 { -0.0 } else { r }
        }
        MathFn::Pow => pow(x, xs.get(1).copied().unwrap_or(f64::NAN)),
        MathFn::Min | MathFn::Max => {
            let min = f == MathFn::Min;
            let mut acc = if min {
                f64::INFINITY
            } else {
                f64::NEG_INFINITY
            };
            for &y in xs {
                if y.is_nan() {
                    return f64::NAN;
                }
                let better = if min {
                    y < acc || (y == 0.0 && acc == 0.0 && y.is_sign_negative())
                } else {
                    y > acc || (y == 0.0 && acc == 0.0 && y.is_sign_positive())
                };
                if better {
                    acc = y;
                }
            }
            acc
        }
    }
}
