//! The parser of the native subset: one `return EXPR` statement on one line, where EXPR uses
//! literals, parameters, `undefined`/`NaN`/`Infinity`, unary `! - + typeof`, `**`, `* / %`,
//! `+ -`, `< > <= >=`, `== != === !==`, `&& ||`, `?:`, parentheses, `.length`, `Math.PI`,
//! `Math.E` and a few pure `Math` functions. Anything else (or anything this parser is not sure
//! reads as JavaScript reads it) is `None`: the body then runs in QuickJS, which also produces
//! every syntax error, so the parser never has to.

use super::number;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Pow,
    Lt,
    Gt,
    Le,
    Ge,
    Eq,
    Ne,
    StrictEq,
    StrictNe,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum UnOp {
    Not,
    Neg,
    Plus,
    Typeof,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MathFn {
    Abs,
    Floor,
    Ceil,
    Round,
    Trunc,
    Sign,
    Sqrt,
    Min,
    Max,
    Pow,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expr {
    Num(f64),
    Str(String),
    Bool(bool),
    Null,
    Undefined,
    /// A parameter, by its index.
    Param(usize),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    Length(Box<Expr>),
    Math(MathFn, Vec<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok<'s> {
    Num(f64),
    Str(String),
    Ident(&'s str),
    P(&'static str),
}

/// Punctuators the subset uses, longest first. A longer JavaScript punctuator that starts like
/// one of these (`++`, `--`, `??`, `?.`, `=>`, `+=`, `<<`, …) is rejected by [`lex`].
const PUNCTS: [&str; 22] = [
    "===", "!==", "**", "==", "!=", "<=", ">=", "&&", "||", "+", "-", "*", "/", "%", "<", ">", "!",
    "?", ":", "(", ")", ",",
];
const REJECTED: [&str; 13] = [
    "++", "--", "??", "?.", "=>", "<<", ">>", "**=", "+=", "-=", "*=", "/=", "%=",
];

/// Parses `return EXPR` (an optional `;` at the end); `names` are the parameters in scope.
pub(super) fn parse_body(body: &str, names: &[&str]) -> Option<Expr> {
    let t = body.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
    let t = t.strip_prefix("return")?;
    // `return` then a line break returns undefined (ASI): only spaces may follow it here.
    if !t.starts_with([' ', '\t', '(', '\'', '"', '!', '-', '+']) {
        return None;
    }
    let t = t.strip_suffix(';').unwrap_or(t);
    let toks = lex(t)?;
    let mut p = Parser {
        toks,
        pos: 0,
        names,
    };
    let e = p.cond()?;
    (p.pos == p.toks.len()).then_some(e)
}

fn lex(s: &str) -> Option<Vec<Tok<'_>>> {
    let b = s.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b' ' || c == b'\t' {
            i += 1;
        } else if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_') {
                // An exponent's sign belongs to the literal: `1e+5`.
                if matches!(b[i], b'e' | b'E') && matches!(b.get(i + 1), Some(b'+' | b'-')) {
                    i += 1;
                }
                i += 1;
            }
            let lit = &s[start..i];
            // No legacy octal (`010`), no `08`, no hex/binary/octal, separators or BigInt.
            if lit.len() > 1 && lit.starts_with('0') && !lit.starts_with("0.") {
                let rest = &lit[1..];
                if !rest.starts_with(['e', 'E']) {
                    return None;
                }
            }
            if !number::is_decimal(lit) {
                return None;
            }
            toks.push(Tok::Num(lit.parse().ok()?));
        } else if c.is_ascii_alphabetic() || c == b'_' || c == b'$' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$') {
                i += 1;
            }
            // A non-ASCII letter would continue the identifier.
            if i < b.len() && !b[i].is_ascii() {
                return None;
            }
            toks.push(Tok::Ident(&s[start..i]));
        } else if c == b'\'' || c == b'"' {
            let (text, len) = string_literal(&s[i..])?;
            toks.push(Tok::Str(text));
            i += len;
        } else if c == b'.' {
            toks.push(Tok::P("."));
            i += 1;
        } else {
            let rest = &s[i..];
            if REJECTED.iter().any(|r| rest.starts_with(r)) {
                return None;
            }
            let p = PUNCTS.iter().find(|p| rest.starts_with(**p))?;
            toks.push(Tok::P(p));
            i += p.len();
        }
    }
    Some(toks)
}

