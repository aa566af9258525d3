//! Results: what a conversation collected (answers and variables per result), for the results
//! API and CSV export. Written after each turn; kept for a retention period.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::engine::turn::AnswerRecord;

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
        };
        r.apply(u);
        r
    }
}

/// CSV export with formula-injection escaping: a cell starting with `=`, `+`, `-`, `@`, tab or
/// carriage return is prefixed with `'` so spreadsheet software never evaluates it.
pub fn to_csv(results: &[ResultRecord]) -> String {
    let mut columns: Vec<String> = Vec::new();
    for r in results {
        for a in &r.answers {
            if !columns.contains(&a.key) {
                columns.push(a.key.clone());
            }
        }
        for k in r.variables.keys() {
            if !columns.contains(k) {
                columns.push(k.clone());
            }
        }
    }
    let mut out = String::new();
    let header: Vec<String> = ["Submitted at", "Result ID"]
        .iter()
        .map(|s| s.to_string())
        .chain(columns.iter().cloned())
        .collect();
    out.push_str(&header.iter().map(|h| cell(h)).collect::<Vec<_>>().join(","));
    out.push_str("\r\n");
    for r in results {
        let mut row = vec![cell(&r.created_at), cell(&r.id)];
        for c in &columns {
            let v = r
                .answers
                .iter()
                .find(|a| &a.key == c)
                .map(|a| a.content.clone())
                .or_else(|| {
                    r.variables.get(c).map(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string())
                    })
                })
                .unwrap_or_default();
            row.push(cell(&v));
        }
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

fn cell(v: &str) -> String {
    let guarded = if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{v}")
    } else {
        v.to_string()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_never_start_a_formula() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("+33"), "'+33");
        assert_eq!(cell("-1"), "'-1");
        assert_eq!(cell("@SUM"), "'@SUM");
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
    }
}
