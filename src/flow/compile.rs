//! Definition -> [`CompiledFlow`]: the immutable, indexed structure the walker runs.
//!
//! Compiled once per published version and shared (behind an `Arc`) by every session of that
//! version: O(1) lookups of blocks, groups, edges and variables, typed block options, the
//! client-facing JSON of inputs, and the data progress needs. Every problem found is collected
//! into [`Issue`]s; errors make compilation fail, warnings travel with the compiled flow.

use std::collections::HashMap;

use serde_json::Value;

use super::block::BlockKind;
use super::issues::{CompileError, Issue, Location, Severity};
use super::model::{EdgeDef, FlowDef};
use super::settings::FlowSettings;
use super::typing::type_block;
use super::value::VarValue;
use super::{progress, validate};

/// Where an edge lands: a group, starting at an absolute block index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub group: u32,
    /// Absolute index into [`CompiledFlow::blocks`]; equals the group's end for an empty group.
    pub block: u32,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub id: String,
    pub title: String,
    /// Absolute index of the first block; blocks of a group are contiguous.
    pub first: u32,
    pub len: u32,
}

impl Group {
    pub fn end(&self) -> u32 {
        self.first + self.len
    }
}

#[derive(Debug, Clone)]
pub struct CBlock {
    pub id: String,
    pub type_name: String,
    pub group: u32,
    pub outgoing_edge_id: Option<String>,
    pub kind: BlockKind,
}

#[derive(Debug, Clone)]
pub enum EventKind {
    Start,
    Command { command: String, resume_after: bool },
    Reply(ReplyEventVars),
    InvalidReply(ReplyEventVars),
    Other(String),
}

/// Variables a reply / invalid-reply event fills in.
#[derive(Debug, Clone, Default)]
pub struct ReplyEventVars {
    pub content: Option<String>,
    pub input_name: Option<String>,
    pub input_type: Option<String>,
}

