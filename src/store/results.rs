//! Results: what a conversation collected (answers, variables and logs per result), for the
//! results API and its CSV export. Written after each turn; kept for a retention period.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{BoxFuture, StoreError};

/// An answer given to an input block, as a result keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnswerRecord {
    pub block_id: String,
    pub key: String,
    pub content: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attached_file_urls: Vec<String>,
}

/// One result as stored and listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultRecord {
    pub id: String,
    pub flow_id: String,
    pub created_at: String,
    pub updated_at: String,
    pub is_completed: bool,
    pub has_started: bool,
    pub answers: Vec<AnswerRecord>,
    /// Variable name -> value (string or list), non-session variables with a value.
    pub variables: serde_json::Map<String, Value>,
    #[serde(default)]
    pub logs: Vec<Value>,
    /// The tokens the conversation's AI calls used, summed over its turns (the engine API's
    /// `token_usage` fields); absent until an AI call reported usage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_usage: Option<Value>,
}

/// What one turn adds to a result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultUpdate {
    pub flow_id: String,
    pub result_id: String,
    pub at: String,
    pub answers: Vec<AnswerRecord>,
    pub variables: serde_json::Map<String, Value>,
    pub logs: Vec<Value>,
    pub completed: bool,
    /// The turn's token usage (JSON with the engine API's `token_usage` fields), when an AI
    /// call of the turn reported it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_usage: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultsPage {
    pub results: Vec<ResultRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl ResultRecord {
    /// Applies an update: answers with the same key (block) are replaced, variables merged.
    pub fn apply(&mut self, u: &ResultUpdate) {
        for a in &u.answers {
            self.answers.retain(|x| x.key != a.key);
            self.answers.push(a.clone());
        }
        for (k, v) in &u.variables {
            self.variables.insert(k.clone(), v.clone());
        }
        self.logs.extend(u.logs.iter().cloned());
        if let Some(turn) = &u.token_usage {
            add_usage(&mut self.token_usage, turn);
        }
        if self.logs.len() > 200 {
            let extra = self.logs.len() - 200;
            self.logs.drain(..extra);
        }
        self.has_started |= !self.answers.is_empty();
        self.is_completed |= u.completed && !self.answers.is_empty();
        self.updated_at = u.at.clone();
    }

    pub fn new(u: &ResultUpdate) -> Self {
        let mut r = ResultRecord {
            id: u.result_id.clone(),
            flow_id: u.flow_id.clone(),
            created_at: u.at.clone(),
            updated_at: u.at.clone(),
            is_completed: false,
            has_started: false,
            answers: Vec::new(),
            variables: serde_json::Map::new(),
            logs: Vec::new(),
            token_usage: None,
        };
        r.apply(u);
        r
    }
}

/// Adds one turn's token usage to a result's total: the token counts are summed, the model is
/// the latest one, and the cost is summed while every turn had a price (null as soon as one
/// had none). The store keeps usage as JSON (it does not know the engine's types).
pub fn add_usage(total: &mut Option<Value>, turn: &Value) {
    let Some(t) = total.as_mut().and_then(Value::as_object_mut) else {
        *total = Some(turn.clone());
        return;
    };
    for k in ["prompt_tokens", "completion_tokens", "total_tokens"] {
        let sum = t.get(k).and_then(Value::as_u64).unwrap_or(0)
            + turn.get(k).and_then(Value::as_u64).unwrap_or(0);
        t.insert(k.into(), sum.into());
    }
    if let Some(m) = turn.get("model").filter(|m| !m.is_null()) {
        t.insert("model".into(), m.clone());
    }
    let cost = match (
        t.get("cost_micros").and_then(Value::as_u64),
        turn.get("cost_micros").and_then(Value::as_u64),
    ) {
        (Some(a), Some(b)) => Some(a + b),
        _ => None,
    };
    t.insert("cost_micros".into(), cost.into());
    t.insert(
        "cost_usd".into(),
        cost.map(|c| c as f64 / 1_000_000.0).into(),
    );
}

/// Cuts a newest-first list into a page after `cursor` (the `createdAt|id` of the last item).
pub fn paginate(all: Vec<ResultRecord>, cursor: Option<&str>, limit: usize) -> ResultsPage {
    let start = match cursor {
        Some(c) => all
            .iter()
            .position(|r| format!("{}|{}", r.created_at, r.id) == c)
            .map_or(all.len(), |p| p + 1),
        None => 0,
    };
    let limit = limit.clamp(1, 500);
    let page: Vec<ResultRecord> = all.iter().skip(start).take(limit).cloned().collect();
    let next_cursor = (start + page.len() < all.len())
        .then(|| page.last().map(|r| format!("{}|{}", r.created_at, r.id)))
        .flatten();
    ResultsPage {
        results: page,
        next_cursor,
    }
}

pub trait ResultStore: Send + Sync {
    /// Applies a result update (answers, variables, logs, completion).
    fn record_result(
        &self,
        update: &ResultUpdate,
        retention_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>>;
    /// Lists a flow's results, newest first, after an opaque cursor.
    fn list_results(
        &self,
        flow_id: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> BoxFuture<'_, Result<ResultsPage, StoreError>>;
    /// Fetches one result (for remember-user resumes).
    fn get_result(
        &self,
        flow_id: &str,
        result_id: &str,
    ) -> BoxFuture<'_, Result<Option<ResultRecord>, StoreError>>;
}
