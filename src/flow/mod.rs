//! The published bot as data: the serde model of the export format, typed blocks, validation
//! and compilation into an immutable [`CompiledFlow`]. No HTTP, storage or network here.

pub mod block;
pub mod compile;
pub mod issues;
pub mod model;
pub mod options;
pub mod progress;
pub mod settings;
pub mod start_props;
pub mod typing;
pub mod validate;
pub mod value;
pub mod wire;

pub use compile::{CBlock, CompiledFlow, EventKind, FlowEvent, Group, Target, VarDecl, compile};
pub use issues::{CompileError, Issue, Location, Severity};
pub use model::{FlowDef, NotAnExport, check_export, check_export_text, parse_flow};
pub use value::VarValue;

use std::sync::Arc;

/// Parses and compiles a flow from JSON text. The revision is a hash of the text. JSON that is
/// not a bot at all (see [`check_export`]) is refused before it is parsed as one.
pub fn load_str(text: &str) -> Result<Arc<CompiledFlow>, LoadError> {
    check_export_text(text).map_err(|e| LoadError::Parse(e.to_string()))?;
    let def = parse_flow(text).map_err(|e| LoadError::Parse(format!("invalid flow JSON: {e}")))?;
    let revision = revision_of(text);
    Ok(Arc::new(compile(&def, &revision)?))
}

/// The content hash naming a published revision: SHA-256 (first 128 bits, hex), so that no
/// crafted bot can collide with a revision sessions run on.
pub fn revision_of(text: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    digest.as_ref()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Not a Typebot export, or not of the flow format: the message says which.
    #[error("{0}")]
    Parse(String),
    #[error(transparent)]
    Compile(#[from] CompileError),
}
