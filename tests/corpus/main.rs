//! The Typebot corpus and the project's own bots, run through the engine directly (no HTTP).
//!
//! - every corpus bot (templates, fixtures, linked fixtures) parses and compiles;
//! - each of the 22 templates is walked from its start along one scripted path (replies taken
//!   from Typebot's recorded answers), asserting per turn the first text bubble, the input shown
//!   (type and block id), the logs and client actions expected, and how the walk ends; templates
//!   whose entry group only says "add your credentials" are also walked from their real first
//!   group, to show the skipped AI / email / payment integrations;
//! - the serialized session state stays under 2048 bytes on every walk;
//! - every bot of `flows/` is walked along at least one path.
//!
//! The expected data below is written out per template on purpose: the turn-by-turn comparison
//! with Typebot's own answers lives in the golden replay test.

#[path = "../common/mod.rs"]
mod common;

mod project_walks;
mod template_walks;
mod templates;
mod walker;
