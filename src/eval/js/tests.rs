//! Tests of the sandbox: values and parameters, errors, async bodies, limits and recovery, and
//! isolation between evaluations.

use super::*;
use serde_json::json;
use std::time::Instant;

fn run(body: &str, params: &[(&str, JsValue)]) -> Result<JsOutcome, JsError> {
    run_function_body(body, params, &JsLimits::default())
}
fn value(body: &str) -> JsValue {
    run(body, &[]).unwrap().value
}
fn v(j: serde_json::Value) -> JsValue {
    JsValue::Value(j)
}
fn exception(body: &str) -> String {
    match run(body, &[]) {
        Err(JsError::Exception(m)) => m,
        other => panic!("expected exception for {body:?}, got {other:?}"),
    }
}

#[test]
fn values_and_params() {
    let out = run("return a + 5", &[("a", v(json!(37)))]).unwrap();
    assert_eq!(
        out,
        JsOutcome {
            value: v(json!(42)),
            set_variables: vec![]
        }
    );
    let p = [
        ("vudksu3zyrat6s1bq6qne0rx3", v(json!("Hi 👋🏽"))),
        ("b", JsValue::Undefined),
    ];
    let out = run("return vudksu3zyrat6s1bq6qne0rx3 + ' ' + b", &p).unwrap();
    assert_eq!(out.value, v(json!("Hi 👋🏽 undefined")));
    let obj = json!({"a": [1, "two", null, {"b": true}], "c": {}, "d": 1.5});
    let out = run(
        "return {...o, f() {}, u: undefined}",
        &[("o", v(obj.clone()))],
    );
    assert_eq!(out.unwrap().value, v(obj));
    let cases = [
        ("return null", json!(null)),
        ("return 0/0", json!(null)),
        ("return -1/0", json!(null)),
        ("return 2.5 * 2", json!(5)),
        ("return 0.1 + 0.2", json!(0.30000000000000004)),
        ("return new Date(0)", json!("1970-01-01T00:00:00.000Z")),
        ("return '\\ud800' + 'x'", json!("\u{fffd}x")),
        ("return [1, undefined, () => 1]", json!([1, null, null])),
    ];
    for (body, expected) in cases {
        assert_eq!(value(body), v(expected), "{body}");
    }
    for body in [
        "return undefined",
        "const x = 1",
        "return () => 1",
        "return Symbol()",
    ] {
        assert_eq!(value(body), JsValue::Undefined, "{body}");
    }
}

#[test]
fn set_variable_calls_are_recorded_in_order() {
    let body = "const o = {n: 1}; setVariable('A', o); o.n = 2; setVariable('B'); \
                setVariable('A', [o.n]); return 'done'";
    let set_variables = vec![
        ("A".into(), v(json!({"n": 1}))),
        ("B".into(), JsValue::Undefined),
        ("A".into(), v(json!([2]))),
    ];
    let expected = JsOutcome {
        value: v(json!("done")),
        set_variables,
    };
    assert_eq!(run(body, &[]).unwrap(), expected);
}

#[test]
fn errors_are_formatted() {
    assert_eq!(
        exception("return foo"),
        "ReferenceError: foo is not defined"
    );
    assert_eq!(exception("throw new TypeError('bad')"), "TypeError: bad");
    assert_eq!(exception("throw 'plain'"), "plain");
    assert_eq!(exception("throw null"), "null");
    assert_eq!(
        exception("await Promise.reject(new Error('no'))"),
        "Error: no"
    );
    assert!(exception("return 1 +").starts_with("SyntaxError: "));
    assert!(exception("function f() { f() } f()").starts_with("RangeError: "));
    for name in ["fetch", "require", "std", "os", "process", "setTimeout"] {
        let expected = format!("ReferenceError: {name} is not defined");
        assert_eq!(exception(&format!("return {name}")), expected);
    }
    let subclass = "class E extends Error { constructor(m) { super(m); this.name = 'MyError' } }
                        throw new E('x')";
    assert_eq!(exception(subclass), "MyError: x");
}

#[test]
fn async_bodies() {
    assert_eq!(
        value("const x = await Promise.resolve(40); return x + 2"),
        v(json!(42))
    );
    let late = "return new Promise((r) => queueMicrotask(() => r('late')))";
    assert_eq!(value(late), v(json!("late")));
    let start = Instant::now();
    assert_eq!(
        run("await new Promise(() => {})", &[]),
        Err(JsError::Timeout)
    );
    assert!(start.elapsed() < Duration::from_millis(500));
}

#[test]
fn invalid_parameter_names() {
    for bad in [
        "",
        "1a",
        "a-b",
        "class",
        "await",
        "eval",
        "setVariable",
        "a b",
        "é",
    ] {
        let r = run("return 1", &[(bad, JsValue::Undefined)]);
        assert!(matches!(r, Err(JsError::Exception(_))), "{bad:?} accepted");
    }
    let twice = [("a", JsValue::Undefined), ("a", JsValue::Undefined)];
    assert!(matches!(
        run("return 1", &twice),
        Err(JsError::Exception(_))
    ));
    assert_eq!(
        run("return $_x9", &[("$_x9", v(json!(1)))]).unwrap().value,
        v(json!(1))
    );
}

