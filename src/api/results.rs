//! Results: paginated answers and variables per result, and CSV export (formula-safe).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{AppState, auth};
use crate::error::ApiError;
use crate::session::results::to_csv;

#[derive(Debug, Deserialize)]
struct Page {
    cursor: Option<String>,
    limit: Option<usize>,
}

pub async fn list(req: &HttpRequest, state: &AppState, id: &str) -> Result<HttpResponse, ApiError> {
    auth::require_token(req, state.api_token.as_deref())?;
    let q = web::Query::<Page>::from_query(req.query_string())
        .map_err(|e| ApiError::bad_request(format!("Invalid query string: {e}")))?;
    let page = state
        .store
        .list_results(id, q.cursor.as_deref(), q.limit.unwrap_or(50))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

pub async fn csv(req: &HttpRequest, state: &AppState, id: &str) -> Result<HttpResponse, ApiError> {
    auth::require_token(req, state.api_token.as_deref())?;
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = state.store.list_results(id, cursor.as_deref(), 500).await?;
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
            format!("attachment; filename=\"{id}-results.csv\""),
        ))
        .body(to_csv(&all)))
}
