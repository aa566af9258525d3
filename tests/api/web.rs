//! The web surface: the index page, bot pages (metadata head, query prefill, hidden query,
//! escaping, custom head code only when allowed), the HTML 404, the routes it must not shadow,
//! and the embedded player files with their types and cache headers.

use serde_json::{Value, json};

use crate::common::app::{TestApp, spawn_app, spawn_app_with};
use crate::common::bots::{bot, text, var};
use crate::common::http::into_json;
use crate::common::replies::assert_error;
use crate::support::get;

fn page_bot() -> Value {
    let mut b = bot(
        "web-page",
        json!([text("t-hi", "Hello {{First name}}")]),
        json!([var("v-first", "First name")]),
    );
    b["publicId"] = json!("web-page-public");
    b["name"] = json!("Page <b>bot</b>");
    b["settings"] = json!({"metadata": {
        "title": "Acme <script>alert(1)</script> help",
        "description": "Ask \"anything\"",
        "imageUrl": "https://cdn.example/card.png",
        "favIconUrl": "javascript:alert(1)",
        "customHeadCode": "<meta name=\"acme-head\" content=\"1\">"
    }});
    b
}

async fn page(app: &TestApp, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let r = get(app, path, None).await;
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.text().await.expect("body"))
}

#[tokio::test]
async fn the_index_page_lists_every_published_bot_with_a_link() {
    let app = spawn_app().await;
    assert_eq!(app.publish("web-page", &page_bot()).await.0, 200);
    let (status, headers, html) = page(&app, "/").await;
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .is_ok_and(|c| c.starts_with("text/html"))
    );
    let csp = headers["content-security-policy"].to_str().expect("csp");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe"),
        "{csp}"
    );
    assert!(
        html.contains(r#"<a href="/web-page-public">Page &lt;b&gt;bot&lt;/b&gt;</a>"#),
        "{html}"
    );
    assert!(html.contains("/embed.js"));
}

#[tokio::test]
async fn a_bot_page_has_the_metadata_head_escaped_and_the_query_as_prefilled_variables() {
    let app = spawn_app().await;
    app.publish("web-page", &page_bot()).await;
    let (status, headers, html) = page(&app, "/web-page-public?First%20name=John&x=%22%3E").await;
    assert_eq!(status, 200);
    assert!(headers.contains_key("content-security-policy"));
    assert!(
        html.contains("<title>Acme &lt;script&gt;alert(1)&lt;/script&gt; help</title>"),
        "{html}"
    );
    assert!(html.contains(r#"<meta name="description" content="Ask &quot;anything&quot;">"#));
    assert!(html.contains(r#"<meta property="og:image" content="https://cdn.example/card.png">"#));
    assert!(
        !html.contains("javascript:"),
        "a javascript: favicon is dropped"
    );
    assert!(
        !html.contains("acme-head"),
        "custom head code needs the operator's consent"
    );
    assert!(html.contains(r#"bot="web-page-public""#));
    assert!(html.contains(r#"prefilled="{&quot;First name&quot;:&quot;John&quot;,&quot;x&quot;:&quot;\&quot;&gt;&quot;}""#), "{html}");
    assert!(
        html.contains(" hide-query"),
        "isHideQueryParamsEnabled defaults to true"
    );
    assert!(html.contains(r#"<script src="/embed.js"></script>"#));
    assert!(!html.contains("<script>"), "no inline script");
}

#[tokio::test]
async fn custom_head_code_is_included_when_the_operator_allows_it() {
    let app = spawn_app_with(|c| c.web_custom_head_code = true).await;
    app.publish("web-page", &page_bot()).await;
    let (_, _, html) = page(&app, "/web-page-public").await;
    assert!(
        html.contains(r#"<meta name="acme-head" content="1">"#),
        "{html}"
    );
}

#[tokio::test]
async fn query_parameters_stay_visible_when_the_bot_disables_hiding_them() {
    let app = spawn_app().await;
    let mut b = page_bot();
    b["settings"]["general"] = json!({"isHideQueryParamsEnabled": false});
    app.publish("web-page", &b).await;
    let (_, _, html) = page(&app, "/web-page-public?First%20name=John").await;
    assert!(!html.contains("hide-query"), "{html}");
}

#[tokio::test]
async fn an_unknown_bot_page_is_an_html_404_and_api_paths_stay_json() {
    let app = spawn_app().await;
    let (status, headers, html) = page(&app, "/no-such-bot").await;
    assert_eq!(status, 404);
    assert!(
        headers["content-type"]
            .to_str()
            .is_ok_and(|c| c.starts_with("text/html"))
    );
    assert!(html.contains("no-such-bot") && html.contains(r#"href="/""#));
    assert_error(
        &into_json(get(&app, "/api", None).await).await,
        404,
        "route_not_found",
    );
    assert_error(
        &into_json(get(&app, "/api/v1/nothing", None).await).await,
        404,
        "route_not_found",
    );
    assert_error(
        &into_json(get(&app, "/_tessera/x.js", None).await).await,
        404,
        "route_not_found",
    );
    let health = into_json(get(&app, "/healthz", None).await).await;
    assert_eq!(health, (200, json!({"status": "ok"})));
    assert_eq!(page(&app, "/openapi.yaml").await.0, 200);
}

#[tokio::test]
async fn the_player_files_have_their_types_an_etag_and_a_public_cache() {
    let app = spawn_app().await;
    for (path, ctype) in [
        ("/embed.js", "text/javascript"),
        ("/_tessera/widget.js", "text/javascript"),
        ("/_tessera/inputs-more.js", "text/javascript"),
        ("/_tessera/file-input.js", "text/javascript"),
        ("/_tessera/player.css", "text/css"),
    ] {
        let r = get(&app, path, None).await;
        assert_eq!(r.status().as_u16(), 200, "{path}");
        let h = r.headers();
        assert!(
            h["content-type"]
                .to_str()
                .is_ok_and(|c| c.starts_with(ctype)),
            "{path}"
        );
        assert!(
            h["cache-control"]
                .to_str()
                .is_ok_and(|c| c.starts_with("public"))
        );
        assert_eq!(h["x-content-type-options"], "nosniff");
        let etag = h["etag"].to_str().expect("etag").to_string();
        let again = app
            .client
            .get(format!("{}{path}", app.base))
            .header("if-none-match", &etag)
            .send()
            .await
            .expect("request");
        assert_eq!(again.status().as_u16(), 304, "{path}");
    }
}