#[derive(Debug, Clone)]
pub struct FlowEvent {
    pub id: String,
    pub kind: EventKind,
    pub outgoing_edge_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct VarDecl {
    pub id: String,
    pub name: String,
    pub is_session: bool,
    pub default: Option<VarValue>,
}

/// A flow ready to run. Immutable; share it with `Arc<CompiledFlow>`.
#[derive(Debug)]
pub struct CompiledFlow {
    pub id: String,
    pub public_id: Option<String>,
    pub name: String,
    /// Schema version string as exported ("3" when missing).
    pub version: String,
    pub is_v6: bool,
    /// Content hash identifying this published revision (sessions reference it).
    pub revision: String,
    pub groups: Vec<Group>,
    pub blocks: Vec<CBlock>,
    pub events: Vec<FlowEvent>,
    pub variables: Vec<VarDecl>,
    pub start: Option<Target>,
    pub settings: FlowSettings,
    pub theme: Value,
    pub raw_settings: Value,
    pub warnings: Vec<Issue>,
    pub progress: progress::ProgressTable,
    /// `startPropsToInject` of live starts (tracking ids, head code), when the bot has any.
    pub start_props: Option<Value>,
    pub is_closed: bool,
    pub is_archived: bool,
    block_ix: HashMap<String, u32>,
    group_ix: HashMap<String, u32>,
    group_by_title: HashMap<String, u32>,
    edges: HashMap<String, Target>,
    var_ix: HashMap<String, u32>,
    var_by_name: HashMap<String, u32>,
}

impl CompiledFlow {
    pub fn block_index(&self, id: &str) -> Option<u32> {
        self.block_ix.get(id).copied()
    }
    pub fn block(&self, ix: u32) -> &CBlock {
        &self.blocks[ix as usize]
    }
    pub fn group_index(&self, id: &str) -> Option<u32> {
        self.group_ix.get(id).copied()
    }
    pub fn group_by_title(&self, title: &str) -> Option<u32> {
        self.group_by_title.get(title).copied()
    }
    pub fn group(&self, ix: u32) -> &Group {
        &self.groups[ix as usize]
    }
    /// Resolves an edge id to its landing place.
    pub fn edge(&self, id: &str) -> Option<Target> {
        self.edges.get(id).copied()
    }
    /// A virtual edge to a group, optionally at one of its blocks.
    pub fn target(&self, group_id: &str, block_id: Option<&str>) -> Option<Target> {
        let g = self.group_index(group_id)?;
        let grp = self.group(g);
        let block = match block_id {
            Some(b) => {
                let ix = self.block_index(b)?;
                if self.block(ix).group != g {
                    return None;
                }
                ix
            }
            None => grp.first,
        };
        Some(Target { group: g, block })
    }
    pub fn variable(&self, id: &str) -> Option<&VarDecl> {
        self.var_ix.get(id).map(|i| &self.variables[*i as usize])
    }
    pub fn variable_by_name(&self, name: &str) -> Option<&VarDecl> {
        self.var_by_name
            .get(name)
            .map(|i| &self.variables[*i as usize])
    }
    pub fn event(&self, id: &str) -> Option<&FlowEvent> {
        self.events.iter().find(|e| e.id == id)
    }
    /// Every edge's landing place (order unspecified).
    pub fn edge_targets(&self) -> impl Iterator<Item = &Target> {
        self.edges.values()
    }
}

/// Compiles a parsed definition. `revision` identifies the published content (a hash).
pub fn compile(def: &FlowDef, revision: &str) -> Result<CompiledFlow, CompileError> {
    let mut issues = Vec::new();
    let is_v6 = def.is_v6();

    let mut groups = Vec::with_capacity(def.groups.len());
    let mut blocks = Vec::new();
    let mut block_ix = HashMap::new();
    let mut group_ix = HashMap::new();
    let mut group_by_title = HashMap::new();
    for (gi, g) in def.groups.iter().enumerate() {
        let gi = gi as u32;
        if group_ix.insert(g.id.clone(), gi).is_some() {
            issues.push(Issue::error(
                "duplicate_id",
                Location::Group(g.id.clone()),
                "duplicate group id",
            ));
        }
        group_by_title.entry(g.title.clone()).or_insert(gi);
        let first = blocks.len() as u32;
        for b in &g.blocks {
            let ix = blocks.len() as u32;
            if block_ix.insert(b.id.clone(), ix).is_some() {
                issues.push(Issue::error(
                    "duplicate_id",
                    Location::Block(b.id.clone()),
                    "duplicate block id",
                ));
            }
            let kind = type_block(b, &mut issues);
            blocks.push(CBlock {
                id: b.id.clone(),
                type_name: b.block_type.clone(),
                group: gi,
                outgoing_edge_id: b.outgoing_edge_id.clone(),
                kind,
            });
        }
        groups.push(Group {
            id: g.id.clone(),
            title: g.title.clone(),
            first,
            len: blocks.len() as u32 - first,
        });
    }

    let mut edges = HashMap::new();
    for raw in &def.edges {
        let Ok(e) = serde_json::from_value::<EdgeDef>(raw.clone()) else {
            let id = raw
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_string();
            issues.push(Issue::warning(
                "malformed_edge",
                Location::Edge(id),
                "edge ignored: it has no id or no target group",
            ));
            continue;
        };
        let target = resolve_target(&e, &group_ix, &block_ix, &groups, &blocks, &mut issues);
        if let Some(t) = target
            && edges.insert(e.id.clone(), t).is_some()
        {
            issues.push(Issue::error(
                "duplicate_id",
                Location::Edge(e.id.clone()),
                "duplicate edge id",
            ));
        }
    }

    let mut variables = Vec::with_capacity(def.variables.len());
    let mut var_ix = HashMap::new();
    let mut var_by_name = HashMap::new();
    for v in &def.variables {
        let ix = variables.len() as u32;
        if var_ix.insert(v.id.clone(), ix).is_some() {
            issues.push(Issue::error(
                "duplicate_id",
                Location::Variable(v.id.clone()),
                "duplicate variable id",
            ));
        }
        var_by_name.entry(v.name.clone()).or_insert(ix);
        variables.push(VarDecl {
            id: v.id.clone(),
            name: v.name.clone(),
            is_session: v.is_session_variable.unwrap_or(false),
            default: v.value.as_ref().and_then(VarValue::from_json),
        });
    }

    let events: Vec<_> = def.events.iter().map(super::typing::type_event).collect();
    let start = find_start(def, is_v6, &events, &blocks, &edges, &mut issues);

    let mut flow = CompiledFlow {
        id: def.id.clone(),
        public_id: def.public_id.clone().filter(|p| !p.is_empty()),
        name: def.name.clone(),
        version: def.version.clone().unwrap_or_else(|| "3".into()),
        is_v6,
        revision: revision.to_string(),
        groups,
        blocks,
        events,
        variables,
        start,
        settings: FlowSettings::from_json(&def.settings, &def.theme),
        theme: def.theme.clone(),
        raw_settings: def.settings.clone(),
        warnings: Vec::new(),
        progress: progress::ProgressTable::default(),
        start_props: None,
        is_closed: def.is_closed == Some(true),
        is_archived: def.is_archived == Some(true),
        block_ix,
        group_ix,
        group_by_title,
        edges,
        var_ix,
        var_by_name,
    };
    validate::check(&flow, &mut issues);
    if issues.iter().any(|i| i.severity == Severity::Error) {
        return Err(CompileError { issues });
    }
    flow.progress = progress::ProgressTable::build(&flow);
    flow.start_props = super::start_props::start_props(&flow);
    flow.warnings = issues;
    Ok(flow)
}

fn resolve_target(
    e: &EdgeDef,
    group_ix: &HashMap<String, u32>,
    block_ix: &HashMap<String, u32>,
    groups: &[Group],
    blocks: &[CBlock],
    issues: &mut Vec<Issue>,
) -> Option<Target> {
    let Some(&g) = group_ix.get(&e.to.group_id) else {
        issues.push(Issue::error(
            "unknown_group",
            Location::Edge(e.id.clone()),
            format!("edge points to unknown group {}", e.to.group_id),
        ));
        return None;
    };
    let block = match &e.to.block_id {
        None => groups[g as usize].first,
        Some(b) => match block_ix.get(b) {
            Some(&ix) if blocks[ix as usize].group == g => ix,
            _ => {
                issues.push(Issue::error(
                    "unknown_block",
                    Location::Edge(e.id.clone()),
                    format!(
                        "edge points to block {b}, which is not in group {}",
                        e.to.group_id
                    ),
                ));
                return None;
            }
        },
    };
    Some(Target { group: g, block })
}

fn find_start(
    def: &FlowDef,
    is_v6: bool,
    events: &[FlowEvent],
    blocks: &[CBlock],
    edges: &HashMap<String, Target>,
    issues: &mut Vec<Issue>,
) -> Option<Target> {
    let edge_id = if is_v6 || !def.events.is_empty() {
        match events.first() {
            Some(FlowEvent {
                kind: EventKind::Start,
                outgoing_edge_id,
                id,
            }) => {
                if outgoing_edge_id.is_none() {
                    issues.push(Issue::warning(
                        "start_not_connected",
                        Location::Event(id.clone()),
                        "the start event is not connected: conversations end immediately",
                    ));
                }
                outgoing_edge_id.clone()
            }
            _ => {
                issues.push(Issue::error(
                    "missing_start",
                    Location::Flow,
                    "events[0] must be the start event",
                ));
                None
            }
        }
    } else {
        // V3-V5: the first group's first block is a start block.
        match blocks.first() {
            Some(b) if matches!(b.kind, BlockKind::Start) => b.outgoing_edge_id.clone(),
            _ => {
                issues.push(Issue::error(
                    "missing_start",
                    Location::Flow,
                    "no start: a pre-6 flow needs a start block first in its first group",
                ));
                None
            }
        }
    };
    edge_id.and_then(|id| edges.get(&id).copied())
}
