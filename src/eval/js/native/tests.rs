//! The native evaluator against QuickJS: hand-picked corner cases, then a differential test
//! over generated expressions and variables (seeded, so a failure names its case and repeats).
//! Wherever the native side answers, QuickJS must give the same outcome for `return E`, and
//! the same `typeof`, `String()` and `Object.is(-0)` of the value, which tell apart what JSON
//! would not (NaN, ±Infinity, -0).
//!
//! `TESSERA_JS_DIFF_CASES=N` and `TESSERA_JS_DIFF_SEED=S` run more or other cases.

use serde_json::{Value as Json, json};

use super::super::{JsLimits, JsOutcome, JsValue, in_quickjs};
use super::{V, eval_body, to_string, try_eval, type_of};

/// Checks one expression; returns whether the native side answered.
fn check(expr: &str, params: &[(&str, JsValue)]) -> bool {
    let limits = JsLimits::default();
    let body = format!("return {expr}");
    let Some(native) = eval_body(&body, params, &limits) else {
        return false;
    };
    let mut names = vec!["setVariable"];
    names.extend(params.iter().map(|(n, _)| *n));
    let quick = in_quickjs(&body, &names, params, &limits);
    let outcome = try_eval(&body, params, &limits);
    let expected = Ok(JsOutcome {
        value: outcome.clone().unwrap_or(JsValue::Undefined),
        set_variables: Vec::new(),
    });
    assert_eq!(quick, expected, "`{body}` with {params:?}");
    let probe = format!("const r = ({expr});\nreturn [typeof r, String(r), Object.is(r, -0)]");
    let quick = in_quickjs(&probe, &names, params, &limits).map(|o| o.value);
    let minus_zero = matches!(native, V::Num(x) if x == 0.0 && x.is_sign_negative());
    let mine = JsValue::Value(json!([type_of(&native), to_string(&native), minus_zero]));
    assert_eq!(quick, Ok(mine), "`{expr}` with {params:?}");
    true
}

#[test]
fn corner_cases_agree_with_quickjs() {
    let p = [
        ("a", JsValue::Value(json!(41))),
        ("s", JsValue::Value(json!("007"))),
        ("u", JsValue::Undefined),
        ("l", JsValue::Value(json!(["x", null]))),
    ];
    let native = [
        "a + 1",
        "0.1 + 0.2",
        "1 / 0",
        "1 / -0",
        "-0",
        "'5' * '2'",
        "'5' + 2",
        "s + 1",
        "s * 1",
        "null + 1",
        "u + 1",
        "u + 'x'",
        "'b' > 'a'",
        "'\u{1F600}' > '\u{ffff}'",
        "'\u{1F600}'.length",
        "null == 0",
        "null == undefined",
        "'' == 0",
        "'0' == false",
        "NaN == NaN",
        "NaN !== NaN",
        "0 === -0",
        "Math.round(-0.5)",
        "Math.round(2.5)",
        "Math.round(0.49999999999999994)",
        "Math.max()",
        "Math.min(0, -0)",
        "Math.max(-0, 0)",
        "Math.pow(1, Infinity)",
        "1 ** NaN",
        "NaN ** 0",
        "(-2) ** 2",
        "2 ** -1",
        "2 ** 3 ** 2",
        "typeof null",
        "typeof u",
        "a > 40 ? 'big' : 'small'",
        "a && s || 'none'",
        "!s",
        "-' 12 '",
        "+'0x1F'",
        "+'\u{a0}7\u{feff}'",
        "+'1e'",
        "1e21 + ''",
        "123456789012345680000 + 1",
        "'\\x41\\u00e9\\t'",
        "5 % -3",
        "-5 % 3",
        "-1 % 1",
        "Math.sign(-0)",
        "(a + s).length",
    ];
    for e in native {
        assert!(check(e, &p), "`{e}` should be evaluated natively");
    }
    let declined = [
        "-2 ** 2",
        "l + 1",
        "a++",
        "a ?? 1",
        "s.toUpperCase()",
        "Math.random()",
        "[1] + 1",
        "`x${a}`",
        "010",
        "08",
        "1_000",
        "0x10",
        "1n",
        "a\n+ 1",
        "foo",
        "setVariable",
        "a, 1",
        "u.length",
        "'\\0'",
        "a <!-- comment",
        "a } + function () { return 1",
    ];
    for e in declined {
        assert!(!check(e, &p), "`{e}` should go to QuickJS");
    }
    // `return` then a line break returns undefined: not the native evaluator's to judge.
    assert_eq!(try_eval("return\n1", &[], &JsLimits::default()), None);
}

/// SplitMix64: a seeded generator, enough for test cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

