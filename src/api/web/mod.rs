//! The web surface: server-rendered pages and the embeddable player, served by `tessera serve`
//! itself. `GET /` lists the published bots; `GET /{publicId}` is a full-page bot (head from
//! the bot's metadata, variables prefilled from the query string); `/embed.js` and
//! `/_tessera/{file}` are the player's files, compiled into the binary ([`assets`]). The player
//! talks to the chat API of the same server; nothing here runs a turn.
//!
//! Pages are sent with a strict Content Security Policy ([`PAGE_CSP`]): scripts and styles
//! from this server only, no inline script, no `eval`. The player styles its shadow root with
//! constructed stylesheets (CSSOM, which CSP does not block) and never writes `style`
//! attributes.

pub mod assets;
pub mod page;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::AppState;
use super::error::ApiError;

/// Operator settings of the web surface.
#[derive(Debug, Clone, Default)]
pub struct WebOptions {
    /// Include a bot's `settings.metadata.customHeadCode` in its page (off by default: it is
    /// HTML written by the bot author, and the page CSP still applies to it).
    pub custom_head_code: bool,
}

/// The Content Security Policy of every page. Bot content (images, videos, embeds) may come
/// from any https host, as the bot author wrote it, and images, sounds and videos may be
/// `data:` URLs (the bundled bots carry their sounds inline); code, styles, fonts and API
/// calls only from this server.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' https: data: blob:; media-src 'self' https: data: blob:; frame-src https:; \
connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'";

/// The page CSP for a server whose uploads go to `upload_origin` (an S3 bucket): the player
/// PUTs files there, so `connect-src` names it beside `'self'`.
fn page_csp(upload_origin: Option<&str>) -> std::borrow::Cow<'static, str> {
    match upload_origin {
        None => PAGE_CSP.into(),
        Some(o) => PAGE_CSP
            .replace("connect-src 'self'", &format!("connect-src 'self' {o}"))
            .into(),
    }
}

/// Single-segment paths that are not bot pages (they stay JSON 404s of the API).
const RESERVED: &[&str] = &["api", "_tessera"];

/// An HTML page with the page security headers.
fn html(state: &AppState, status: u16, body: String) -> HttpResponse {
    let code = actix_web::http::StatusCode::from_u16(status)
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(code)
        .content_type("text/html; charset=utf-8")
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            page_csp(state.uploads.upload_origin().as_deref()).into_owned(),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "strict-origin-when-cross-origin"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(body)
}

fn rendered(
    state: &AppState,
    status: u16,
    name: &str,
    view: &serde_json::Value,
) -> Result<HttpResponse, ApiError> {
    let body = page::render(name, view).map_err(ApiError::internal)?;
    Ok(html(state, status, body))
}

/// The origin the request was addressed to (for the snippets shown on the index page).
fn origin_of(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// `GET /`: the published bots.
pub async fn index(req: &HttpRequest, state: &AppState) -> Result<HttpResponse, ApiError> {
    let bots = state.registry.list().await?;
    rendered(
        state,
        200,
        "index",
        &page::index_view(bots, &origin_of(req)),
    )
}

/// `GET /{publicId}`: the bot as a full page, or an HTML 404.
pub async fn bot_page(
    req: &HttpRequest,
    state: &AppState,
    public_id: &str,
) -> Result<HttpResponse, ApiError> {
    if RESERVED.contains(&public_id) {
        return Err(ApiError::route_not_found());
    }
    let Some(found) = state.registry.by_public_id(public_id).await? else {
        return rendered(state, 404, "not_found", &json!({ "publicId": public_id }));
    };
    let query = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default();
    let view = page::bot_view(&found.flow, public_id, &query, state.web.custom_head_code);
    rendered(state, 200, "bot", &view)
}

/// `GET /embed.js` and `GET /_tessera/{file}`.
pub fn asset(req: &HttpRequest, name: &str) -> Result<HttpResponse, ApiError> {
    let found = assets::find(name).ok_or_else(ApiError::route_not_found)?;
    Ok(assets::serve(req, found))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_may_send_files_to_the_upload_bucket_and_nowhere_else() {
        assert_eq!(page_csp(None), PAGE_CSP);
        let csp = page_csp(Some("https://docs.s3.example.com"));
        assert!(
            csp.contains("; connect-src 'self' https://docs.s3.example.com; "),
            "{csp}"
        );
        assert_eq!(
            csp.replace(" https://docs.s3.example.com", ""),
            PAGE_CSP,
            "only connect-src changes"
        );
    }
}
