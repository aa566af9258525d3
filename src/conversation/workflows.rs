//! Workflows: the default tenant's published bots by name (their public id), started for a
//! user with a context (by a backend's trigger, or by the web player for the user of its
//! page), and each user's runs with their transcripts. A run is a session: a web player
//! continues it with `continueChat`, and its transcript is the core's.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::executions::DEFAULT_TENANT;
use super::start::Rendered;
use super::start::now;
use super::{
    Caller, Claim, Conversations, FlowChoice, Reply, ServiceError, StartOptions, TurnResult,
};
use crate::registry::PublishedFlow;
use crate::store::{Doc, Index};

/// Most runs remembered per user and workflow.
const MAX_USER_RUNS: usize = 1000;

/// The variables a run's user id is prefilled into (a bot that declares one of them gets it).
pub const USER_VARIABLES: &[&str] = &["user_id", "userId"];

/// A workflow as listed.
#[derive(Debug, Clone, Serialize)]
pub struct Workflow {
    pub name: String,
    pub title: String,
    pub description: String,
    /// Names of its declared variables (what a trigger's context can set).
    pub variables: Vec<String>,
}

/// A run as stored when it starts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRecord {
    pub run_id: String,
    pub workflow: String,
    pub user_id: String,
    pub context: Map<String, Value>,
    pub started_at: String,
}

/// A run as listed: its record, latest status and transcript.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    pub run_id: String,
    pub status: String,
    pub started_at: String,
    pub updated_at: String,
    pub context: Map<String, Value>,
    pub transcript: Vec<Value>,
}

/// One page of runs, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct RunsPage {
    pub runs: Vec<Run>,
    pub next_cursor: Option<String>,
}

/// The list key of a user's runs of a workflow (the user id hex-encoded: any text is safe).
fn runs_key(flow_id: &str, user_id: &str) -> String {
    let hex: String = user_id.bytes().map(|b| format!("{b:02x}")).collect();
    format!("{flow_id}/{hex}")
}

impl Conversations {
    /// The default tenant's published flow with this public id.
    async fn workflow(&self, name: &str) -> Result<PublishedFlow, ServiceError> {
        match self.registry.by_public_id(name).await? {
            Some(p)
                if !p.flow.is_archived && self.tenant_of(&p.flow.id).await? == DEFAULT_TENANT =>
            {
                Ok(p)
            }
            _ => Err(ServiceError::WorkflowNotFound),
        }
    }

