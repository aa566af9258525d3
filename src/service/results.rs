//! What chat turns write to results: the update a turn adds to its session's result, the
//! remember-user lookup at start, and clientLogs. The results API reads them back through the
//! store; nothing here answers HTTP.

use std::collections::BTreeMap;

use chrono::Utc;
use serde_json::{Map, Value, json};

use super::response;
use super::wire::{ClientLogsRequest, parse_body};
use super::{ChatService, RequestCtx};
use crate::engine::{SessionState, TurnOutput};
use crate::error::ApiError;
use crate::flow::{CompiledFlow, VarValue};
use crate::ids::new_id;
use crate::session::ResultUpdate;

impl ChatService {
    /// Saves client-side logs on the session's result.
    pub async fn client_logs(
        &self,
        session_id: &str,
        body: &[u8],
        ctx: &RequestCtx,
    ) -> Result<Value, ApiError> {
        let req: ClientLogsRequest = parse_body(body)?;
        // Read without the turn lease: logs may arrive while a turn of the session runs.
        let Some(data) = self.store.peek(session_id).await? else {
            return Err(ApiError::session_not_found());
        };
        let state = SessionState::decode(&data)
            .map_err(|e| ApiError::internal(format!("stored session could not be read: {e}")))?;
        // The bot's allowed origins apply to logs too.
        let root = &state.root().flow;
        if let Some(flow) = self.registry.revision(&root.id, &root.rev, "").await? {
            self.check_origin(&flow, ctx)?;
        }
        let Some(result_id) = state.result_id() else {
            return Err(ApiError::new(404, "result_not_found", "Result not found."));
        };
        let logs: Vec<Value> = req
            .client_logs
            .iter()
            .map(|l| {
                let mut v = serde_json::to_value(l).unwrap_or(Value::Null);
                if let Some(d) = v.get_mut("details")
                    && d.to_string().len() > 4096
                {
                    *d = Value::String(d.to_string().chars().take(4096).collect());
                }
                v
            })
            .collect();
        let update = ResultUpdate {
            flow_id: state.root().flow.id.clone(),
            result_id: result_id.to_string(),
            at: now(),
            answers: Vec::new(),
            variables: Map::new(),
            logs,
            completed: false,
        };
        self.store
            .record_result(&update, self.config.results_retention_secs)
            .await?;
        Ok(json!({"message": "Logs successfully saved."}))
    }

    /// Remember-user: reuse an existing result of this bot (its variables prefill the new
    /// session); otherwise a fresh result id. A result of another bot is never reused.
    pub(super) async fn resolve_result(
        &self,
        flow: &CompiledFlow,
        requested: Option<&str>,
        prefilled: &mut Map<String, Value>,
    ) -> Result<String, ApiError> {
        if let Some(rid) = requested.filter(|_| flow.settings.remember_user)
            && let Some(existing) = self.store.get_result(&flow.id, rid).await?
        {
            for (k, v) in existing.variables {
                prefilled.entry(k).or_insert(v);
            }
            return Ok(existing.id);
        }
        Ok(new_id())
    }

    /// Records result updates; failures are logged (the turn itself already happened).
    pub(super) async fn record_all(&self, updates: impl Iterator<Item = ResultUpdate>) {
        for update in updates {
            if let Err(e) = self
                .store
                .record_result(&update, self.config.results_retention_secs)
                .await
            {
                tracing::warn!(error = %e, result = %update.result_id, "could not record result");
            }
        }
    }
}

/// What a turn adds to the session's result; None when the turn changed nothing a result holds
/// (no answer, no log, no variable change, not finished) or the session has no result.
/// `before`: the root frame's variables before the turn, so only the ones it changed are sent
/// (results merge variables); None sends every variable with a value (a start turn).
pub(super) fn result_update(
    flow: &CompiledFlow,
    state: &SessionState,
    out: &TurnOutput,
    before: Option<&BTreeMap<String, VarValue>>,
) -> Option<ResultUpdate> {
    let result_id = state.result_id()?;
    let completed = !response::is_waiting(out);
    let own: Vec<_> = out
        .answers
        .iter()
        .zip(&out.answer_results)
        .filter(|(_, r)| r.is_none())
        .map(|(a, _)| a.clone())
        .collect();
    let root = state.root();
    let mut variables = Map::new();
    for d in flow.variables.iter().filter(|d| !d.is_session) {
        if let Some(v) = root.vars.get(&d.id)
            && before.is_none_or(|b| b.get(&d.id) != Some(v))
        {
            variables.insert(d.name.clone(), v.to_json());
        }
    }
    let changed = before.is_none() || !variables.is_empty();
    if !changed && own.is_empty() && out.logs.is_empty() && !completed {
        return None;
    }
    Some(ResultUpdate {
        flow_id: flow.id.clone(),
        result_id: result_id.to_string(),
        at: now(),
        answers: own,
        variables,
        logs: out
            .logs
            .iter()
            .filter_map(|l| serde_json::to_value(l).ok())
            .collect(),
        completed,
    })
}

/// Answers given to linked bots that keep their own result (links with merging off), one
/// update per such result.
pub(super) fn linked_result_updates(out: &TurnOutput) -> Vec<ResultUpdate> {
    let mut updates: Vec<ResultUpdate> = Vec::new();
    for (answer, target) in out.answers.iter().zip(&out.answer_results) {
        let Some((flow_id, result_id)) = target else {
            continue;
        };
        match updates.iter_mut().find(|u| &u.result_id == result_id) {
            Some(u) => u.answers.push(answer.clone()),
            None => updates.push(ResultUpdate {
                flow_id: flow_id.clone(),
                result_id: result_id.clone(),
                at: now(),
                answers: vec![answer.clone()],
                variables: Map::new(),
                logs: Vec::new(),
                completed: false,
            }),
        }
    }
    updates
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
