//! Every error code the server sends is documented under its status and in the Error enum. The
//! codes are found by scanning the server's sources, in [`codes_in_sources`] alone.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::document::{resolved, spec};

/// The error codes the server can send, read from its sources: `ApiError::new(status, "code"`
/// (and the `Self::new` constructors), plus the readiness probe's `store_unavailable`.
pub fn codes_in_sources() -> BTreeSet<(u16, String)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).expect("src").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let re =
        regex::Regex::new(r#"(?:ApiError|Self)::new\(\s*(\d{3}),\s*"([a-z_]+)""#).expect("regex");
    let mut found = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read source");
        for c in re.captures_iter(&text) {
            found.insert((c[1].parse().expect("status"), c[2].to_string()));
        }
    }
    found.insert((503, "store_unavailable".into()));
    found
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
    // Unknown routes: documented once, in components/responses/RouteNotFound.
    declared.insert((404, "route_not_found".into()));
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
