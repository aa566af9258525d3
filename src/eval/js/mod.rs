//! Sandboxed JavaScript evaluation for bot-authored code (set-variable expressions, inline
//! `{{= … =}}` code, server-side script blocks), backed by an embedded QuickJS engine.
//!
//! This file is the API: [`run_function_body`], its limits, values and errors ([`metrics`]:
//! evaluations counted and timed). `runtime.rs` owns
//! the per-thread QuickJS runtime and its hardening, `convert.rs` the conversion of values across
//! the sandbox boundary.
//!
//! The module owns one QuickJS runtime + context per thread, created lazily on the first
//! evaluation (bots without code pay nothing) and reused afterwards: measured in release, a warm
//! evaluation costs ~6 µs while building a frozen context costs ~5 ms, paid once per thread.
//! Because unrelated sessions share that context, nothing an evaluation does may be visible to
//! the next one:
//! * at creation, every object reachable from `globalThis` and from the hidden intrinsics
//!   (generator/async/iterator prototypes, `%TypedArray%`) is deep-frozen, so code can neither
//!   plant globals nor pollute prototypes; engine-level knobs exposed as setters
//!   (`Error.stackTraceLimit`, `Error.prepareStackTrace`) are turned into frozen data first;
//! * each body is compiled by an *indirect* `eval` of `(async function (setVariable, …) {body})`:
//!   its `var`/`let` are function locals, and even a body that closes the wrapper early only
//!   reaches eval-local `let` bindings or the frozen global object;
//! * jobs still queued after the result settles are drained within the deadline; a timeout, an
//!   out-of-memory or an internal failure drops the whole runtime so it is rebuilt cleanly.
//!
//! There is no I/O at all: no `fetch`, `require`, module loader, `std`/`os`, nor timers.
//!
//! Before any of that, [`run_function_body`] offers the body to `native/`: a single `return` of
//! a pure expression (arithmetic, comparisons, concatenation, `Math`, ternaries) is evaluated
//! in Rust with JavaScript's semantics at a fraction of the cost; everything else, and every
//! error, is QuickJS's.

mod convert;
pub mod metrics;
mod native;
mod runtime;
#[cfg(test)]
mod tests;

use std::time::Duration;

/// Resource limits for one evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsLimits {
    /// Wall-clock budget, including awaited promise jobs and result conversion.
    pub timeout: Duration,
    /// Cap on the QuickJS heap of the thread's runtime.
    pub memory_bytes: usize,
}

impl Default for JsLimits {
    /// 1 second and 32 MiB.
    fn default() -> Self {
        JsLimits {
            timeout: Duration::from_secs(1),
            memory_bytes: 32 << 20,
        }
    }
}

/// A value crossing the sandbox boundary: `undefined`, or any JSON-compatible value.
#[derive(Debug, Clone, PartialEq)]
pub enum JsValue {
    /// JavaScript `undefined` (also what functions and symbols become).
    Undefined,
    /// A JSON value (JSON.stringify semantics: NaN/Infinity → null, Date → ISO string).
    Value(serde_json::Value),
}

/// Result of a successful evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct JsOutcome {
    /// The settled value of the async function body.
    pub value: JsValue,
    /// Every `setVariable(name, value)` call, in call order (values snapshotted at call time).
    pub set_variables: Vec<(String, JsValue)>,
}

/// Why an evaluation failed.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum JsError {
    /// A thrown exception or rejected promise, formatted like `ReferenceError: foo is not defined`.
    #[error("{0}")]
    Exception(String),
    /// The time limit elapsed (or the body awaits something that can never settle).
    #[error("script timed out")]
    Timeout,
    /// The memory limit was hit.
    #[error("script ran out of memory")]
    OutOfMemory,
    /// The sandbox itself failed (should not happen).
    #[error("sandbox error: {0}")]
    Internal(String),
}

/// Words that cannot name a parameter of a sloppy or strict async function, plus our own binding.
const RESERVED: &str = "await break case catch class const continue debugger default delete do else \
    enum export extends false finally for function if import in instanceof new null return super \
    switch this throw true try typeof var void while with yield let static implements interface \
    package private protected public arguments eval setVariable";

/// Runs `body` as the body of an async function whose parameters are `setVariable` followed by
/// `params` (names must be plain ASCII identifiers, not reserved words, not duplicated). The
/// caller prepends `return` where needed. Evaluation happens in this thread's sandbox.
pub fn run_function_body(
    body: &str,
    params: &[(&str, JsValue)],
    limits: &JsLimits,
) -> Result<JsOutcome, JsError> {
    let mut names = vec!["setVariable"];
    for (name, _) in params {
        let mut chars = name.chars();
        let valid = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
        if !valid || RESERVED.split_ascii_whitespace().any(|w| w == *name) || names.contains(name) {
            return Err(JsError::Exception(format!(
                "SyntaxError: invalid parameter name '{name}'"
            )));
        }
        names.push(name);
    }
    if let Some(value) = native::try_eval(body, params, limits) {
        return Ok(JsOutcome {
            value,
            set_variables: Vec::new(),
        });
    }
    in_quickjs(body, &names, params, limits)
}

/// The QuickJS path of [`run_function_body`], for names already checked (`setVariable` first).
fn in_quickjs(
    body: &str,
    names: &[&str],
    params: &[(&str, JsValue)],
    limits: &JsLimits,
) -> Result<JsOutcome, JsError> {
    let source = format!("(async function ({}) {{\n{body}\n}})", names.join(", "));
    let started = std::time::Instant::now();
    let r = runtime::evaluate(&source, body, params, limits);
    metrics::record(started, &r);
    r
}
