//! Progress data, precomputed so that no turn walks the graph.
//!
//! Typebot computes `progress = (answers + 1) / (R + answers + 1) * 100` with a graph walk on
//! every turn (`computeCurrentProgress.ts`). Reconstructed, that walk is a DFS from the current
//! input block that:
//!
//! * keeps one visited set per sub-flow level (shared by the whole DFS of that level), so a
//!   block is entered at most once per level;
//! * from a block, follows the edges of its items (choice / picture choice / condition / A-B
//!   test items, card paths) and its own outgoing edge, then every later block of its group;
//!   Typebot links, Jumps and Returns are not followed (they are plain blocks to it);
//! * calls a block *terminal* when it has no outgoing edge id at all (resolvable or not) and is
//!   the last block of its group. At a terminal of a linked flow it continues, with a **fresh**
//!   visited set, in the parent flow at the child's queued resume position (and so on up the
//!   stack); if that position does not exist it stops there without recording a path;
//! * pushes every input block it enters onto one path array shared by the whole walk, and
//!   records that same array as a finished path at every terminal (after the continuation).
//!
//! R is the longest recorded path, i.e. the length of the shared array: the number of input
//! entries over the whole walk. Within one level that is the number of distinct input blocks
//! reachable from the start, but each terminal of a linked flow re-walks the parent from its
//! resume position, so the parent's inputs are counted once per terminal. With no recorded path,
//! R is `-Infinity` and the progress `0`.
//!
//! Because the visited sets are per level and fresh for every continuation, R has a closed form.
//! For a start block `b` of a flow let `I(b)` be the number of input blocks reachable from `b`
//! (itself included) and `T(b)` the number of reachable terminal blocks. For a stack of frames
//! `0` (root) .. `n` (running), current input `c` and resume positions `r_n .. r_1` (`r_k` is
//! where frame `k - 1` resumes when frame `k` ends):
//!
//! `R = I(c) + T(c) * (I(r_n) + T(r_n) * (I(r_{n-1}) + ...))`
//!
//! where the chain stops at the root or at a missing resume position, and a path exists iff
//! `T(c) > 0` and the running frame is the root or its resume position exists. [`ProgressTable`]
//! holds `(I, T)` for every input block and every position a link block resumes at, so a turn
//! costs O(stack depth) lookups ([`remaining`]).

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use serde_json::Value;

use super::block::{BlockKind, Logic, item_paths};
use super::compile::{CompiledFlow, Target};

/// What the progress walk finds from one block, within its own flow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reach {
    /// Input blocks reachable, the start block included.
    pub inputs: u32,
    /// Reachable terminal blocks (no outgoing edge id, last of their group).
    pub terminals: u32,
}

/// [`Reach`] per block index, for input blocks and link resume positions.
///
/// Built at compile time for flows that show a progress bar; for other flows (which only need
/// it when linked from one that does) it is built on first use, once per compiled revision.
#[derive(Debug, Default)]
pub struct ProgressTable {
    reach: OnceLock<HashMap<u32, Reach>>,
}

impl ProgressTable {
    /// Precomputes the table when the flow shows a progress bar.
    pub fn build(flow: &CompiledFlow) -> Self {
        let table = Self::default();
        if flow.settings.progress_enabled {
            let _ = table.reach.set(compute(flow));
        }
        table
    }

    /// The reach of an input block or a link resume position of `flow` (the flow owning this
    /// table). `None` for other blocks.
    pub fn reach(&self, flow: &CompiledFlow, block: u32) -> Option<Reach> {
        self.reach
            .get_or_init(|| compute(flow))
            .get(&block)
            .copied()
    }
}

/// One frame of the sub-flow stack, for [`remaining`].
#[derive(Debug, Clone, Copy)]
pub struct Level<'a> {
    pub flow: &'a CompiledFlow,
    /// Where the frame below resumes when this one ends, resolved in the frame below's flow
    /// (`None` for the root frame, or when the position no longer exists).
    pub resume: Option<Target>,
}

