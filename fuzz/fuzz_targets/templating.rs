//! `{{ }}` templating and inline code detection: `has_template` must agree with whether
//! substitution changes anything it recognises, and `parse` / `split` must not panic on any
//! text (variables named in the input included). Inline code (`{{= … =}}`) runs in the QuickJS
//! sandbox under small limits.
#![no_main]

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use tessera::eval::js::JsLimits;
use tessera::eval::scope::Scope;
use tessera::eval::templating::{self, Mode, Opts};
use tessera::flow::{CompiledFlow, VarValue};

/// A bot declaring a few variables, some with values, so `{{Name}}` finds something.
static FLOW: LazyLock<Arc<CompiledFlow>> = LazyLock::new(|| {
    let json = r#"{"version":"6","id":"fz","name":"fz","groups":[{"id":"g","title":"G",
        "blocks":[{"id":"b","type":"text","content":{"richText":[]}}]}],
        "events":[{"id":"e","type":"start","outgoingEdgeId":"x","graphCoordinates":{"x":0,"y":0}}],
        "edges":[{"id":"x","from":{"eventId":"e"},"to":{"groupId":"g"}}],
        "variables":[{"id":"v1","name":"Name"},{"id":"v2","name":"List"},{"id":"v3","name":"a b"}]}"#;
    tessera::flow::load_str(json).unwrap_or_else(|e| panic!("fuzz flow: {e}"))
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let flow = &**FLOW;
    let mut vars = BTreeMap::new();
    vars.insert("v1".to_string(), VarValue::Str("Ada {{List}}".into()));
    vars.insert(
        "v2".to_string(),
        VarValue::List(vec![Some("x".into()), None, Some("<y>".into())]),
    );
    let limits = JsLimits {
        timeout: Duration::from_millis(50),
        memory_bytes: 4 << 20,
    };
    let mut runs = 0;
    let mut scope = Scope {
        flow,
        vars: &mut vars,
        limits: &limits,
        js_runs: &mut runs,
    };
    let has = templating::has_template(text);
    for mode in [Mode::Plain, Mode::Json, Mode::Html, Mode::Id] {
        let out = templating::parse(
            text,
            &mut scope,
            Opts {
                mode,
                take_latest: mode == Mode::Html,
            },
        );
        if !has {
            assert_eq!(
                out, text,
                "no template found, yet substitution changed the text"
            );
        }
    }
    let _ = templating::split(text, &mut scope, true);
});