const NUMBERS: [&str; 22] = [
    "0",
    "1",
    "2",
    "3",
    "10",
    "42",
    "0.1",
    "0.2",
    "0.5",
    "1.5",
    "3.14",
    "100",
    "1e21",
    "1e-7",
    "9007199254740993",
    "2.5e-3",
    ".5",
    "5.",
    "1e400",
    "0e0",
    "1E+2",
    "255",
];
const STRINGS: [&str; 24] = [
    "''",
    "'a'",
    "'10'",
    "' 12 '",
    "'0x1F'",
    "'abc'",
    "'1e3'",
    "'Infinity'",
    "'-0'",
    "'\\t5\\n'",
    "'007'",
    "'+33'",
    "'é'",
    "'😀'",
    "'\\u00e9'",
    "'\\x41'",
    "'true'",
    "'null'",
    "\"5\"",
    "' '",
    "'\\u00a0'",
    "'0b101'",
    "'0o17'",
    "'1_000'",
];
const WORDS: [&str; 8] = [
    "true",
    "false",
    "null",
    "undefined",
    "NaN",
    "Infinity",
    "Math.PI",
    "Math.E",
];
const BINARY: [&str; 24] = [
    "+", "+", "+", "-", "*", "/", "%", "**", "<", ">", "<=", ">=", "==", "!=", "===", "!==", "&&",
    "||", "??", "&", "|", "in", "<<", ",",
];
const UNARY: [&str; 6] = ["!", "-", "+", "typeof ", "~", "void "];
const MATH: [&str; 12] = [
    "abs", "floor", "ceil", "round", "trunc", "sign", "sqrt", "min", "max", "pow", "log", "hypot",
];
const VALUES: [&str; 24] = [
    "0",
    "1",
    "42",
    "-5",
    "3.14",
    "0.1",
    "1e21",
    "",
    "John",
    "007",
    "+33",
    " 42 ",
    "0x10",
    "1e",
    "Infinity",
    "12abc",
    "😀é",
    "\u{a0}",
    "\u{85}5",
    "\u{feff}7",
    "true",
    "null",
    "undefined",
    "-0",
];

fn expr(r: &mut Rng, depth: u32) -> String {
    let sp = |r: &mut Rng| if r.below(4) == 0 { "" } else { " " };
    if depth == 0 || r.below(3) == 0 {
        return match r.below(10) {
            0..=2 => r.pick(&NUMBERS).to_string(),
            3..=4 => r.pick(&STRINGS).to_string(),
            5 => r.pick(&WORDS).to_string(),
            _ => format!("v{}", r.below(4)),
        };
    }
    match r.below(12) {
        0..=4 => {
            let (a, b) = (expr(r, depth - 1), expr(r, depth - 1));
            let (s1, s2) = (sp(r), sp(r));
            format!("{a}{s1}{}{s2}{b}", r.pick(&BINARY))
        }
        5 => format!("{}{}", r.pick(&UNARY), expr(r, depth - 1)),
        6 => format!("({})", expr(r, depth - 1)),
        7 => {
            let (a, b, c) = (expr(r, depth - 1), expr(r, depth - 1), expr(r, depth - 1));
            format!("{a} ? {b} : {c}")
        }
        8 => format!("({}).length", expr(r, depth - 1)),
        9 | 10 => {
            let f = r.pick(&MATH);
            let args: Vec<String> = (0..r.below(4)).map(|_| expr(r, depth - 1)).collect();
            format!("Math.{f}({})", args.join(", "))
        }
        _ => format!("-{}{}**{}", expr(r, 0), sp(r), expr(r, 0)),
    }
}

/// What a variable becomes in the sandbox: Typebot's typed values of stored strings (see
/// `eval::scope::typed`), plus lists, which the native side must leave to QuickJS.
fn typed(r: &mut Rng) -> JsValue {
    if r.below(20) == 0 {
        return JsValue::Value(json!(["a", null]));
    }
    let s = r.pick(&VALUES);
    match crate::eval::scope::typed(&crate::flow::VarValue::Str(s.into())) {
        JsValue::Value(Json::Null) if r.below(2) == 0 => JsValue::Value(json!(-0.0)),
        v => v,
    }
}

#[test]
fn generated_expressions_agree_with_quickjs() {
    let env = |k: &str, d: u64| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let cases = env("TESSERA_JS_DIFF_CASES", 4000);
    let seed = env("TESSERA_JS_DIFF_SEED", 16);
    let mut r = Rng(seed);
    let mut native = 0;
    for _ in 0..cases {
        let params: Vec<(String, JsValue)> =
            (0..4).map(|i| (format!("v{i}"), typed(&mut r))).collect();
        let params: Vec<(&str, JsValue)> = params
            .iter()
            .map(|(n, v)| (n.as_str(), v.clone()))
            .collect();
        let depth = 1 + r.below(4) as u32;
        let e = expr(&mut r, depth);
        if check(&e, &params) {
            native += 1;
        }
    }
    // The test means something only if the native side answers a good share of the cases.
    assert!(
        native * 3 > cases,
        "only {native} of {cases} evaluated natively"
    );
}
