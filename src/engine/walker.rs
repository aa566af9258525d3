//! The walk: execute blocks in order, follow edges, stop at the first input, at an action the
//! client must answer, or at the end. An explicit loop with a per-turn step budget. The turn
//! context it walks in ([`Turn`]) lives in `context.rs`.

use std::sync::Arc;

use chrono::Utc;

use super::blocks::{self, Next};
use super::context::Turn;
use super::state::{FlowRef, Frame, STATE_FORMAT, SessionState};
use super::turn::{Log, TurnOutput, TurnStatus};
use super::{Engine, EngineError, StartFrom, StartParams};
use crate::flow::{CompiledFlow, Target};

/// How a group run ended.
enum Exit {
    /// Leave the group towards this target (None: no next edge).
    Goto(Option<Target>),
    /// The turn stops here (input shown, waiting action, or failure).
    Stop,
}

impl<'e> Turn<'e> {
    pub fn new_session(
        engine: &'e Engine,
        flow: Arc<CompiledFlow>,
        p: &StartParams,
        result_id: String,
    ) -> Self {
        let mut vars = std::collections::BTreeMap::new();
        for d in &flow.variables {
            if let Some(v) = &d.default {
                vars.insert(d.id.clone(), v.clone());
            }
        }
        let state = SessionState {
            v: STATE_FORMAT,
            frames: vec![Frame {
                flow: FlowRef {
                    id: flow.id.clone(),
                    rev: flow.revision.clone(),
                },
                vars,
                answers: Vec::new(),
                result_id: (!p.preview).then_some(result_id),
                resume: None,
                queued: Vec::new(),
                merge: false,
            }],
            cur: None,
            mark: None,
            answered: flow.settings.progress_enabled.then_some(0),
            stream: p.stream,
            preview: p.preview,
            at: Utc::now().timestamp(),
            trail: blocks::needs_trail(&flow).then(Vec::new),
            done: false,
        };
        Turn {
            engine,
            state,
            flows: vec![flow],
            out: TurnOutput::default(),
            format: p.format,
            js_runs: 0,
            now: Utc::now(),
            registering: false,
        }
    }

    /// The first turn of a session.
    pub async fn start(&mut self, p: StartParams) -> Result<(), EngineError> {
        self.prefill(&p.prefilled);
        // The bot object of the start response shows the theme as of the first block.
        self.out.initial_vars = Some(self.state.top().vars.clone());
        if p.only_registering {
            // Nothing runs: the session waits for the first message, which starts the flow.
            self.out.status = TurnStatus::WaitingInput;
            self.registering = true;
            return Ok(());
        }
        let flow = self.flow();
        let start = match &p.start_from {
            Some(StartFrom::Group(g)) => {
                Some(flow.target(g, None).ok_or(EngineError::StartGroupMissing)?)
            }
            Some(StartFrom::Event(e)) => {
                let ev = flow.event(e).ok_or(EngineError::StartEventMissing)?;
                ev.outgoing_edge_id.as_deref().and_then(|id| flow.edge(id))
            }
            None => flow.start,
        };
        self.run_from(start, p.message).await
    }

    /// Walks from `start`, then auto-continues with `message` when the flow starts with a
    /// text-like input and nothing was said before it.
    pub async fn run_from(
        &mut self,
        start: Option<Target>,
        message: Option<crate::engine::Message>,
    ) -> Result<(), EngineError> {
        self.walk(start).await?;
        if let Some(msg) = message
            && self.out.messages.is_empty()
            && !self.out.awaits_client()
            && self.current_input_accepts_start_message()
        {
            self.continue_with(Some(msg)).await?;
        }
        Ok(())
    }

    fn current_input_accepts_start_message(&self) -> bool {
        use crate::flow::block::{BlockKind, InputKind};
        let Some(cur) = &self.state.cur else {
            return false;
        };
        let flow = &self.flows[self.flows.len() - 1];
        let Some(ix) = flow.block_index(cur) else {
            return false;
        };
        match &flow.block(ix).kind {
            BlockKind::Input(i) => !matches!(
                i.kind,
                InputKind::Cards
                    | InputKind::PictureChoice
                    | InputKind::Choice
                    | InputKind::Payment
            ),
            _ => false,
        }
    }

