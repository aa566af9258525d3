//! Blocks that move the walk: Condition, Jump, Return, A/B test and Typebot link (sub-flows).

use std::collections::BTreeMap;

use rand::Rng;

use crate::engine::EngineError;
use crate::engine::blocks::Next;
use crate::engine::context::Turn;
use crate::engine::state::{FlowRef, Frame, MarkStatus, ReturnMark};
use crate::engine::turn::Log;
use crate::eval::conditions;
use crate::eval::templating::parse_text;
use crate::flow::options::{AbTestOptions, ConditionItem, LinkOptions};
use crate::flow::{CompiledFlow, Target};

/// First true item wins: its edge, or "no next edge" when it has none. No true item: go on
/// (the walker then takes the block's own edge, the "else" path).
pub fn condition(turn: &mut Turn<'_>, items: &[ConditionItem]) -> Next {
    let mut scope = turn.scope();
    for item in items {
        if conditions::evaluate(&item.condition, &mut scope) {
            return match &item.outgoing_edge_id {
                Some(e) => Next::Edge(e.clone()),
                None => Next::End,
            };
        }
    }
    Next::Continue
}

/// A group id, or `{{Var}}` naming a group by title.
fn resolve_group(turn: &mut Turn<'_>, flow: &CompiledFlow, group: &str) -> Option<String> {
    if group.contains("{{") {
        let title = parse_text(group, &mut turn.scope());
        return flow
            .group_by_title(&title)
            .map(|g| flow.group(g).id.clone());
    }
    flow.group_index(group).map(|_| group.to_string())
}

pub fn jump(turn: &mut Turn<'_>, ix: u32, group_id: &str, block_id: Option<&str>) -> Next {
    let flow = turn.flow();
    let target = resolve_group(turn, &flow, group_id).and_then(|g| flow.target(&g, block_id));
    let Some(target) = target else {
        turn.out.logs.push(Log::error(format!(
            "Jump target not found: group {group_id}"
        )));
        return Next::End;
    };
    let b = flow.block(ix);
    if ix + 1 < flow.group(b.group).end() {
        turn.state.mark = Some(ReturnMark {
            status: MarkStatus::Pending,
            block: flow.block(ix + 1).id.clone(),
            resume_with: None,
            resume_without_message: false,
        });
    }
    Next::Goto(Some(target))
}

pub fn return_to_mark(turn: &mut Turn<'_>) -> Next {
    let Some(mark) = turn.state.mark.clone() else {
        return Next::Continue;
    };
    let flow = turn.flow();
    let Some(ix) = flow.block_index(&mark.block) else {
        turn.state.mark = None;
        turn.out.logs.push(Log::error("Return target not found"));
        return Next::End;
    };
    turn.state.mark = if mark.resume_with.is_some() {
        Some(ReturnMark {
            status: MarkStatus::Called,
            ..mark
        })
    } else {
        None
    };
    Next::Goto(Some(Target {
        group: flow.block(ix).group,
        block: ix,
    }))
}

pub fn ab_test(o: &AbTestOptions) -> Next {
    let roll: f64 = rand::rng().random_range(0.0..100.0);
    if roll < o.a_percent
        && let Some(a) = &o.a_edge
    {
        return Next::Edge(a.clone());
    }
    match &o.b_edge {
        Some(b) => Next::Edge(b.clone()),
        None => Next::Continue,
    }
}

/// Pushes the linked flow on the sub-flow stack and continues in it. When it ends, the walk
/// resumes after the link block in the caller.
pub async fn link(turn: &mut Turn<'_>, ix: u32, o: &LinkOptions) -> Result<Next, EngineError> {
    let flow = turn.flow();
    let id = o.typebot_id.clone().unwrap_or_default();
    let same = id.is_empty() || id == "current" || id == flow.id;
    if id.is_empty() {
        return Ok(Next::Continue);
    }
    let linked = if same {
        Some(flow.clone())
    } else {
        turn.engine.flows.published(&id).await?
    };
    let Some(linked) = linked else {
        turn.out
            .logs
            .push(Log::error(format!("Linked typebot not found: {id}")));
        return Ok(Next::Continue);
    };
    let target = match o.group_id.as_deref().filter(|g| !g.is_empty()) {
        Some(g) => match resolve_group(turn, &linked, g) {
            Some(g) => linked.target(&g, None),
            None => {
                turn.out
                    .logs
                    .push(Log::error(format!("Linked group not found: {g}")));
                return Ok(Next::Continue);
            }
        },
        None => linked.start,
    };
    let merge = same || o.merge_results.unwrap_or(!flow.is_v6);
    // Variables of the linked flow are prefilled from any running frame with the same name.
    let mut vars = BTreeMap::new();
    for d in &linked.variables {
        let inherited = turn
            .flows
            .iter()
            .zip(&turn.state.frames)
            .rev()
            .find_map(|(f, fr)| {
                f.variable_by_name(&d.name)
                    .and_then(|pd| fr.vars.get(&pd.id))
                    .cloned()
            });
        if let Some(v) = inherited.or_else(|| d.default.clone()) {
            vars.insert(d.id.clone(), v);
        }
    }
    let resume = turn.after_block(ix).map(|t| turn.pos_of(t));
    let result_id = if turn.state.preview {
        None
    } else if merge {
        turn.state.top().result_id.clone()
    } else {
        Some(crate::ids::new_id())
    };
    turn.state.frames.push(Frame {
        flow: FlowRef {
            id: linked.id.clone(),
            rev: linked.revision.clone(),
        },
        vars,
        // A merging child starts from its parent's answers, as in Typebot (progress counts them).
        answers: if merge {
            turn.state.top().answers.clone()
        } else {
            Vec::new()
        },
        result_id,
        resume,
        queued: Vec::new(),
        merge,
    });
    turn.flows.push(linked);
    Ok(Next::Goto(target))
}
