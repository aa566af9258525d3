//! The route table and its matcher. Every route of the server is declared once, in [`ROUTES`];
//! paths are matched segment by segment (`{name}` matches one segment), which is cheaper than a
//! regex router on the chat API's hot path. CORS preflights answer 204; a known path asked with
//! a method it does not serve, 405 with `Allow`; unknown routes, 404. Every response is
//! measured under its route's template ([`super::metrics`]).

use std::time::Instant;

use actix_web::{HttpRequest, HttpResponse, web};

use super::error::ApiError;
use super::typebot::{self, BotKey};
use super::{
    AppState, credentials, engine_api, flows, health, metrics, results, triggers, uploads,
    web as pages, webhooks, workflows,
};

pub use super::routes::{Handler, ROUTES};

/// Matches a request path; returns the handler and the path parameters (percent-decoded).
pub fn find(method: &str, path: &str) -> Option<(Handler, Vec<String>)> {
    find_route(method, path).map(|(_, handler, params)| (handler, params))
}

/// [`find`], with the index of the route in [`ROUTES`].
pub fn find_route(method: &str, path: &str) -> Option<(usize, Handler, Vec<String>)> {
    let path = path.trim_start_matches('/');
    same_depth(path)
        .filter(|(_, (m, _, _))| *m == method)
        .find_map(|(i, (_, pattern, handler))| Some((i, *handler, match_path(pattern, path)?)))
}

/// The routes (with their index in [`ROUTES`]) whose pattern has as many segments as `path`
/// (without its leading `/`): the only ones it can match.
fn same_depth(
    path: &str,
) -> impl Iterator<Item = (usize, &'static (&'static str, &'static str, Handler))> {
    let depth = slashes(path);
    let depths = &*ROUTE_DEPTHS;
    ROUTES
        .iter()
        .enumerate()
        .filter(move |(i, _)| depths[*i] == depth)
}

/// How many `/` a path has (without its leading one).
fn slashes(path: &str) -> usize {
    path.bytes().filter(|&b| b == b'/').count()
}

/// The depth of each route's pattern, by its index in [`ROUTES`]: counted once, not for
/// every request.
static ROUTE_DEPTHS: std::sync::LazyLock<Vec<usize>> = std::sync::LazyLock::new(|| {
    ROUTES
        .iter()
        .map(|(_, pattern, _)| slashes(pattern.trim_start_matches('/')))
        .collect()
});

/// The parameters of `path` (without its leading `/`) if it matches `pattern`, a pattern
/// with as many segments (see [`same_depth`]).
fn match_path(pattern: &str, path: &str) -> Option<Vec<String>> {
    let pat = pattern.trim_start_matches('/');
    let segments = || pat.split('/').zip(path.split('/'));
    // Every literal segment first: a path that differs in one allocates nothing.
    let fits = |(p, s): (&str, &str)| {
        if p.starts_with('{') {
            !s.is_empty()
        } else {
            p == s
        }
    };
    if !segments().all(fits) {
        return None;
    }
    let params = segments().filter(|(p, _)| p.starts_with('{'));
    Some(params.map(|(_, s)| percent_decode(s)).collect())
}

/// The methods some route serves on this path (empty: no route has it). Only asked when a
/// request matched no route, so it costs the hot path nothing.
pub fn methods_of(path: &str) -> Vec<&'static str> {
    let path = path.trim_start_matches('/');
    let mut methods: Vec<&'static str> = same_depth(path)
        .filter(|(_, (_, pattern, _))| match_path(pattern, path).is_some())
        .map(|(_, (m, _, _))| *m)
        .collect();
    methods.dedup();
    methods
}

fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The one service behind every path: routes the request, runs its handler, and records the
/// response under its route.
pub async fn dispatch(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let started = Instant::now();
    let method = req.method().as_str();
    let found = find_route(method, req.path());
    let per_ip = found.as_ref().is_none_or(|(_, h, _)| !h.server_to_server());
    if let Err(e) = state.limits.check(&req, per_ip) {
        return actix_web::ResponseError::error_response(&e);
    }
    let Some((route, handler, params)) = found else {
        let res = if method == "OPTIONS" {
            HttpResponse::NoContent().finish()
        } else {
            let allowed = methods_of(req.path());
            let error = if allowed.is_empty() {
                ApiError::route_not_found()
            } else {
                ApiError::method_not_allowed(&allowed)
            };
            actix_web::ResponseError::error_response(&error)
        };
        metrics::observe(None, res.status().as_u16(), started.elapsed());
        return res;
    };
    let res = run(&req, payload, &state, handler, params).await;
    metrics::observe(Some(route), res.status().as_u16(), started.elapsed());
    res
}

