//! Reading the engine's turns directly (no HTTP), for the engine-level tests: the text of the
//! bubbles of a turn and the engine's default retry messages.

use tessera::engine::TurnOutput;
use tessera::eval::richtext;

/// The default retry message of an input whose reply is invalid.
pub const GENERIC_RETRY: &str = "Invalid message. Please, try again.";
/// The default retry message of an email input.
pub const EMAIL_RETRY: &str = "This email doesn't seem to be valid. Can you type it again?";

/// Plain text of every text bubble of a turn (rich text flattened, markdown as is).
pub fn texts(out: &TurnOutput) -> Vec<String> {
    out.messages
        .iter()
        .filter(|m| m["type"] == "text")
        .map(|m| match m["content"]["type"].as_str() {
            Some("markdown") => m["content"]["markdown"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            _ => richtext::to_plain_text(m["content"]["richText"].as_array().unwrap_or(&vec![])),
        })
        .collect()
}
