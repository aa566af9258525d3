//! Every error code the server sends is documented under its status and in the Error enum. The
//! codes come from `tessera::api::error::ErrorCode::ALL`, in [`codes_in_sources`] alone.

use std::collections::BTreeSet;

use serde_json::Value;
use tessera::api::error::ErrorCode;

use crate::document::{resolved, spec};

/// The error codes the server can send, with their statuses: every variant of
/// [`ErrorCode`], the one list of them.
pub fn codes_in_sources() -> BTreeSet<(u16, String)> {
    ErrorCode::ALL
        .iter()
        .map(|c| (c.status(), c.as_str().to_string()))
        .collect()
}

#[test]
fn every_error_code_of_the_server_is_documented_under_its_status() {
    let spec = spec();
    let enumerated: BTreeSet<String> = spec["components"]["schemas"]["Error"]["properties"]["code"]
        ["enum"]
        .as_array()
        .expect("enum")
        .iter()
        .filter_map(|c| c.as_str().map(str::to_string))
        .collect();
    let in_code = codes_in_sources();
    assert!(in_code.len() >= 20, "found only {in_code:?}");
    // (status, code) pairs the document declares somewhere.
    let mut declared = BTreeSet::new();
    for item in spec["paths"].as_object().expect("paths").values() {
        for op in item.as_object().expect("item").values() {
            for (status, resp) in op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                for c in resolved(&spec, resp)
                    .get("x-error-codes")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let c = c.as_str().expect("code").to_string();
                    declared.insert((status.parse::<u16>().expect("status"), c));
                }
            }
        }
    }
    // Unknown routes and methods: documented once each, in components/responses
    // (RouteNotFound, MethodNotAllowed).
    declared.insert((404, "route_not_found".into()));
    declared.insert((405, "method_not_allowed".into()));
    // The abuse limits apply to every route: documented once each too (RateLimited,
    // RequestTimeout), checked to be there.
    for (name, status, code) in [
        ("RateLimited", 429, "rate_limited"),
        ("RequestTimeout", 408, "request_timeout"),
    ] {
        let codes = &spec["components"]["responses"][name]["x-error-codes"];
        assert_eq!(
            codes,
            &serde_json::json!([code]),
            "components/responses/{name}"
        );
        declared.insert((status, code.into()));
    }
    for (status, code) in &in_code {
        assert!(
            enumerated.contains(code),
            "code {code} is not in the Error enum"
        );
        assert!(
            declared.contains(&(*status, code.clone())),
            "no route documents {status} {code}"
        );
    }
    let used: BTreeSet<&String> = in_code.iter().map(|(_, c)| c).collect();
    for c in &enumerated {
        assert!(
            used.contains(c),
            "the Error enum lists {c}, which the server never sends"
        );
    }
}
