//! Walk steps: results pages and the CSV export, and the routes that are not documented.

use serde_json::json;

use crate::checker::call;
use crate::walk::{CSV, RESULTS, START, World, enc};

/// Results pages and the CSV export.
pub async fn results(w: &World) {
    let (api, app) = (&w.api, &w.app);
    let r = api
        .call(
            app,
            call("GET", RESULTS, &["oa-chat"]).bearer().query("limit=1"),
        )
        .await;
    let cursor = r.json["nextCursor"]
        .as_str()
        .expect("more than one result")
        .to_string();
    let r = api
        .call(
            app,
            call("GET", RESULTS, &["oa-chat"])
                .bearer()
                .query(&format!("limit=500&cursor={}", enc(&cursor))),
        )
        .await;
    assert!(r.json.get("nextCursor").is_none());
    api.call(app, call("GET", RESULTS, &["oa-chat"])).await;
    let r = api.call(app, call("GET", CSV, &["oa-chat"]).bearer()).await;
    assert!(r.text.starts_with("Submitted at,Result ID"));
    assert!(
        r.headers
            .get("content-disposition")
            .is_some_and(|v| v.to_str().is_ok_and(|v| v.contains("oa-chat-results.csv")))
    );
    api.call(app, call("GET", CSV, &["oa-chat"]).token_of("nope"))
        .await;
    // An id that names no published bot: 404 flow_not_found on both.
    for route in [RESULTS, CSV] {
        let r = api
            .call(app, call("GET", route, &["no-such-bot"]).bearer())
            .await;
        assert_eq!(r.json["code"], "flow_not_found");
    }
}

/// Routes that are not documented answer the documented RouteNotFound response.
pub async fn fallbacks(w: &World) {
    let (api, app) = (&w.api, &w.app);
    let unknown = call("GET", "/api/v1/nope", &[]);
    let resp = api.send(app, &unknown).await;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    let declared = &api.spec["components"]["responses"]["RouteNotFound"];
    let what = format!("GET /api/v1/nope -> {status}: {text}");
    let body = api.check_response(declared, status, &headers, &text, &what);
    assert_eq!(
        (status, body["code"].clone()),
        (404, json!("route_not_found"))
    );
    let preflight = api.send(app, &call("OPTIONS", START, &["oa-chat"])).await;
    assert_eq!(preflight.status().as_u16(), 204);
}
