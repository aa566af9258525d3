//! Validation findings: every problem of a flow is collected and reported at once, each
//! naming the group, block, edge, event or variable it is about.

use std::fmt;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// What a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "lowercase")]
pub enum Location {
    Flow,
    Group(String),
    Block(String),
    Edge(String),
    Event(String),
    Variable(String),
}

/// One validation finding with a stable machine-readable code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub severity: Severity,
    pub code: &'static str,
    pub location: Location,
    pub message: String,
}

impl Issue {
    pub fn error(code: &'static str, location: Location, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            code,
            location,
            message: message.into(),
        }
    }
    pub fn warning(code: &'static str, location: Location, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            code,
            location,
            message: message.into(),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Flow => write!(f, "flow"),
            Location::Group(id) => write!(f, "group {id}"),
            Location::Block(id) => write!(f, "block {id}"),
            Location::Edge(id) => write!(f, "edge {id}"),
            Location::Event(id) => write!(f, "event {id}"),
            Location::Variable(id) => write!(f, "variable {id}"),
        }
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{sev}[{}] {}: {}",
            self.code, self.location, self.message
        )
    }
}

/// A flow that failed to compile, with every error and warning found.
#[derive(Debug, Clone, thiserror::Error)]
#[error("flow has {} error(s)", self.errors().count())]
pub struct CompileError {
    pub issues: Vec<Issue>,
}

impl CompileError {
    pub fn errors(&self) -> impl Iterator<Item = &Issue> {
        self.issues.iter().filter(|i| i.severity == Severity::Error)
    }
}
