//! Progress data, precomputed at compile time so that no turn walks the graph.
//!
//! Typebot computes `progress = (answers + 1) / (R + answers + 1) * 100`, where R counts the
//! input blocks reachable from the current input (itself included), with a graph walk on every
//! turn. Here R is computed once per input block when the flow is compiled.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::block::{BlockKind, Logic};
use super::compile::{CompiledFlow, Target};

#[derive(Debug, Default)]
pub struct ProgressTable {
    remaining: HashMap<u32, u32>,
}

impl ProgressTable {
    /// Computes R for every input block of the flow.
    pub fn build(flow: &CompiledFlow) -> Self {
        let mut remaining = HashMap::new();
        if !flow.settings.progress_enabled {
            return Self { remaining };
        }
        for (ix, b) in flow.blocks.iter().enumerate() {
            if matches!(b.kind, BlockKind::Input(_)) {
                remaining.insert(ix as u32, reachable_inputs(flow, ix as u32));
            }
        }
        Self { remaining }
    }

    /// R for an input block (0 when unknown).
    pub fn remaining(&self, block: u32) -> u32 {
        self.remaining.get(&block).copied().unwrap_or(0)
    }
}

/// Where execution may go after block `ix`: its edges, and the next block of its group.
pub fn successors(flow: &CompiledFlow, ix: u32) -> Vec<Target> {
    let b = flow.block(ix);
    let out = std::cell::RefCell::new(Vec::new());
    let push_target = |t: Option<Target>| {
        if let Some(t) = t {
            out.borrow_mut().push(t);
        }
    };
    let push_edge = |id: Option<&str>| push_target(id.and_then(|id| flow.edge(id)));
    match &b.kind {
        BlockKind::Input(input) => {
            for item in &input.items {
                push_edge(item.get("outgoingEdgeId").and_then(Value::as_str));
                for p in item
                    .get("paths")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    push_edge(p.get("outgoingEdgeId").and_then(Value::as_str));
                }
            }
        }
        BlockKind::Logic(Logic::Condition(items)) => {
            for it in items {
                push_edge(it.outgoing_edge_id.as_deref());
            }
        }
        BlockKind::Logic(Logic::AbTest(o)) => {
            push_edge(o.a_edge.as_deref());
            push_edge(o.b_edge.as_deref());
        }
        BlockKind::Logic(Logic::Jump { group_id, block_id }) => {
            push_target(flow.target(group_id, block_id.as_deref()));
        }
        _ => {}
    }
    push_edge(b.outgoing_edge_id.as_deref());
    let g = flow.group(b.group);
    if b.outgoing_edge_id.is_none() && ix + 1 < g.end() {
        push_target(Some(Target {
            group: b.group,
            block: ix + 1,
        }));
    }
    out.into_inner()
}

fn reachable_inputs(flow: &CompiledFlow, from: u32) -> u32 {
    let mut seen = HashSet::new();
    let mut stack = vec![from];
    let mut count = 0;
    while let Some(ix) = stack.pop() {
        if !seen.insert(ix) {
            continue;
        }
        if matches!(flow.block(ix).kind, BlockKind::Input(_)) {
            count += 1;
        }
        for t in successors(flow, ix) {
            if t.block < flow.group(t.group).end() {
                stack.push(t.block);
            }
        }
    }
    count
}