#[test]
fn timeout_and_recovery() {
    let limits = JsLimits {
        timeout: Duration::from_millis(200),
        ..JsLimits::default()
    };
    let bodies = [
        "while (true) {}",
        "try { while (true) {} } finally { return 1 }",
        "while (true) await null",
    ];
    for body in bodies {
        let start = Instant::now();
        assert_eq!(
            run_function_body(body, &[], &limits),
            Err(JsError::Timeout),
            "{body}"
        );
        assert!(start.elapsed() < Duration::from_millis(1000), "{body}");
        assert_eq!(value("return 1"), v(json!(1)));
    }
    // Only a background job loops forever: the result still comes back.
    let body = "(async () => { while (true) await null })(); return 7";
    assert_eq!(
        run_function_body(body, &[], &limits).unwrap().value,
        v(json!(7))
    );
    assert_eq!(value("return 1"), v(json!(1)));
}

#[test]
fn memory_limit_and_recovery() {
    let bodies = [
        "return 'x'.repeat(1e8).length",
        "const a = []; while (true) a.push([1, 2, 3])",
    ];
    // Only the memory cap may end them: a loaded machine (a debug build under a parallel
    // test run) must not reach the time limit first.
    let limits = JsLimits {
        timeout: Duration::from_secs(60),
        ..JsLimits::default()
    };
    for body in bodies {
        match run_function_body(body, &[], &limits) {
            Err(JsError::OutOfMemory) => {}
            Err(JsError::Exception(m)) if m.contains("memory") => {}
            other => panic!("{body}: {other:?}"),
        }
        assert_eq!(value("return [1, 2].map((x) => x * 2)"), v(json!([2, 4])));
    }
}

#[test]
fn no_state_leaks_between_evaluations() {
    // Each attack may throw (frozen target) or be silently ignored (sloppy mode)...
    let attacks = [
        "globalThis.x = 1",
        "x = 1; this.y = 2",
        "var x = 1; let y = 2",
        "Object.prototype.polluted = 1",
        "Array.prototype.map = null",
        "Math.max = () => 0; JSON.parse = null",
        "Object.defineProperty(globalThis, 'x', {value: 1})",
        "Object.getPrototypeOf(function* () {}).prototype.next = 1",
        "Object.getPrototypeOf([].values()).next = 1",
        "Error.prepareStackTrace = () => 'hacked'; Error.stackTraceLimit = 0",
        "}); let x = 1; (async function () {",
        "}); var x = 1; (async function () {",
        "(0, eval)('var x = 1; function y() {}')",
        "Function('this.x = 1')()",
    ];
    // ...but the next evaluation always sees a clean environment.
    let probe = "return typeof x + typeof y + ({}).polluted + typeof [].map + Math.max(1, 2) \
                 + typeof JSON.parse + typeof (function* () {})().next + typeof [].values().next \
                 + typeof Error.prepareStackTrace + !!new Error('e').stack";
    let clean = "undefinedundefinedundefinedfunction2functionfunctionfunctionundefinedtrue";
    assert_eq!(value(probe), v(json!(clean)));
    for attack in attacks {
        let _ = run(attack, &[]);
        assert_eq!(value(probe), v(json!(clean)), "after {attack:?}");
    }
    // Overriding inherited properties on one's own objects still works.
    let own = "const o = {}; o.toString = () => 'me'; return String(o)";
    assert_eq!(value(own), v(json!("me")));
    assert!(exception("'use strict'; Object.prototype.toString = null").starts_with("TypeError"));
}

#[test]
fn warm_and_cold_costs() {
    // `return 1` would be answered natively: `return [1]` needs the sandbox.
    let cold = std::thread::spawn(|| {
        let t = Instant::now();
        run("return [1]", &[]).unwrap();
        t.elapsed()
    });
    let cold = cold.join().unwrap();
    run("return [1]", &[]).unwrap();
    let n = 2000;
    let names = ["setVariable", "a"];
    let limits = JsLimits::default();
    let t = Instant::now();
    for i in 0..n {
        let out = in_quickjs("return a + 5", &names, &[("a", v(json!(i)))], &limits);
        assert_eq!(out.unwrap().value, v(json!(i + 5)));
    }
    let quickjs = t.elapsed() / n;
    let t = Instant::now();
    for i in 0..n {
        assert_eq!(value_with("return a + 5", i), v(json!(i + 5)));
    }
    eprintln!(
        "js sandbox: cold first evaluation {cold:?}, warm {quickjs:?}; native `a + 5` {:?}",
        t.elapsed() / n
    );
}

fn value_with(body: &str, a: u32) -> JsValue {
    run(body, &[("a", v(json!(a)))]).unwrap().value
}
