//! File-upload replies: the URLs the client sends back for a file input, checked against the
//! input's options (one URL or several, allowed extensions).

use super::parse;
use crate::flow::block::Input;

/// File replies: URLs joined by ", "; at least one http(s) URL, allowed extensions only.
pub fn parse_files(input: &Input, reply: &str) -> Option<String> {
    let reply = if input.options.is_multiple_allowed == Some(true) {
        reply.to_string()
    } else {
        reply.split(',').next().unwrap_or_default().to_string()
    };
    let urls: Vec<&str> = reply
        .split(", ")
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .collect();
    if !urls.iter().any(|u| parse::is_http_url_lenient(u)) {
        return None;
    }
    let ft = &input.options.allowed_file_types;
    if ft.is_enabled == Some(true) && !ft.types.is_empty() {
        let allowed: Vec<String> = ft
            .types
            .iter()
            .map(|t| t.trim_start_matches('.').to_lowercase())
            .collect();
        let ok = urls.iter().all(|u| {
            let path = u.split(['?', '#']).next().unwrap_or(u);
            let ext = path
                .rsplit_once('.')
                .map(|(_, e)| e.to_lowercase())
                .unwrap_or_default();
            allowed.iter().any(|a| a == &ext || a == "*")
        });
        if !ok {
            return None;
        }
    }
    Some(reply)
}
