//! Block execution, one module per family. [`execute`] dispatches on the closed
//! [`BlockKind`] enum and tells the walker what comes next ([`Next`]).
//!
//! Blocks work on the turn context ([`Turn`], from `engine::context`) and import only it,
//! `engine::turn`, `engine::state`, the engine's message and error types, [`crate::eval`],
//! [`crate::flow`], `net` and `ids`; never `engine::walker` or `engine::reply`, which call them.

pub mod bubbles;
pub mod inputs;
pub mod integrations;
pub mod logic;

use crate::engine::context::Turn;
use crate::engine::turn::{Log, TurnStatus};
use crate::engine::{EngineError, Message};
use crate::flow::block::{BlockKind, Logic};
use crate::flow::{CBlock, CompiledFlow, Target};

/// What the walker does after a block.
#[derive(Debug, Clone, PartialEq)]
pub enum Next {
    /// Go on with the next block of the group (or the block's own edge, for non-bubbles).
    Continue,
    /// Leave the group through this edge id.
    Edge(String),
    /// Leave the group to this place (a "virtual edge": jump, return, link).
    Goto(Option<Target>),
    /// Leave the group with no next edge.
    End,
    /// Stop the turn at this block (an input, or an action the client must answer).
    Stop(TurnStatus),
    /// Stop the turn: something went wrong (already logged).
    Fail,
}

pub fn is_bubble(b: &CBlock) -> bool {
    matches!(b.kind, BlockKind::Bubble(_))
}

/// Whether sessions of this flow must keep a conversation trail (for Transcript variables).
pub fn needs_trail(flow: &CompiledFlow) -> bool {
    flow.blocks.iter().any(|b| {
        matches!(&b.kind, BlockKind::Logic(Logic::SetVariable(o)) if o.kind.as_deref() == Some("Transcript"))
    })
}

/// Executes block `ix` of the running flow.
pub async fn execute(turn: &mut Turn<'_>, ix: u32) -> Result<Next, EngineError> {
    let flow = turn.flow();
    let block = flow.block(ix);
    match &block.kind {
        BlockKind::Start => Ok(Next::Continue),
        BlockKind::Bubble(b) => Ok(bubbles::render(turn, block, b)),
        BlockKind::Input(_) => inputs::show(turn, ix),
        BlockKind::Logic(l) => logic::execute(turn, ix, l).await,
        BlockKind::Integration(i) => integrations::execute(turn, ix, i).await,
        BlockKind::Unsupported { type_name } => {
            tracing::info!(block = %block.id, block_type = %type_name, "skipping unsupported block");
            turn.out.logs.push(Log::info(format!(
                "Block type \"{type_name}\" is not supported by this engine: skipped"
            )));
            Ok(Next::Continue)
        }
    }
}

/// Applies a reply to a non-input block the session was waiting on (a client-side action).
pub fn resume_action(
    turn: &mut Turn<'_>,
    ix: u32,
    msg: Option<&Message>,
) -> Result<(), EngineError> {
    let flow = turn.flow();
    let block = flow.block(ix);
    let text = msg
        .and_then(Message::reply_text)
        .unwrap_or_default()
        .to_string();
    match &block.kind {
        BlockKind::Logic(l) => logic::resume(turn, l, &text),
        BlockKind::Integration(i) => integrations::resume(turn, i, &text),
        BlockKind::Bubble(b) => {
            bubbles::resume(turn, b, &text);
            Ok(())
        }
        _ => Ok(()),
    }
}
