//! Values across the sandbox boundary: [`JsValue`]s in as call arguments (JSON parsed by the
//! engine), results and `setVariable` values out with `JSON.stringify` semantics.

use rquickjs::function::Args;
use rquickjs::{Ctx, Exception, Function, Persistent, Value};

use super::JsValue;

/// The call arguments: `set_variable` first, then each parameter's value.
pub(super) fn args_with<'js>(
    ctx: &Ctx<'js>,
    set_variable: Function<'js>,
    params: &[(&str, JsValue)],
) -> rquickjs::Result<Args<'js>> {
    let mut args = Args::new(ctx.clone(), params.len() + 1);
    args.push_arg(set_variable)?;
    for (_, value) in params {
        args.push_arg(match value {
            JsValue::Undefined => Value::new_undefined(ctx.clone()),
            JsValue::Value(json) => ctx.json_parse(json.to_string())?,
        })?;
    }
    Ok(args)
}

/// Converts with JSON.stringify semantics (undefined, functions and symbols → `Undefined`).
pub(super) fn to_js_value<'js>(
    ctx: &Ctx<'js>,
    v: Value<'js>,
    well_formed: &Persistent<Function<'static>>,
) -> rquickjs::Result<JsValue> {
    if v.is_undefined() {
        return Ok(JsValue::Undefined);
    }
    let Some(text) = ctx.json_stringify(v.clone())? else {
        return Ok(JsValue::Undefined);
    };
    if let Ok(json) = serde_json::from_str(&text.to_string()?) {
        return Ok(JsValue::Value(json));
    }
    // serde_json rejects the `\udXXX` escapes of lone surrogates: retry with them replaced.
    let text: String = well_formed.clone().restore(ctx)?.call((v,))?;
    serde_json::from_str(&text)
        .map(JsValue::Value)
        .map_err(|e| Exception::throw_type(ctx, &format!("result is not JSON-compatible: {e}")))
}