async fn run(
    req: &HttpRequest,
    payload: web::Payload,
    state: &web::Data<AppState>,
    handler: Handler,
    params: Vec<String>,
) -> HttpResponse {
    let p = params.first().cloned().unwrap_or_default();
    let p2 = params.get(1).map(String::as_str).unwrap_or_default();
    let p3 = params.get(2).map(String::as_str).unwrap_or_default();
    let result = match handler {
        Handler::ContinueChat => typebot::continue_chat(req, payload, state, &p).await,
        Handler::StartTypebot => typebot::start(req, payload, state, &p, BotKey::Typebot).await,
        Handler::StartMozbot => typebot::start(req, payload, state, &p, BotKey::Mozbot).await,
        Handler::PreviewStart => typebot::preview_start(req, payload, state, &p).await,
        Handler::ClientLogs => typebot::client_logs(req, payload, state, &p).await,
        Handler::ListFlows => flows::list(req, state).await,
        Handler::PublishFlow => flows::publish(req, payload, state, &p).await,
        Handler::GetFlow => flows::get_one(req, state, &p).await,
        Handler::UnpublishFlow => flows::unpublish(req, state, &p).await,
        Handler::Results => results::list(req, state, &p).await,
        Handler::ResultsCsv => results::csv(req, state, &p).await,
        Handler::Health => Ok(health::healthz()),
        Handler::Ready => Ok(health::readyz(state).await),
        Handler::OpenApi => Ok(health::openapi()),
        Handler::StreamMessage => typebot::stream_message(req, payload, state, &p).await,
        Handler::PutCredentials => credentials::put(req, payload, state, &p).await,
        Handler::GetCredentials => credentials::get(req, state, &p).await,
        Handler::DeleteCredentials => credentials::delete(req, state, &p).await,
        Handler::WebIndex => pages::index(req, state).await,
        Handler::EmbedJs => pages::asset(req, "embed.js"),
        Handler::WebAsset => pages::asset(req, &p),
        Handler::BotPage => pages::bot_page(req, state, &p).await,
        Handler::EngineTrigger => engine_api::trigger(req, payload, state).await,
        Handler::EngineResume => engine_api::resume(req, payload, state, &p).await,
        Handler::EngineExecution => engine_api::get_execution(req, state, &p).await,
        Handler::EngineAbort => engine_api::abort(req, payload, state, &p).await,
        Handler::EngineConversation => engine_api::conversation(req, state, &p).await,
        Handler::ListWorkflows => workflows::list(req, state).await,
        Handler::TriggerWorkflow => workflows::trigger(req, payload, state, &p).await,
        Handler::WorkflowRuns => workflows::runs(req, state, &p).await,
        Handler::Metrics => metrics::scrape(req, state).await,
        Handler::StartWorkflow => workflows::start(req, payload, state, &p).await,
        Handler::CreateTrigger => triggers::create(req, payload, state).await,
        Handler::ListTriggers => triggers::list(req, state).await,
        Handler::GetTrigger => triggers::get_one(req, state, &p).await,
        Handler::DeleteTrigger => triggers::delete(req, state, &p).await,
        Handler::RotateTriggerSecret => triggers::rotate(req, state, &p).await,
        Handler::TriggerEvent => triggers::event(req, payload, state, &p).await,
        Handler::TriggerEvents => triggers::events(req, state, &p).await,
        Handler::TriggerSession => triggers::session(req, state, &p, p2).await,
        Handler::GenerateUploadUrl => uploads::generate_upload_url(req, payload, state).await,
        Handler::PutUpload => uploads::put_upload(req, payload, state, &p).await,
        Handler::GetFile => uploads::get_file(state, &p, p2).await,
        Handler::ExecuteWebhook => webhooks::execute(req, payload, state, &p, p2, p3).await,
        Handler::WebhookSocket => webhooks::socket(req, payload, state, &p).await,
    };
    result.unwrap_or_else(|e| actix_web::ResponseError::error_response(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_by_segment() {
        assert_eq!(
            find("POST", "/api/v1/sessions/abc/continueChat"),
            Some((Handler::ContinueChat, vec!["abc".into()]))
        );
        assert_eq!(
            find("GET", "/api/v1/flows/x/results.csv"),
            Some((Handler::ResultsCsv, vec!["x".into()]))
        );
        assert_eq!(
            find("GET", "/api/v1/flows"),
            Some((Handler::ListFlows, vec![]))
        );
        assert_eq!(find("POST", "/api/v1/sessions//continueChat"), None);
        assert_eq!(find("GET", "/api/v1/sessions/abc/continueChat"), None);
        assert_eq!(find("GET", "/nope/deeper"), None);
        assert_eq!(
            find("GET", "/nope"),
            Some((Handler::BotPage, vec!["nope".into()]))
        );
        assert_eq!(find("GET", "/"), Some((Handler::WebIndex, vec![])));
        assert_eq!(find("GET", "/healthz"), Some((Handler::Health, vec![])));
        assert_eq!(
            methods_of("/api/v1/sessions/abc/continueChat"),
            vec!["POST"]
        );
        assert_eq!(methods_of("/api/v1/flows/x"), vec!["PUT", "GET", "DELETE"]);
        assert!(methods_of("/nope/deeper").is_empty());
        assert_eq!(
            find("PUT", "/api/v1/flows/a%20b"),
            Some((Handler::PublishFlow, vec!["a b".into()]))
        );
    }
}
