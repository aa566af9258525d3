//! Evaluation of bot-authored expressions and text: `{{…}}` templating ([`templating`]),
//! conditions ([`conditions`]), the JavaScript sandbox ([`js`]), rich text ([`richtext`]) and
//! the variable [`scope::Scope`] they all evaluate against.
//!
//! This layer sits between the engine and the flow model: the engine and its blocks use it, it
//! uses only [`crate::flow`] and itself. It must not import anything from `engine`, `blocks`,
//! `service`, `api`, `session` or any store.

pub mod conditions;
pub mod js;
pub mod richtext;
pub mod scope;
pub mod templating;