/// R for the current input block `cur` of the last level of `stack` (root first), or `None`
/// when the walk records no path (Typebot's progress is then 0). O(stack depth).
pub fn remaining(stack: &[Level<'_>], cur: u32) -> Option<u64> {
    let top = stack.len().checked_sub(1)?;
    let mut total: u64 = 0;
    let mut weight: u64 = 1;
    let mut has_path = false;
    let mut block = cur;
    for k in (0..=top).rev() {
        let level = &stack[k];
        let r = level
            .flow
            .progress
            .reach(level.flow, block)
            .unwrap_or_default();
        total = total.saturating_add(weight.saturating_mul(u64::from(r.inputs)));
        if r.terminals == 0 || k == 0 {
            has_path |= k == top && r.terminals > 0;
            break;
        }
        let Some(resume) = level.resume else {
            break;
        };
        has_path |= k == top;
        let below = stack[k - 1].flow;
        if resume.block >= below.group(resume.group).end() {
            break; // an empty group: Typebot records the path but finds no block to walk
        }
        weight = weight.saturating_mul(u64::from(r.terminals));
        block = resume.block;
    }
    has_path.then_some(total)
}

/// The blocks the walk may start from: inputs, and where each link block resumes.
fn compute(flow: &CompiledFlow) -> HashMap<u32, Reach> {
    let mut starts: Vec<u32> = Vec::new();
    for (ix, b) in flow.blocks.iter().enumerate() {
        let ix = ix as u32;
        match &b.kind {
            BlockKind::Input(_) => starts.push(ix),
            BlockKind::Logic(Logic::TypebotLink(_)) => {
                let resume = match &b.outgoing_edge_id {
                    Some(e) => flow.edge(e).map(|t| t.block),
                    None => (ix + 1 < flow.group(b.group).end()).then_some(ix + 1),
                };
                if let Some(r) = resume.filter(|&r| r < flow.blocks.len() as u32) {
                    starts.push(r);
                }
            }
            _ => {}
        }
    }
    let mut table = HashMap::with_capacity(starts.len());
    for s in starts {
        table.entry(s).or_insert_with(|| reach_from(flow, s));
    }
    table
}

/// The outgoing edge ids the walk considers: items' (and card paths'), then the block's own.
pub fn edge_ids(flow: &CompiledFlow, ix: u32) -> Vec<&str> {
    let b = flow.block(ix);
    let mut out: Vec<&str> = Vec::new();
    match &b.kind {
        BlockKind::Input(input) => {
            for item in &input.items {
                out.extend(item.get("outgoingEdgeId").and_then(Value::as_str));
                for p in item_paths(item) {
                    out.extend(p.get("outgoingEdgeId").and_then(Value::as_str));
                }
            }
        }
        BlockKind::Logic(Logic::Condition(items)) => {
            out.extend(items.iter().filter_map(|it| it.outgoing_edge_id.as_deref()));
        }
        BlockKind::Logic(Logic::AbTest(o)) => {
            out.extend(o.a_edge.as_deref());
            out.extend(o.b_edge.as_deref());
        }
        _ => {}
    }
    out.extend(b.outgoing_edge_id.as_deref());
    out
}

/// Counts the inputs and terminals reachable from `from` within its flow.
fn reach_from(flow: &CompiledFlow, from: u32) -> Reach {
    let mut seen = HashSet::new();
    let mut stack = vec![from];
    let mut reach = Reach::default();
    while let Some(ix) = stack.pop() {
        if !seen.insert(ix) {
            continue;
        }
        if matches!(flow.block(ix).kind, BlockKind::Input(_)) {
            reach.inputs += 1;
        }
        let edges = edge_ids(flow, ix);
        let end = flow.group(flow.block(ix).group).end();
        if edges.is_empty() && ix + 1 == end {
            reach.terminals += 1;
        }
        for t in edges.into_iter().filter_map(|e| flow.edge(e)) {
            if t.block < flow.group(t.group).end() {
                stack.push(t.block);
            }
        }
        // Every later block of the group is walked; the next one leads to the others.
        if ix + 1 < end {
            stack.push(ix + 1);
        }
    }
    reach
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::load_str;

    fn text(id: &str) -> Value {
        serde_json::json!({"id": id, "type": "text", "content": {"richText": []}})
    }
    fn choice(id: &str, items: &[(&str, Option<&str>)], edge: Option<&str>) -> Value {
        let items: Vec<Value> = items
            .iter()
            .map(|(iid, e)| match e {
                Some(e) => serde_json::json!({"id": iid, "content": iid, "outgoingEdgeId": e}),
                None => serde_json::json!({"id": iid, "content": iid}),
            })
            .collect();
        let mut b = serde_json::json!({"id": id, "type": "choice input", "items": items});
        if let Some(e) = edge {
            b["outgoingEdgeId"] = e.into();
        }
        b
    }
    fn link(id: &str, group: &str) -> Value {
        serde_json::json!({"id": id, "type": "Typebot link",
            "options": {"typebotId": "current", "groupId": group}})
    }
    fn set_var(id: &str, edge: Option<&str>) -> Value {
        let mut b = serde_json::json!({"id": id, "type": "Set variable", "options": {}});
        if let Some(e) = edge {
            b["outgoingEdgeId"] = e.into();
        }
        b
    }
    fn edge(id: &str, group: &str) -> Value {
        serde_json::json!({"id": id, "from": {"blockId": "x"}, "to": {"groupId": group}})
    }

    /// Start group links (same flow) to a menu whose two branches each end in a terminal, then
    /// resumes into a tail of two inputs; a loop from the tail back to itself is harmless.
    ///
    /// ```text
    /// start: text, link -> menu, set (-> tail)
    /// menu:  choice m [a -> ga, b -> gb, c (no edge)]
    /// ga:    choice qa              (terminal)
    /// gb:    text, choice qb        (terminal)
    /// tail:  choice t1 (-> tail2)
    /// tail2: choice t2 [x -> tail]  (not terminal: it has an item edge)
    /// tail3 is unreachable.
    /// ```
    fn flow() -> std::sync::Arc<CompiledFlow> {
        let def = serde_json::json!({
            "version": "6",
            "id": "f",
            "name": "f",
            "events": [{"id": "ev", "type": "start", "outgoingEdgeId": "e0",
                        "graphCoordinates": {"x": 0, "y": 0}}],
            "groups": [
                {"id": "start", "title": "start", "graphCoordinates": {"x": 0, "y": 0},
                 "blocks": [text("s1"), link("s2", "menu"), set_var("s3", Some("e_tail"))]},
                {"id": "menu", "title": "menu", "graphCoordinates": {"x": 0, "y": 0},
                 "blocks": [choice("m", &[("a", Some("e_a")), ("b", Some("e_b")), ("c", None)], None)]},
                {"id": "ga", "title": "ga", "graphCoordinates": {"x": 0, "y": 0},
                 "blocks": [choice("qa", &[("a1", None)], None)]},
                {"id": "gb", "title": "gb", "graphCoordinates": {"x": 0, "y": 0},
                 "blocks": [text("gb1"), choice("qb", &[("b1", None)], None)]},
                {"id": "tail", "title": "tail", "graphCoordinates": {"x": 0, "y": 0},
                 "blocks": [choice("t1", &[("t1a", None)], Some("e_tail2"))]},
                {"id": "tail2", "title": "tail2", "graphCoordinates": {"x": 0, "y": 0},
                 "blocks": [choice("t2", &[("x", Some("e_loop")), ("y", None)], None)]},
                {"id": "tail3", "title": "tail3", "graphCoordinates": {"x": 0, "y": 0},
                 "blocks": [choice("t3", &[("z", None)], None)]},
            ],
            "edges": [edge("e0", "start"), edge("e_a", "ga"), edge("e_b", "gb"),
                      edge("e_tail", "tail"), edge("e_tail2", "tail2"), edge("e_loop", "tail")],
            "variables": [],
            "theme": {"general": {"progressBar": {"isEnabled": true}}},
            "settings": {},
        });
        load_str(&def.to_string()).expect("test flow compiles")
    }

    #[test]
    fn reach_counts_distinct_inputs_and_terminals_per_level() {
        let f = flow();
        let ix = |id: &str| f.block_index(id).unwrap();
        let r = |id: &str| f.progress.reach(&f, ix(id)).unwrap();
        // m reaches m, qa, qb (its own item c has no edge: not a terminal, m has item edges).
        assert_eq!(
            r("m"),
            Reach {
                inputs: 3,
                terminals: 2
            }
        );
        assert_eq!(
            r("qa"),
            Reach {
                inputs: 1,
                terminals: 1
            }
        );
        // The resume position of the link (s3) reaches the tail loop: no terminal there.
        assert_eq!(
            r("s3"),
            Reach {
                inputs: 2,
                terminals: 0
            }
        );
        assert_eq!(
            r("t2"),
            Reach {
                inputs: 2,
                terminals: 0
            }
        );
        // Blocks that are neither inputs nor resume positions are not tabulated.
        assert_eq!(f.progress.reach(&f, ix("s1")), None);
    }

    #[test]
    fn remaining_re_counts_the_parent_once_per_child_terminal() {
        let f = flow();
        let ix = |id: &str| f.block_index(id).unwrap();
        let resume = Some(Target {
            group: f.block(ix("s3")).group,
            block: ix("s3"),
        });
        let child = [
            Level {
                flow: &f,
                resume: None,
            },
            Level { flow: &f, resume },
        ];
        // In the linked frame at m: 3 own inputs, and 2 terminals each re-walking the parent
        // tail (2 inputs). The tail has no terminal, but the child's terminals record a path.
        assert_eq!(remaining(&child, ix("m")), Some(3 + 2 * 2));
        assert_eq!(remaining(&child, ix("qb")), Some(1 + 2));
        // In the root frame on the tail loop: no terminal, no path (progress degenerates to 0).
        assert_eq!(remaining(&child[..1], ix("t1")), None);
        // A linked frame whose resume position is gone records no path either.
        let orphan = [
            child[0],
            Level {
                flow: &f,
                resume: None,
            },
        ];
        assert_eq!(remaining(&orphan, ix("qa")), None);
    }
}
