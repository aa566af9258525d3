//! The turn context: [`Turn`], the one turn in progress that blocks read and mutate (session
//! state, the flows of its frames, the output, the variable scope), with the helpers blocks call
//! (`flow`, `scope`, `after_block`, `pos_of`, ...) and the turn's load and finish.
//!
//! Blocks import this module, never the walker or the reply handling: `walker.rs` (the walk loop)
//! and `reply.rs` (continueChat) add their own `impl Turn` blocks and call into the blocks, so
//! the dependency runs one way (walker/reply -> blocks -> context).

use std::sync::Arc;

use chrono::Utc;
use serde_json::Value;

use super::state::{Pos, SessionState};
use super::turn::TurnOutput;
use super::{Engine, EngineError, TextFormat};
use crate::eval::scope::Scope;
use crate::flow::{CompiledFlow, Target, VarValue};

/// One turn in progress: the state being changed, the flows of its frames, the output.
pub struct Turn<'e> {
    pub engine: &'e Engine,
    pub state: SessionState,
    /// The compiled flow of each frame, parallel to `state.frames`.
    pub flows: Vec<Arc<CompiledFlow>>,
    pub out: TurnOutput,
    pub format: TextFormat,
    pub js_runs: u32,
    pub now: chrono::DateTime<Utc>,
    /// A registered-only start: nothing ran (progress then reads 100, like Typebot).
    pub registering: bool,
}

impl<'e> Turn<'e> {
    /// Loads the flows of a stored session.
    pub async fn load(
        engine: &'e Engine,
        state: SessionState,
        root: Arc<CompiledFlow>,
        format: TextFormat,
    ) -> Result<Turn<'e>, EngineError> {
        if state.done {
            return Err(EngineError::Finished);
        }
        let mut flows = Vec::with_capacity(state.frames.len());
        let mut root = Some(root);
        for f in &state.frames {
            // The root frame's revision was resolved by the caller: not looked up again.
            if let Some(r) = root.take_if(|r| r.id == f.flow.id && r.revision == f.flow.rev) {
                flows.push(r);
                continue;
            }
            root = None;
            let flow = engine
                .flows
                .revision(&f.flow.id, &f.flow.rev)
                .await?
                .ok_or(EngineError::FlowGone)?;
            flows.push(flow);
        }
        if flows.is_empty() {
            return Err(EngineError::FlowGone);
        }
        Ok(Turn {
            engine,
            state,
            flows,
            out: TurnOutput::default(),
            format,
            js_runs: 0,
            now: Utc::now(),
            registering: false,
        })
    }

    /// The flow of the running frame.
    pub fn flow(&self) -> Arc<CompiledFlow> {
        self.flows[self.flows.len() - 1].clone()
    }

    /// A scope over the running frame's variables.
    pub fn scope(&mut self) -> Scope<'_> {
        let n = self.flows.len() - 1;
        Scope {
            flow: &self.flows[n],
            vars: &mut self.state.frames[n].vars,
            limits: &self.engine.config.js,
            js_runs: &mut self.js_runs,
        }
    }

    /// Applies prefilled variables (by exact name; restricted by the bot's prefill setting).
    pub fn prefill(&mut self, values: &serde_json::Map<String, Value>) {
        let flow = self.flow();
        let mut scope = self.scope();
        for (name, value) in values {
            if let Some(allowed) = &flow.settings.prefillable
                && !allowed.contains(name)
            {
                continue;
            }
            if let Some(d) = flow.variable_by_name(name) {
                scope.set(&d.id, VarValue::from_json(value));
            }
        }
    }

    /// Finishes the turn: stamps the state, decides completion.
    pub fn finish(mut self) -> (SessionState, TurnOutput) {
        self.state.at = self.now.timestamp();
        if self.out.status.is_finished() {
            self.state.done = true;
        }
        self.out.progress =
            super::presentation::progress(&self.flows, &self.state, &self.out, self.registering);
        self.out.dynamic_theme = super::presentation::dynamic_theme(&self.flows, &mut self.state);
        (self.state, self.out)
    }

    /// The position right after block `ix` (next block, or the block's edge).
    pub fn after_block(&self, ix: u32) -> Option<Target> {
        let flow = &self.flows[self.flows.len() - 1];
        let b = flow.block(ix);
        if let Some(e) = &b.outgoing_edge_id {
            return flow.edge(e);
        }
        let g = flow.group(b.group);
        (ix + 1 < g.end()).then_some(Target {
            group: b.group,
            block: ix + 1,
        })
    }

    /// A stored position for a target of the running flow.
    pub fn pos_of(&self, t: Target) -> Pos {
        let flow = &self.flows[self.flows.len() - 1];
        let g = flow.group(t.group);
        Pos {
            g: g.id.clone(),
            b: (t.block < g.end()).then(|| flow.block(t.block).id.clone()),
        }
    }
}
