//! Inputs: showing an input (variables substituted, displayed items, prefilled value) and
//! validating the reply to it, with Typebot's retry messages.

pub mod choice;
pub mod files;
pub mod parse;

use serde_json::{Map, Value};

use super::{Next, bubbles};
use crate::engine::context::Turn;
use crate::engine::turn::TurnStatus;
use crate::engine::{EngineError, Message};
use crate::eval::templating::{parse_text, substitute_value};
use crate::flow::VarValue;
use crate::flow::block::{BlockKind, Input, InputKind, str_opt};
use crate::flow::settings::DEFAULT_INVALID_MESSAGE;

const EMAIL_RETRY: &str = "This email doesn't seem to be valid. Can you type it again?";
const PAYMENT_RETRY: &str = "Payment failed. Please, try again.";

/// A validated reply.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ValidReply {
    /// What is stored in the variable and the answers.
    pub answer: String,
    /// The edge chosen by the reply itself (choice item, card path), if any.
    pub edge: Option<String>,
    /// Extra variables to set (cards mapping, audio clips).
    pub set_vars: Vec<(String, Option<VarValue>)>,
    /// The normalised answer when it differs from what was sent.
    pub new_format: Option<String>,
    pub attached: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    Valid(ValidReply),
    Invalid,
    /// No reply to an optional file input: go on without saving anything.
    Skip,
}

fn input_of(turn: &Turn<'_>, ix: u32) -> Option<std::sync::Arc<Input>> {
    match &turn.flows[turn.flows.len() - 1].block(ix).kind {
        BlockKind::Input(i) => Some(i.clone()),
        _ => None,
    }
}

/// Shows the input: the walk stops here.
pub fn show(turn: &mut Turn<'_>, ix: u32) -> Result<Next, EngineError> {
    let Some(input) = input_of(turn, ix) else {
        return Ok(Next::Continue);
    };
    if input.kind == InputKind::Payment {
        tracing::info!(
            "Stripe payment inputs are not supported yet; the turn fails as without credentials"
        );
        match &input.options.credentials_id {
            None => return Err(EngineError::MissingCredentials),
            Some(_) => return Err(EngineError::CredentialsNotFound),
        }
    }
    let wire = render(turn, &input);
    turn.out.input = Some(wire);
    Ok(Next::Stop(TurnStatus::WaitingInput))
}

/// The client-facing JSON of an input, as of now.
pub fn render(turn: &mut Turn<'_>, input: &Input) -> Value {
    let mut wire = if input.dynamic {
        let mut scope = turn.scope();
        match input.wire.as_object() {
            // The items are the ones shown now (substituted there): the rest of the wire is
            // substituted without them.
            Some(obj) if obj.contains_key("items") => {
                let mut w = serde_json::Map::new();
                for (k, v) in obj {
                    let v = match k.as_str() {
                        "items" => Value::Array(choice::displayed_items(input, &mut scope)),
                        _ => substitute_value(v, &mut scope),
                    };
                    w.insert(k.clone(), v);
                }
                Value::Object(w)
            }
            _ => substitute_value(&input.wire, &mut scope),
        }
    } else {
        input.wire.clone()
    };
    // Typebot offers the current value for editing only on text-like inputs, never on
    // item-based ones (choice, picture choice, cards).
    let item_based = matches!(
        input.kind,
        InputKind::Choice | InputKind::PictureChoice | InputKind::Cards
    );
    if let Some(var) = input.options.variable_id.as_ref().filter(|_| !item_based)
        && let Some(VarValue::Str(s)) = turn.scope().get(var)
        && let Some(obj) = wire.as_object_mut()
    {
        obj.insert("prefilledValue".into(), Value::String(s.clone()));
    }
    wire
}