    /// The walk loop: groups, edges, frame pops, until a stop or the end.
    pub async fn walk(&mut self, start: Option<Target>) -> Result<(), EngineError> {
        self.out.walked = true;
        self.state.cur = None;
        let mut next = start;
        loop {
            let Some(target) = next.take() else {
                match self.out_of_edges() {
                    Some(t) => {
                        next = t;
                        continue;
                    }
                    None => {
                        self.out.status = TurnStatus::Completed;
                        self.out.input = None;
                        return Ok(());
                    }
                }
            };
            match self.run_group(target).await? {
                Exit::Goto(t) => next = t,
                Exit::Stop => return Ok(()),
            }
        }
    }

    /// No next edge in the running frame: follow a queued position, or pop a linked frame.
    /// Returns None when the conversation is over, Some(next) to go on.
    fn out_of_edges(&mut self) -> Option<Option<Target>> {
        let flow = self.flow();
        if !self.state.top().queued.is_empty() {
            let pos = self.state.top_mut().queued.remove(0);
            return Some(flow.target(&pos.g, pos.b.as_deref()));
        }
        if self.state.frames.len() > 1 {
            let child = self.state.frames.pop()?;
            let child_flow = self.flows.pop()?;
            self.merge_child(&child, &child_flow);
            let parent = self.flow();
            return Some(
                child
                    .resume
                    .and_then(|p| parent.target(&p.g, p.b.as_deref())),
            );
        }
        None
    }

    fn merge_child(&mut self, child: &Frame, child_flow: &CompiledFlow) {
        if let Some(n) = self.state.answered.as_mut() {
            *n += child.answers.len() as u32;
        }
        if !child.merge {
            return;
        }
        let parent_flow = self.flow();
        let parent = self.state.top_mut();
        for d in &child_flow.variables {
            let value = child.vars.get(&d.id);
            if let Some(pd) = parent_flow.variable_by_name(&d.name) {
                match value {
                    Some(v) => {
                        parent.vars.insert(pd.id.clone(), v.clone());
                    }
                    None if child_flow.id == parent_flow.id => {
                        parent.vars.remove(&pd.id);
                    }
                    None => {}
                }
            }
        }
        parent
            .answers
            .retain(|a| !child.answers.iter().any(|c| c.k == a.k));
        parent.answers.extend(child.answers.iter().cloned());
    }

    async fn run_group(&mut self, t: Target) -> Result<Exit, EngineError> {
        let flow = self.flow();
        let group = flow.group(t.group);
        for ix in t.block..group.end() {
            self.out.steps += 1;
            if self.out.steps > self.engine.config.step_budget {
                let msg = format!(
                    "Stopped after {} blocks in one turn: the flow seems to loop without asking anything (last block {}).",
                    self.engine.config.step_budget,
                    flow.block(ix).id
                );
                tracing::warn!(flow = %flow.id, block = %flow.block(ix).id, "step budget exhausted");
                self.out.logs.push(Log::error(msg));
                self.out.status = TurnStatus::Failed;
                self.state.cur = None;
                return Ok(Exit::Stop);
            }
            let block = flow.block(ix);
            match blocks::execute(self, ix).await? {
                Next::Continue => {
                    if !blocks::is_bubble(block)
                        && let Some(e) = &block.outgoing_edge_id
                    {
                        return Ok(Exit::Goto(self.flow().edge(e)));
                    }
                }
                Next::Edge(id) => return Ok(Exit::Goto(self.flow().edge(&id))),
                Next::Goto(t) => return Ok(Exit::Goto(t)),
                Next::End => return Ok(Exit::Goto(None)),
                Next::Stop(status) => {
                    self.state.cur = Some(block.id.clone());
                    self.out.status = status;
                    return Ok(Exit::Stop);
                }
                Next::Fail => {
                    self.out.status = TurnStatus::Failed;
                    return Ok(Exit::Stop);
                }
            }
        }
        let last = group.end().checked_sub(1).filter(|l| *l >= group.first);
        Ok(Exit::Goto(
            last.and_then(|l| flow.block(l).outgoing_edge_id.as_deref())
                .and_then(|e| flow.edge(e)),
        ))
    }
}
