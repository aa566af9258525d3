//! The thread's QuickJS runtime: created lazily, hardened once (the prelude deep-freezes every
//! reachable intrinsic), bounded by the [`JsLimits`] of each evaluation (an interrupt-handler
//! watchdog for time, the runtime's memory limit, a native stack cap), and dropped whenever it
//! may have been left in a bad state. It knows nothing of flows or variables.

use rquickjs::function::Opt;
use rquickjs::{Coerced, Context, Ctx, Function, Persistent, Runtime, Value};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::convert::{args_with, to_js_value};
use super::{JsError, JsLimits, JsOutcome, JsValue};

/// Native stack QuickJS may use: deep recursion becomes a RangeError well before the 2 MiB
/// stack of a worker thread is exhausted.
const MAX_STACK_BYTES: usize = 512 * 1024;

/// Runs once per context: neutralises engine-state setters, tames the "override mistake" for
/// the properties code commonly assigns on instances, deep-freezes every reachable intrinsic and
/// returns the private helpers `[eval, describeError, wellFormedStringify]`.
const PRELUDE: &str = r#"(() => {
  'use strict';
  const { defineProperty, getOwnPropertyDescriptor, getPrototypeOf, freeze } = Object;
  for (const k of ['stackTraceLimit', 'prepareStackTrace']) {
    const d = getOwnPropertyDescriptor(Error, k);
    if (d) defineProperty(Error, k, { value: d.get ? d.get.call(Error) : d.value,
      writable: false, enumerable: false, configurable: false });
  }
  // Assigning e.g. `this.name` in an Error subclass must still work once prototypes are frozen.
  const tame = (o, k) => {
    const d = getOwnPropertyDescriptor(o, k);
    if (!d || !('value' in d)) return;
    const value = d.value;
    defineProperty(o, k, { enumerable: d.enumerable, configurable: false, get() { return value; },
      set(v) {
        if (this === o) throw new TypeError(`Cannot assign to read only property '${k}'`);
        defineProperty(this, k, { value: v, writable: true, enumerable: true, configurable: true });
      } });
  };
  ['constructor', 'toString', 'valueOf', 'toLocaleString'].forEach((k) => tame(Object.prototype, k));
  tame(Function.prototype, 'toString');
  for (const E of [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError,
    AggregateError, globalThis.InternalError]) {
    if (E) ['constructor', 'name', 'message'].forEach((k) => tame(E.prototype, k));
  }
  const roots = [globalThis];
  for (const f of [() => function* () {}, () => async function () {}, () => async function* () {},
    () => [].values(), () => new Map().values(), () => new Set().values(), () => ''[Symbol.iterator](),
    () => /a/g[Symbol.matchAll](''), () => Int8Array, () => [].values().map((x) => x),
    () => Iterator.from({ next() {} })]) {
    try { roots.push(getPrototypeOf(f())); } catch {}
  }
  const seen = new Set();
  while (roots.length) {
    const o = roots.pop();
    if (o === null || (typeof o !== 'object' && typeof o !== 'function') || seen.has(o)) continue;
    seen.add(o);
    roots.push(getPrototypeOf(o));
    for (const k of Reflect.ownKeys(o)) {
      const d = getOwnPropertyDescriptor(o, k);
      if (d) roots.push(d.value, d.get, d.set);
    }
    freeze(o);
  }
  const describe = (e) => {
    try {
      if (e instanceof Error) return Error.prototype.toString.call(e);
      if (e !== null && typeof e === 'object') return JSON.stringify(e) ?? String(e);
      return String(e);
    } catch { return 'Error'; }
  };
  const wellFormed = (v) => JSON.stringify(v, (_, x) => typeof x === 'string' ? x.toWellFormed() : x);
  return [eval, describe, wellFormed];
})()"#;

/// Deadline shared with the interrupt handler, which QuickJS polls while executing code.
#[derive(Default)]
struct Watchdog {
    deadline: Mutex<Option<Instant>>,
    fired: AtomicBool,
}

impl Watchdog {
    fn arm(&self, deadline: Option<Instant>) {
        if let Ok(mut d) = self.deadline.lock() {
            *d = deadline;
        }
        self.fired.store(false, Ordering::SeqCst);
    }

    /// True once the deadline has passed; latches `fired` so later checks agree.
    fn expired(&self) -> bool {
        let due = self
            .deadline
            .lock()
            .map(|d| d.is_some_and(|d| Instant::now() >= d))
            .unwrap_or(true);
        if due {
            self.fired.store(true, Ordering::SeqCst);
        }
        due || self.fired.load(Ordering::SeqCst)
    }
}

/// The thread's runtime. Field order matters: persistent handles must drop before the runtime.
struct Sandbox {
    eval: Persistent<Function<'static>>,
    describe: Persistent<Function<'static>>,
    well_formed: Persistent<Function<'static>>,
    ctx: Context,
    rt: Runtime,
    watchdog: Arc<Watchdog>,
}

thread_local! {
    static SANDBOX: RefCell<Option<Sandbox>> = const { RefCell::new(None) };
}

