//! Cross-reference checks on a flow being compiled. Everything found is reported together,
//! each finding naming the id it is about; see [`super::issues`].

use std::collections::HashSet;

use serde_json::Value;

use super::block::{BlockKind, InputKind, Integration, Logic, item_paths};
use super::compile::CompiledFlow;
use super::issues::{Issue, Location};

pub fn check(flow: &CompiledFlow, issues: &mut Vec<Issue>) {
    let edge_ok = |id: &str| flow.edge(id).is_some();
    let check_edge = |owner: Location, id: &Option<String>, issues: &mut Vec<Issue>| {
        if let Some(id) = id
            && !edge_ok(id)
        {
            issues.push(Issue::warning(
                "unknown_edge",
                owner,
                format!("outgoing edge {id} does not exist: the conversation ends there"),
            ));
        }
    };
    for e in &flow.events {
        check_edge(Location::Event(e.id.clone()), &e.outgoing_edge_id, issues);
    }
    let var_ok = |id: &Option<String>| id.as_ref().is_none_or(|v| flow.variable(v).is_some());
    for (ix, b) in flow.blocks.iter().enumerate() {
        let here = || Location::Block(b.id.clone());
        check_edge(here(), &b.outgoing_edge_id, issues);
        match &b.kind {
            BlockKind::Input(input) => {
                for item in &input.items {
                    check_edge(
                        here(),
                        &item
                            .get("outgoingEdgeId")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                        issues,
                    );
                    for path in item_paths(item) {
                        check_edge(
                            here(),
                            &path
                                .get("outgoingEdgeId")
                                .and_then(Value::as_str)
                                .map(str::to_string),
                            issues,
                        );
                    }
                }
                if !var_ok(&input.options.variable_id) {
                    issues.push(Issue::warning(
                        "unknown_variable",
                        here(),
                        format!(
                            "the answer variable {} is not declared",
                            input.options.variable_id.as_deref().unwrap_or_default()
                        ),
                    ));
                }
                dead_end_items(
                    flow,
                    ix as u32,
                    input.kind,
                    &input.items,
                    &input.options.is_multiple_choice,
                    issues,
                );
            }
            BlockKind::Logic(Logic::Condition(items)) => {
                for it in items {
                    check_edge(here(), &it.outgoing_edge_id, issues);
                    for c in &it.condition.comparisons {
                        if !var_ok(&c.variable_id) {
                            issues.push(Issue::warning(
                                "unknown_variable",
                                here(),
                                format!(
                                    "a comparison uses the undeclared variable {}",
                                    c.variable_id.as_deref().unwrap_or_default()
                                ),
                            ));
                        }
                    }
                }
            }
            BlockKind::Logic(Logic::AbTest(o)) => {
                check_edge(here(), &o.a_edge, issues);
                check_edge(here(), &o.b_edge, issues);
            }
            BlockKind::Logic(Logic::SetVariable(o)) if !var_ok(&o.variable_id) => {
                issues.push(Issue::warning(
                    "unknown_variable",
                    here(),
                    format!(
                        "the set variable target {} is not declared",
                        o.variable_id.as_deref().unwrap_or_default()
                    ),
                ));
            }
            BlockKind::Logic(Logic::Jump { group_id, block_id }) => {
                if group_id.is_empty() {
                    issues.push(Issue::warning(
                        "jump_without_target",
                        here(),
                        "jump has no target group",
                    ));
                } else if !group_id.contains("{{")
                    && flow.target(group_id, block_id.as_deref()).is_none()
                {
                    issues.push(Issue::error(
                        "unknown_group",
                        here(),
                        format!("jump target {group_id} does not exist"),
                    ));
                }
            }
            BlockKind::Logic(Logic::TypebotLink(o)) => {
                let same = matches!(o.typebot_id.as_deref(), Some("current"))
                    || o.typebot_id.as_deref() == Some(&flow.id);
                if let Some(g) = o.group_id.as_deref()
                    && same
                    && !g.contains("{{")
                    && flow.group_index(g).is_none()
                {
                    issues.push(Issue::error(
                        "unknown_group",
                        here(),
                        format!("link target group {g} does not exist"),
                    ));
                }
            }
            BlockKind::Integration(i) => {
                if let Integration::HttpRequest {
                    options,
                    webhook_id,
                    ..
                } = i.as_ref()
                    && options
                        .webhook
                        .as_ref()
                        .and_then(|w| w.url.as_ref())
                        .is_none()
                    && webhook_id.is_none()
                {
                    issues.push(Issue::warning(
                        "http_without_url",
                        here(),
                        "HTTP request block has no URL",
                    ));
                }
            }
            _ => {}
        }
    }
    unreachable_groups(flow, issues);
}

/// A single-choice item without an edge, on a block without one, that ends its group, makes
/// the conversation stop when picked: usually a forgotten connection.
fn dead_end_items(
    flow: &CompiledFlow,
    ix: u32,
    kind: InputKind,
    items: &[Value],
    multiple: &Option<bool>,
    issues: &mut Vec<Issue>,
) {
    if !matches!(kind, InputKind::Choice | InputKind::PictureChoice) || multiple == &Some(true) {
        return;
    }
    let b = flow.block(ix);
    let last_in_group = flow.group(b.group).end() == ix + 1;
    if b.outgoing_edge_id.is_some() || !last_in_group || items.is_empty() {
        return;
    }
    let some_wired = items.iter().any(|i| i.get("outgoingEdgeId").is_some());
    for item in items.iter().filter(|i| i.get("outgoingEdgeId").is_none()) {
        if some_wired {
            let id = item.get("id").and_then(Value::as_str).unwrap_or("?");
            issues.push(Issue::warning(
                "choice_item_dead_end",
                Location::Block(b.id.clone()),
                format!("item {id} has no outgoing edge and the block has none: choosing it ends the conversation"),
            ));
        }
    }
}

fn unreachable_groups(flow: &CompiledFlow, issues: &mut Vec<Issue>) {
    // Groups can be entered by edges, jumps, links and events; only report groups that no edge
    // and no jump/link/event names, which are certainly dead.
    let mut named: HashSet<u32> = HashSet::new();
    for b in &flow.blocks {
        if let BlockKind::Logic(Logic::Jump { group_id, .. }) = &b.kind
            && let Some(g) = flow.group_index(group_id)
        {
            named.insert(g);
        }
        if let BlockKind::Logic(Logic::TypebotLink(o)) = &b.kind
            && let Some(g) = o.group_id.as_deref().and_then(|g| flow.group_index(g))
        {
            named.insert(g);
        }
        if matches!(b.kind, BlockKind::Start) {
            named.insert(b.group);
        }
    }
    let edge_groups: HashSet<u32> = flow.edge_targets().map(|t| t.group).collect();
    let dynamic_jumps = flow.blocks.iter().any(|b| match &b.kind {
        BlockKind::Logic(Logic::Jump { group_id, .. }) => group_id.contains("{{"),
        BlockKind::Logic(Logic::TypebotLink(o)) => {
            o.group_id.as_deref().is_some_and(|g| g.contains("{{"))
        }
        _ => false,
    });
    if dynamic_jumps {
        return;
    }
    for (gi, g) in flow.groups.iter().enumerate() {
        let gi = gi as u32;
        if !named.contains(&gi) && !edge_groups.contains(&gi) {
            issues.push(Issue::warning(
                "unreachable_group",
                Location::Group(g.id.clone()),
                format!("group \"{}\" is never reached", g.title),
            ));
        }
    }
}
