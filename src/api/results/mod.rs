//! Results: paginated answers and variables per result, and CSV export (formula-safe, in
//! [`csv`]). A flow is named by its id or its public id; an unknown flow is 404.

mod csv;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::error::ApiError;
use super::{AppState, auth};
use csv::to_csv;

#[derive(Debug, Deserialize)]
struct Page {
    cursor: Option<String>,
    /// Any integer: clamped to 1..500 (as the spec says), so 0 or a huge one is no error.
    limit: Option<i64>,
}

pub async fn list(req: &HttpRequest, state: &AppState, id: &str) -> Result<HttpResponse, ApiError> {
    auth::require_token(req, state.api_token.as_deref())?;
    let q = web::Query::<Page>::from_query(req.query_string())
        .map_err(|e| ApiError::bad_request(format!("Invalid query string: {e}")))?;
    let flow_id = flow_id(state, id).await?;
    let page = state
        .stores
        .results
        .list_results(&flow_id, q.cursor.as_deref(), page_size(q.limit))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

pub async fn csv(req: &HttpRequest, state: &AppState, id: &str) -> Result<HttpResponse, ApiError> {
    auth::require_token(req, state.api_token.as_deref())?;
    let flow_id = flow_id(state, id).await?;
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = state
            .stores
            .results
            .list_results(&flow_id, cursor.as_deref(), 500)
            .await?;
        all.extend(page.results);
        match page.next_cursor {
            Some(c) if all.len() < 100_000 => cursor = Some(c),
            _ => break,
        }
    }
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"{flow_id}-results.csv\""),
        ))
        .body(to_csv(&all)))
}

/// Results per page: 50 by default, clamped to 1..500.
fn page_size(limit: Option<i64>) -> usize {
    // Clamped first, so the cast cannot truncate.
    limit.unwrap_or(50).clamp(1, 500) as usize
}

/// The id of the published flow named by `key` (its id or public id), or 404.
async fn flow_id(state: &AppState, key: &str) -> Result<String, ApiError> {
    Ok(state
        .registry
        .find_publication(key)
        .await?
        .ok_or_else(ApiError::flow_not_found)?
        .flow_id)
}