/// Evaluates the wrapper `source` (built from `body`) in this thread's sandbox, creating it on
/// first use and dropping it after a timeout, an out-of-memory or an internal failure.
pub(super) fn evaluate(
    source: &str,
    body: &str,
    params: &[(&str, JsValue)],
    limits: &JsLimits,
) -> Result<JsOutcome, JsError> {
    SANDBOX
        .try_with(|cell| {
            let mut slot = cell
                .try_borrow_mut()
                .map_err(|_| JsError::Internal("re-entrant evaluation".into()))?;
            if slot.is_none() {
                *slot = Some(Sandbox::new()?);
            }
            let sandbox = slot
                .as_ref()
                .ok_or_else(|| JsError::Internal("sandbox missing".into()))?;
            let (result, poisoned) = sandbox.run(source, body, params, limits);
            if poisoned
                || matches!(
                    result,
                    Err(JsError::Timeout | JsError::OutOfMemory | JsError::Internal(_))
                )
            {
                *slot = None; // rebuilt on next use: never reuse a runtime left in a bad state
            }
            result
        })
        .map_err(|e| JsError::Internal(e.to_string()))?
}

impl Sandbox {
    fn new() -> Result<Self, JsError> {
        let internal = |e: rquickjs::Error| JsError::Internal(e.to_string());
        let rt = Runtime::new().map_err(internal)?;
        rt.set_max_stack_size(MAX_STACK_BYTES);
        let watchdog = Arc::new(Watchdog::default());
        let wd = watchdog.clone();
        rt.set_interrupt_handler(Some(Box::new(move || wd.expired())));
        let ctx = Context::full(&rt).map_err(internal)?;
        let helpers = ctx.with(|ctx| {
            let run = || -> rquickjs::Result<_> {
                let h: rquickjs::Array = ctx.eval(PRELUDE)?;
                let get = |i| h.get::<Function>(i).map(|f| Persistent::save(&ctx, f));
                Ok((get(0)?, get(1)?, get(2)?))
            };
            run().map_err(|e| JsError::Internal(format!("prelude failed: {e}: {:?}", ctx.catch())))
        });
        let (eval, describe, well_formed) = helpers?;
        Ok(Sandbox {
            eval,
            describe,
            well_formed,
            ctx,
            rt,
            watchdog,
        })
    }

    /// Evaluates once; the flag asks the caller to drop the runtime even on success (jobs left
    /// running past the deadline).
    fn run(
        &self,
        source: &str,
        body: &str,
        params: &[(&str, JsValue)],
        limits: &JsLimits,
    ) -> (Result<JsOutcome, JsError>, bool) {
        self.rt.set_memory_limit(limits.memory_bytes);
        self.watchdog.arm(Some(Instant::now() + limits.timeout));
        let wd = &*self.watchdog;
        let out = self.ctx.with(|ctx| {
            let calls = Rc::new(RefCell::new(Vec::new()));
            let value = self
                .call(&ctx, source, params, calls.clone())
                .map_err(|e| self.classify(&ctx, body, e));
            // Leftover jobs must not run during the next evaluation: drain them now.
            let mut poisoned = false;
            while ctx.execute_pending_job() {
                if wd.expired() {
                    poisoned = true;
                    break;
                }
            }
            let set_variables = calls.take();
            (
                value.map(|value| JsOutcome {
                    value,
                    set_variables,
                }),
                poisoned,
            )
        });
        self.watchdog.arm(None);
        out
    }

    fn call<'js>(
        &self,
        ctx: &Ctx<'js>,
        source: &str,
        params: &[(&str, JsValue)],
        calls: Rc<RefCell<Vec<(String, JsValue)>>>,
    ) -> rquickjs::Result<JsValue> {
        let function: Function = self.eval.clone().restore(ctx)?.call((source,))?;
        let wf = self.well_formed.clone();
        let set_variable = Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, name: Coerced<String>, value: Opt<Value<'js>>| {
                let value = match value.0 {
                    Some(v) => to_js_value(&ctx, v, &wf)?,
                    None => JsValue::Undefined,
                };
                calls.borrow_mut().push((name.0, value));
                rquickjs::Result::Ok(())
            },
        )?;
        let args = args_with(ctx, set_variable, params)?;
        let returned: Value = function.call_arg(args)?;
        let settled = match returned.as_promise() {
            Some(promise) => loop {
                if let Some(result) = promise.result::<Value>() {
                    break result?;
                }
                if self.watchdog.expired() || !ctx.execute_pending_job() {
                    // Timed out, or nothing left that could ever settle the promise (no I/O).
                    self.watchdog.fired.store(true, Ordering::SeqCst);
                    return Err(rquickjs::Error::Exception);
                }
            },
            None => returned,
        };
        to_js_value(ctx, settled, &self.well_formed)
    }

    /// Maps a failure to a [`JsError`], consuming the pending JS exception if any.
    fn classify(&self, ctx: &Ctx<'_>, body: &str, err: rquickjs::Error) -> JsError {
        let reason = ctx.catch();
        if self.watchdog.fired.load(Ordering::SeqCst) {
            return JsError::Timeout;
        }
        match err {
            rquickjs::Error::Exception => {}
            rquickjs::Error::Allocation => return JsError::OutOfMemory,
            other => return JsError::Internal(other.to_string()),
        }
        // QuickJS throws a bare `null` when it cannot even allocate the error object; user code
        // can only produce one through `throw`/`reject`, so use that to tell them apart.
        if (reason.is_null() || reason.is_undefined())
            && !body.contains("throw")
            && !body.contains("rej")
        {
            return JsError::OutOfMemory;
        }
        let message = self
            .describe
            .clone()
            .restore(ctx)
            .and_then(|f| f.call::<_, String>((reason,)));
        let message = message.unwrap_or_else(|_| {
            ctx.catch();
            "Error".to_owned()
        });
        match message.as_str() {
            _ if self.watchdog.fired.load(Ordering::SeqCst) => JsError::Timeout,
            "InternalError: out of memory" => JsError::OutOfMemory,
            _ => JsError::Exception(message),
        }
    }
}
