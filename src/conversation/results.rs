//! What conversations write to results: the update a turn adds to its session's result, the
//! answers given to linked bots that keep their own result, the remember-user lookup at start,
//! and client logs.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::resume::decode;
use super::start::now;
use super::{Caller, Conversations, ServiceError, StartOptions, is_waiting};
use crate::engine::{SessionState, TurnAnswer, TurnOutput};
use crate::flow::{CompiledFlow, VarValue};
use crate::ids::new_id;
use crate::store::{AnswerRecord, ResultUpdate};

/// Longest `details` of one client log kept (characters of its JSON).
const MAX_LOG_DETAILS: usize = 4096;

impl Conversations {
    /// Saves client-side logs (`{status, description, details}` objects) on the session's
    /// result. Reads the session without its turn lease: logs may arrive while a turn runs.
    pub async fn client_logs(
        &self,
        session_id: &str,
        logs: Vec<Value>,
        caller: &Caller,
    ) -> Result<(), ServiceError> {
        let Some(data) = self.stores.sessions.peek(session_id).await? else {
            return Err(ServiceError::SessionMissing);
        };
        let state = decode(&data)?;
        // The bot's allowed origins apply to logs too.
        let root = &state.root().flow;
        if let Some(flow) = self.registry.revision(&root.id, &root.rev).await? {
            self.check_origin(&flow, caller)?;
        }
        let Some(result_id) = state.result_id() else {
            return Err(ServiceError::ResultMissing);
        };
        let logs = logs
            .into_iter()
            .map(|mut v| {
                if let Some(d) = v.get_mut("details")
                    && d.to_string().len() > MAX_LOG_DETAILS
                {
                    *d = Value::String(d.to_string().chars().take(MAX_LOG_DETAILS).collect());
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
            token_usage: None,
        };
        self.stores
            .results
            .record_result(&update, self.config.results_retention_secs)
            .await?;
        Ok(())
    }

    /// Remember-user: reuse an existing result of this bot (its variables prefill the new
    /// session, under the ones given); otherwise a fresh result id. A result of another bot
    /// is never reused.
    pub(super) async fn resolve_result(
        &self,
        flow: &CompiledFlow,
        opts: &mut StartOptions,
    ) -> Result<String, ServiceError> {
        if let Some(rid) = opts
            .result_id
            .as_deref()
            .filter(|_| flow.settings.remember_user)
            && let Some(existing) = self.stores.results.get_result(&flow.id, rid).await?
        {
            for (k, v) in existing.variables {
                opts.prefilled.entry(k).or_insert(v);
            }
            return Ok(existing.id);
        }
        Ok(new_id())
    }

    /// Records result updates; failures are logged (the turn itself already happened).
    pub(super) async fn record_all(&self, updates: impl Iterator<Item = ResultUpdate>) {
        for update in updates {
            if let Err(e) = self
                .stores
                .results
                .record_result(&update, self.config.results_retention_secs)
                .await
            {
                tracing::warn!(error = %e, result = %update.result_id, "could not record result");
            }
        }
    }
}

fn record(a: &TurnAnswer) -> AnswerRecord {
    AnswerRecord {
        block_id: a.block_id.clone(),
        key: a.key.clone(),
        content: a.content.clone(),
        attached_file_urls: a.attached_file_urls.clone(),
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
    let completed = !is_waiting(out);
    let own: Vec<_> = out
        .answers
        .iter()
        .zip(&out.answer_results)
        .filter(|(_, r)| r.is_none())
        .map(|(a, _)| record(a))
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
    let token_usage = out
        .token_usage
        .as_ref()
        .and_then(|u| serde_json::to_value(u).ok());
    if !changed && own.is_empty() && out.logs.is_empty() && !completed && token_usage.is_none() {
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
        token_usage,
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
            Some(u) => u.answers.push(record(answer)),
            None => updates.push(ResultUpdate {
                flow_id: flow_id.clone(),
                result_id: result_id.clone(),
                at: now(),
                answers: vec![record(answer)],
                variables: Map::new(),
                logs: Vec::new(),
                completed: false,
                token_usage: None,
            }),
        }
    }
    updates
}
