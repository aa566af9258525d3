//! Engine behaviour per block family, on small hand-written flows run with the engine directly
//! (no HTTP, no network: the engine has no HTTP client here). One module per family: bubbles,
//! inputs (validators and retry messages), choices, cards, logic, events, the step budget,
//! prefilled variables and unsupported blocks. Expectations come from the behavioural spec
//! (Typebot's engine); tests marked `ignore = "engine bug: …"` show where the engine differs.

#[path = "../common/mod.rs"]
mod common;

mod bubbles;
mod cards;
mod chat;
mod choices;
mod events;
mod flows;
mod inputs_files_answers;
mod inputs_numbers_dates;
mod inputs_text;
mod logic_actions;
mod logic_branching;
mod logic_links;
mod logic_set_variable;
mod misc;
