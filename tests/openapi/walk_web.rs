//! The web routes: the index page, the embed script and player files (with revalidation), and
//! bot pages (found, unknown, reserved).

use crate::checker::call;
use crate::walk::World;

pub async fn web(w: &World) {
    let (api, app) = (&w.api, &w.app);
    let r = api.call(app, call("GET", "/", &[])).await;
    assert!(r.text.contains("oa-chat-public"), "{}", r.text);
    let r = api.call(app, call("GET", "/embed.js", &[])).await;
    let etag = r.headers["etag"].to_str().expect("etag").to_string();
    let r = api
        .call(
            app,
            call("GET", "/embed.js", &[]).header("if-none-match", etag),
        )
        .await;
    assert_eq!(r.status, 304);
    let asset = "/_tessera/{file}";
    for file in ["widget.js", "player.css"] {
        api.call(app, call("GET", asset, &[file])).await;
    }
    let r = api.call(app, call("GET", asset, &["chat.js"])).await;
    let etag = r.headers["etag"].to_str().expect("etag").to_string();
    let r = api
        .call(
            app,
            call("GET", asset, &["chat.js"]).header("if-none-match", etag),
        )
        .await;
    assert_eq!(r.status, 304);
    api.call(app, call("GET", asset, &["nothing.js"])).await;
    let page = "/{publicId}";
    let r = api.call(app, call("GET", page, &["oa-chat-public"])).await;
    assert!(r.text.contains("<tessera-chat"), "{}", r.text);
    let r = api.call(app, call("GET", page, &["no-such-bot"])).await;
    assert_eq!(r.status, 404);
    let r = api.call(app, call("GET", page, &["api"])).await;
    assert_eq!(r.json["code"], "route_not_found");
}