/// A quoted literal with the common escapes; returns its value and its length in the source.
fn string_literal(s: &str) -> Option<(String, usize)> {
    let quote = s.chars().next()?;
    let mut out = String::new();
    let mut chars = s.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            _ if c == quote => return Some((out, i + 1)),
            '\n' | '\r' | '\u{2028}' | '\u{2029}' => return None,
            '\\' => {
                let (_, e) = chars.next()?;
                let hex = |n: usize, chars: &mut std::iter::Skip<std::str::CharIndices<'_>>| {
                    let mut v = 0u32;
                    for _ in 0..n {
                        v = v * 16 + chars.next()?.1.to_digit(16)?;
                    }
                    Some(v)
                };
                let v = match e {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    'v' => '\u{b}',
                    '\\' | '\'' | '"' => e,
                    'x' => char::from_u32(hex(2, &mut chars)?)?,
                    // Lone surrogates are not representable here: `char::from_u32` refuses them.
                    'u' => char::from_u32(hex(4, &mut chars)?)?,
                    _ => return None,
                };
                out.push(v);
            }
            _ => out.push(c),
        }
    }
    None
}

struct Parser<'s, 'n> {
    toks: Vec<Tok<'s>>,
    pos: usize,
    names: &'n [&'n str],
}

impl<'s> Parser<'s, '_> {
    fn peek(&self) -> Option<&Tok<'s>> {
        self.toks.get(self.pos)
    }

    fn eat(&mut self, p: &str) -> bool {
        if matches!(self.peek(), Some(Tok::P(q)) if *q == p) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn peek_op(&self) -> Option<&'static str> {
        match self.peek() {
            Some(Tok::P(p)) => Some(p),
            _ => None,
        }
    }

    fn cond(&mut self) -> Option<Expr> {
        let test = self.or()?;
        if !self.eat("?") {
            return Some(test);
        }
        let yes = self.cond()?;
        if !self.eat(":") {
            return None;
        }
        let no = self.cond()?;
        Some(Expr::Cond(Box::new(test), Box::new(yes), Box::new(no)))
    }

    fn or(&mut self) -> Option<Expr> {
        let mut e = self.and()?;
        while self.eat("||") {
            e = Expr::Or(Box::new(e), Box::new(self.and()?));
        }
        Some(e)
    }

    fn and(&mut self) -> Option<Expr> {
        let mut e = self.binary(0)?;
        while self.eat("&&") {
            e = Expr::And(Box::new(e), Box::new(self.binary(0)?));
        }
        Some(e)
    }

    /// Left-associative levels: equality, relational, additive, multiplicative.
    fn binary(&mut self, level: usize) -> Option<Expr> {
        const LEVELS: [&[(&str, BinOp)]; 4] = [
            &[
                ("===", BinOp::StrictEq),
                ("!==", BinOp::StrictNe),
                ("==", BinOp::Eq),
                ("!=", BinOp::Ne),
            ],
            &[
                ("<=", BinOp::Le),
                (">=", BinOp::Ge),
                ("<", BinOp::Lt),
                (">", BinOp::Gt),
            ],
            &[("+", BinOp::Add), ("-", BinOp::Sub)],
            &[("*", BinOp::Mul), ("/", BinOp::Div), ("%", BinOp::Rem)],
        ];
        let Some(ops) = LEVELS.get(level) else {
            return self.exponent();
        };
        let mut e = self.binary(level + 1)?;
        while let Some(op) = self
            .peek_op()
            .and_then(|p| ops.iter().find(|(s, _)| *s == p))
        {
            self.pos += 1;
            e = Expr::Binary(op.1, Box::new(e), Box::new(self.binary(level + 1)?));
        }
        Some(e)
    }

    /// `a ** b` is right-associative, and a bare unary operand on its left is a SyntaxError.
    fn exponent(&mut self) -> Option<Expr> {
        let unary = matches!(self.peek_op(), Some("!" | "-" | "+"))
            || matches!(self.peek(), Some(Tok::Ident("typeof")));
        let base = self.unary()?;
        if !self.eat("**") {
            return Some(base);
        }
        if unary {
            return None;
        }
        let exp = self.exponent()?;
        Some(Expr::Binary(BinOp::Pow, Box::new(base), Box::new(exp)))
    }

    fn unary(&mut self) -> Option<Expr> {
        let op = match self.peek() {
            Some(Tok::P("!")) => UnOp::Not,
            Some(Tok::P("-")) => UnOp::Neg,
            Some(Tok::P("+")) => UnOp::Plus,
            Some(Tok::Ident("typeof")) => UnOp::Typeof,
            _ => return self.postfix(),
        };
        self.pos += 1;
        Some(Expr::Unary(op, Box::new(self.unary()?)))
    }

    fn postfix(&mut self) -> Option<Expr> {
        let mut e = self.primary()?;
        while self.eat(".") {
            match self.peek() {
                Some(Tok::Ident("length")) => self.pos += 1,
                _ => return None,
            }
            e = Expr::Length(Box::new(e));
        }
        // Calls, indexing and templates on a value are not in the subset.
        if matches!(self.peek_op(), Some("(")) {
            return None;
        }
        Some(e)
    }

    fn primary(&mut self) -> Option<Expr> {
        let tok = self.peek()?.clone();
        self.pos += 1;
        Some(match tok {
            Tok::Num(n) => Expr::Num(n),
            Tok::Str(s) => Expr::Str(s),
            Tok::P("(") => {
                let e = self.cond()?;
                if !self.eat(")") {
                    return None;
                }
                // Keeps `(-2) ** 2` apart from `-2 ** 2`.
                return Some(e);
            }
            Tok::P(_) => return None,
            Tok::Ident(name) => {
                if let Some(i) = self.names.iter().position(|n| *n == name) {
                    return Some(Expr::Param(i));
                }
                match name {
                    "true" => Expr::Bool(true),
                    "false" => Expr::Bool(false),
                    "null" => Expr::Null,
                    "undefined" => Expr::Undefined,
                    "NaN" => Expr::Num(f64::NAN),
                    "Infinity" => Expr::Num(f64::INFINITY),
                    "Math" => return self.math(),
                    _ => return None,
                }
            }
        })
    }

    fn math(&mut self) -> Option<Expr> {
        if !self.eat(".") {
            return None;
        }
        let Some(Tok::Ident(name)) = self.peek().cloned() else {
            return None;
        };
        self.pos += 1;
        let f = match name {
            "PI" => return Some(Expr::Num(std::f64::consts::PI)),
            "E" => return Some(Expr::Num(std::f64::consts::E)),
            "abs" => MathFn::Abs,
            "floor" => MathFn::Floor,
            "ceil" => MathFn::Ceil,
            "round" => MathFn::Round,
            "trunc" => MathFn::Trunc,
            "sign" => MathFn::Sign,
            "sqrt" => MathFn::Sqrt,
            "min" => MathFn::Min,
            "max" => MathFn::Max,
            "pow" => MathFn::Pow,
            _ => return None,
        };
        if !self.eat("(") {
            return None;
        }
        let mut args = Vec::new();
        if !self.eat(")") {
            loop {
                args.push(self.cond()?);
                if self.eat(")") {
                    break;
                }
                if !self.eat(",") {
                    return None;
                }
                // A trailing comma is allowed in calls: `Math.max(1, 2,)`.
                if self.eat(")") {
                    break;
                }
            }
        }
        Some(Expr::Math(f, args))
    }
}