/// Validates a reply to input block `ix`.
pub fn parse_reply(turn: &mut Turn<'_>, ix: u32, msg: Option<&Message>) -> Parsed {
    let Some(input) = input_of(turn, ix) else {
        return Parsed::Invalid;
    };
    let Some(msg) = msg else {
        return if input.kind == InputKind::File && input.options.is_required == Some(false) {
            Parsed::Skip
        } else {
            Parsed::Invalid
        };
    };
    let (text, reply_id, attached) = match msg {
        Message::Text {
            text,
            reply_id,
            attached_file_urls,
        } => (text.clone(), reply_id.clone(), attached_file_urls.clone()),
        Message::Audio { url } => {
            if input.kind != InputKind::Text {
                return Parsed::Invalid;
            }
            let mut set_vars = Vec::new();
            if let Some(var) = &input.options.audio_clip.save_variable_id {
                set_vars.push((var.clone(), VarValue::from_string(url.clone())));
            }
            return Parsed::Valid(ValidReply {
                answer: url.clone(),
                set_vars,
                ..Default::default()
            });
        }
        Message::Command { .. } => return Parsed::Invalid,
    };
    let valid = |answer: String| {
        let new_format = (answer != text).then(|| answer.clone());
        Parsed::Valid(ValidReply {
            answer,
            new_format,
            ..Default::default()
        })
    };
    let now = turn.now.naive_utc();
    let o = &input.options;
    match input.kind {
        InputKind::Text => Parsed::Valid(ValidReply {
            answer: text,
            attached,
            ..Default::default()
        }),
        InputKind::Number => {
            let bound = |v: &Option<Value>, turn: &mut Turn<'_>| -> Option<f64> {
                match v.as_ref()? {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => parse_text(s, &mut turn.scope()).trim().parse().ok(),
                    _ => None,
                }
            };
            let (min, max) = (bound(&o.min, turn), bound(&o.max, turn));
            parse::parse_number(&text, min, max).map_or(Parsed::Invalid, valid)
        }
        InputKind::Email => parse::parse_email(&text).map_or(Parsed::Invalid, valid),
        InputKind::Url => {
            if parse::is_url(text.trim()) {
                valid(text.clone())
            } else {
                Parsed::Invalid
            }
        }
        InputKind::Phone => {
            let country = o
                .default_country_code
                .as_deref()
                .map(|c| parse_text(c, &mut turn.scope()));
            parse::parse_phone(&text, country.as_deref()).map_or(Parsed::Invalid, valid)
        }
        InputKind::Date => {
            let raw = input.wire.get("options");
            let (min, max) = (
                str_opt(raw, "min").map(|m| parse_text(&m, &mut turn.scope())),
                str_opt(raw, "max").map(|m| parse_text(&m, &mut turn.scope())),
            );
            let separator = o.labels.separator.clone().unwrap_or_else(|| "to".into());
            let opts = parse::DateOpts {
                has_time: o.has_time == Some(true),
                is_range: o.is_range == Some(true),
                format: o.format.as_deref(),
                min: min.as_deref(),
                max: max.as_deref(),
                separator: &separator,
            };
            parse::parse_date_reply(&text, &opts, now).map_or(Parsed::Invalid, valid)
        }
        InputKind::Time => {
            parse::parse_time_reply(&text, o.format.as_deref(), now).map_or(Parsed::Invalid, valid)
        }
        InputKind::Choice | InputKind::PictureChoice => {
            let items = choice::displayed_items(&input, &mut turn.scope());
            choice::match_reply(&input, &items, &text, reply_id.as_deref())
                .map_or(Parsed::Invalid, Parsed::Valid)
        }
        InputKind::Cards => {
            let items = choice::displayed_items(&input, &mut turn.scope());
            choice::match_card(&input, &items, &text, reply_id.as_deref())
                .map_or(Parsed::Invalid, Parsed::Valid)
        }
        InputKind::Rating => {
            let length = o.length.as_ref().and_then(value_f64).unwrap_or(10.0);
            let starts_at = input
                .wire
                .get("options")
                .and_then(|r| r.get("startsAt"))
                .and_then(value_f64)
                .unwrap_or(0.0);
            match text.trim().parse::<f64>() {
                Ok(n) if n >= starts_at && n <= length => valid(text.trim().to_string()),
                _ => Parsed::Invalid,
            }
        }
        InputKind::File => files::parse_files(&input, &text).map_or(Parsed::Invalid, valid),
        InputKind::Payment => {
            if text == "fail" {
                Parsed::Invalid
            } else {
                Parsed::Valid(ValidReply {
                    answer: text,
                    ..Default::default()
                })
            }
        }
    }
}

fn value_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Answers an invalid reply: the retry message (with the input's id) and the input again.
pub fn retry(turn: &mut Turn<'_>, ix: u32) {
    let Some(input) = input_of(turn, ix) else {
        return;
    };
    let flow = turn.flow();
    let custom = input
        .options
        .retry_message_content
        .clone()
        .filter(|s| !s.is_empty());
    let template = match input.kind {
        InputKind::Email => custom.unwrap_or_else(|| EMAIL_RETRY.into()),
        InputKind::Payment => custom.unwrap_or_else(|| PAYMENT_RETRY.into()),
        InputKind::Url | InputKind::Phone => custom.unwrap_or_else(|| generic(&flow)),
        _ => generic(&flow),
    };
    let text = parse_text(&template, &mut turn.scope());
    let content = bubbles::plain_text_content(&text, turn.format);
    let id = flow.block(ix).id.clone();
    turn.out.messages.push(Value::Object(Map::from_iter([
        ("id".to_string(), Value::String(id)),
        ("type".to_string(), Value::String("text".into())),
        ("content".to_string(), content),
    ])));
    let wire = render(turn, &input);
    turn.out.input = Some(wire);
    turn.out.status = TurnStatus::WaitingInput;
}

fn generic(flow: &crate::flow::CompiledFlow) -> String {
    flow.settings
        .invalid_message
        .clone()
        .unwrap_or_else(|| DEFAULT_INVALID_MESSAGE.into())
}