    /// Every published flow of the default tenant.
    pub async fn workflows(&self) -> Result<Vec<Workflow>, ServiceError> {
        let mut out = Vec::new();
        for p in self.registry.list().await? {
            if self.tenant_of(&p.flow_id).await? != DEFAULT_TENANT {
                continue;
            }
            let Some(f) = self.registry.by_id(&p.flow_id).await? else {
                continue;
            };
            let flow = f.flow;
            let description = flow.raw_settings["metadata"]["description"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            out.push(Workflow {
                name: p.public_id,
                title: flow.name.clone(),
                description,
                variables: flow.variables.iter().map(|v| v.name.clone()).collect(),
            });
        }
        Ok(out)
    }

    /// Starts a workflow for a user (a backend's trigger); the context's keys set declared
    /// variables of that name.
    pub async fn trigger_workflow(
        &self,
        name: &str,
        user_id: &str,
        context: Map<String, Value>,
    ) -> Result<(RunRecord, TurnResult), ServiceError> {
        let opts = StartOptions {
            prefilled: context,
            ..StartOptions::default()
        };
        self.start_run(name, user_id, opts, &Caller::of(super::Surface::Workflows))
            .await
    }

    /// Starts a run of workflow `name` for `user_id` with these start options (the web
    /// player's, with its caller for the bot's allowed origins). The prefilled variables are
    /// the run's context; the user id is prefilled as `user_id` and `userId` over any the
    /// context names, so a run's user is the one it is listed under.
    pub async fn start_run(
        &self,
        name: &str,
        user_id: &str,
        opts: StartOptions,
        caller: &Caller,
    ) -> Result<(RunRecord, TurnResult), ServiceError> {
        self.run_started(name, user_id, opts, caller, None, |t| t)
            .await
    }

    /// `start_run`, the start rendered with `render` before its session is created, with the
    /// answer of `claim` (see `start_rendered`). The run's record is saved after: a crash in
    /// between leaves the run answered and continuable, but not listed.
    pub async fn start_run_rendered(
        &self,
        name: &str,
        user_id: &str,
        opts: StartOptions,
        caller: &Caller,
        claim: Option<&Claim>,
        render: impl FnOnce(TurnResult) -> Reply,
    ) -> Result<Reply, ServiceError> {
        let (_, reply) = self
            .run_started(name, user_id, opts, caller, claim, render)
            .await?;
        Ok(reply)
    }

    async fn run_started<R: Rendered>(
        &self,
        name: &str,
        user_id: &str,
        mut opts: StartOptions,
        caller: &Caller,
        claim: Option<&Claim>,
        render: impl FnOnce(TurnResult) -> R,
    ) -> Result<(RunRecord, R), ServiceError> {
        let flow = self.workflow(name).await?.flow;
        let started_at = now();
        let mut context = opts.prefilled.clone();
        for key in USER_VARIABLES {
            context.remove(*key);
            opts.prefilled
                .insert((*key).to_string(), Value::String(user_id.to_string()));
        }
        let mut session_id = String::new();
        let render = |turn: TurnResult| {
            session_id.clone_from(&turn.session_id);
            render(turn)
        };
        let choice = FlowChoice::Published(name.to_string());
        let rendered = self.start_with(choice, opts, caller, claim, render).await?;
        let run = RunRecord {
            run_id: session_id,
            workflow: name.to_string(),
            user_id: user_id.to_string(),
            context,
            started_at,
        };
        self.save(Doc::Run, &run.run_id, &run).await?;
        self.stores
            .executions
            .index_push(
                Index::UserRuns,
                &runs_key(&flow.id, user_id),
                &run.run_id,
                MAX_USER_RUNS,
                self.config.results_retention_secs,
            )
            .await?;
        Ok((run, rendered))
    }

    /// A user's runs of a workflow, newest first, `limit` after the run `cursor`.
    pub async fn runs(
        &self,
        name: &str,
        user_id: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<RunsPage, ServiceError> {
        let flow = self.workflow(name).await?.flow;
        let ids = self
            .stores
            .executions
            .index_list(Index::UserRuns, &runs_key(&flow.id, user_id))
            .await?;
        let start = match cursor {
            Some(c) => ids
                .iter()
                .position(|id| id == c)
                .map_or(ids.len(), |p| p + 1),
            None => 0,
        };
        let limit = limit.clamp(1, 100);
        let mut runs = Vec::new();
        for id in ids.iter().skip(start).take(limit) {
            let Some(record) = self.load::<RunRecord>(Doc::Run, id).await? else {
                continue;
            };
            let transcript = self.stores.transcripts.transcript_get(id).await?;
            let (status, updated_at, entries) = match transcript {
                Some(t) => (t.status, t.updated_at, t.entries),
                None => (
                    "waiting_input".into(),
                    record.started_at.clone(),
                    Vec::new(),
                ),
            };
            runs.push(Run {
                run_id: record.run_id,
                status,
                started_at: record.started_at,
                updated_at,
                context: record.context,
                transcript: entries
                    .iter()
                    .filter_map(|e| serde_json::from_str(e).ok())
                    .collect(),
            });
        }
        let next_cursor = (start + limit < ids.len())
            .then(|| ids.get(start + limit - 1).cloned())
            .flatten();
        Ok(RunsPage { runs, next_cursor })
    }
}
