//! Turns one exported block (or event) into its typed form. Unknown block types become
//! `Unsupported` with a warning, never an error: newer exports must still load.

use serde_json::{Map, Value};

use super::block::{
    BlockKind, Bubble, FORGE_TYPES, Input, InputKind, Integration, Logic, bool_opt, lenient,
    str_opt,
};
use super::compile::{EventKind, FlowEvent, ReplyEventVars};
use super::issues::{Issue, Location};
use super::model::{BlockDef, EventDef};
use super::options::{AbTestOptions, Condition, ConditionItem};
use super::wire;

/// Types one block, pushing warnings for what cannot run.
pub fn type_block(b: &BlockDef, issues: &mut Vec<Issue>) -> BlockKind {
    let opts = b.options.as_ref();
    let t = b.block_type.as_str();
    if let Some(kind) = InputKind::from_type(t) {
        return BlockKind::Input(std::sync::Arc::new(type_input(b, kind)));
    }
    if matches!(t, "text" | "image" | "video" | "audio" | "embed") && b.content.is_none() {
        return BlockKind::Bubble(Bubble::Empty);
    }
    match t {
        "start" => BlockKind::Start,
        "text" => {
            let rich_text = b
                .content
                .as_ref()
                .and_then(|c| c.get("richText"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let templated = rich_text.iter().any(wire::has_template);
            BlockKind::Bubble(Bubble::Text {
                rich_text,
                templated,
            })
        }
        "image" => BlockKind::Bubble(Bubble::Image(content(b))),
        "video" => BlockKind::Bubble(Bubble::Video(content(b))),
        "audio" => BlockKind::Bubble(Bubble::Audio(content(b))),
        "embed" => BlockKind::Bubble(Bubble::Embed(content(b))),
        "Set variable" => BlockKind::Logic(Logic::SetVariable(lenient(opts))),
        "Condition" => BlockKind::Logic(Logic::Condition(
            items(b)
                .iter()
                .map(|it| ConditionItem {
                    id: str_opt(Some(it), "id").unwrap_or_default(),
                    condition: lenient::<Condition>(it.get("content")),
                    outgoing_edge_id: str_opt(Some(it), "outgoingEdgeId"),
                })
                .collect(),
        )),
        "Redirect" => BlockKind::Logic(Logic::Redirect {
            url: str_opt(opts, "url").unwrap_or_default(),
            is_new_tab: bool_opt(opts, "isNewTab"),
        }),
        "Code" => BlockKind::Logic(Logic::Script(lenient(opts))),
        "Typebot link" => BlockKind::Logic(Logic::TypebotLink(lenient(opts))),
        "Wait" => BlockKind::Logic(Logic::Wait(lenient(opts))),
        "AB test" => {
            let its = items(b);
            let edge_of = |path: &str| {
                its.iter()
                    .find(|i| i.get("path").and_then(Value::as_str) == Some(path))
                    .and_then(|i| str_opt(Some(i), "outgoingEdgeId"))
            };
            BlockKind::Logic(Logic::AbTest(AbTestOptions {
                a_percent: opts
                    .and_then(|o| o.get("aPercent"))
                    .and_then(Value::as_f64)
                    .unwrap_or(50.0),
                a_edge: edge_of("a"),
                b_edge: edge_of("b"),
            }))
        }
        "Jump" => BlockKind::Logic(Logic::Jump {
            group_id: str_opt(opts, "groupId").unwrap_or_default(),
            block_id: str_opt(opts, "blockId"),
        }),
        "Return" => BlockKind::Logic(Logic::Return),
        "webhook" => BlockKind::Logic(Logic::WebhookListener(opts.cloned().unwrap_or(Value::Null))),
        "Webhook" | "Zapier" | "Make.com" | "Pabbly" => {
            BlockKind::Integration(Box::new(Integration::HttpRequest {
                long_timeout: t != "Webhook",
                options: Box::new(lenient(opts)),
                webhook_id: b.webhook_id.clone(),
            }))
        }
        "Email" => BlockKind::Integration(Box::new(Integration::Email(Box::new(lenient(opts))))),
        "Google Sheets" => {
            BlockKind::Integration(Box::new(Integration::GoogleSheets(opt_value(b))))
        }
        "OpenAI" => BlockKind::Integration(Box::new(Integration::OpenAi(opt_value(b)))),
        "Chatwoot" => BlockKind::Integration(Box::new(Integration::Chatwoot(opt_value(b)))),
        "Google Analytics" => {
            BlockKind::Integration(Box::new(Integration::GoogleAnalytics(opt_value(b))))
        }
        "Pixel" => BlockKind::Integration(Box::new(Integration::Pixel(opt_value(b)))),
        f if FORGE_TYPES.contains(&f) => BlockKind::Integration(Box::new(Integration::Forge {
            block_type: f.to_string(),
            options: opt_value(b),
        })),
        other => {
            issues.push(Issue::warning(
                "unsupported_block",
                Location::Block(b.id.clone()),
                format!("block type \"{other}\" is not supported: it will be skipped"),
            ));
            BlockKind::Unsupported {
                type_name: other.to_string(),
            }
        }
    }
}

fn content(b: &BlockDef) -> Value {
    b.content
        .clone()
        .unwrap_or_else(|| Value::Object(Map::new()))
}

fn opt_value(b: &BlockDef) -> Value {
    b.options
        .clone()
        .unwrap_or_else(|| Value::Object(Map::new()))
}

fn items(b: &BlockDef) -> &[Value] {
    b.items.as_deref().unwrap_or(&[])
}

fn type_input(b: &BlockDef, kind: InputKind) -> Input {
    let keys = wire::item_keys(kind);
    let items: Vec<Value> = items(b)
        .iter()
        .map(|i| Value::Object(wire::pick(i, keys)))
        .collect();
    let wire = wire::input_wire(
        &b.id,
        &b.block_type,
        b.outgoing_edge_id.as_deref(),
        b.options.as_ref(),
        &items,
        kind,
    );
    let options: super::options::InputOptions = lenient(b.options.as_ref());
    let has_conditions = items.iter().any(|i| {
        i.get("displayCondition")
            .and_then(|d| d.get("isEnabled"))
            .and_then(Value::as_bool)
            == Some(true)
            || i.get("options")
                .and_then(|o| o.get("displayCondition"))
                .and_then(|d| d.get("isEnabled"))
                .and_then(Value::as_bool)
                == Some(true)
    });
    let dynamic = wire::has_template(&wire)
        || options.dynamic_variable_id.is_some()
        || options.dynamic_items.is_enabled == Some(true)
        || has_conditions;
    Input {
        kind,
        options,
        items,
        wire,
        dynamic,
    }
}

/// Types one event of `events[]`.
pub fn type_event(e: &EventDef) -> FlowEvent {
    let o = e.options.as_ref();
    let reply_vars = || ReplyEventVars {
        content: str_opt(o, "contentVariableId"),
        input_name: str_opt(o, "inputNameVariableId"),
        input_type: str_opt(o, "inputTypeVariableId"),
    };
    let kind = match e.event_type.as_str() {
        "start" => EventKind::Start,
        "command" => EventKind::Command {
            command: str_opt(o, "command").unwrap_or_default(),
            resume_after: bool_opt(o, "resumeAfter").unwrap_or(false),
        },
        "reply" => EventKind::Reply(reply_vars()),
        "invalidReply" => EventKind::InvalidReply(reply_vars()),
        other => EventKind::Other(other.to_string()),
    };
    FlowEvent {
        id: e.id.clone(),
        kind,
        outgoing_edge_id: e.outgoing_edge_id.clone(),
    }
}
