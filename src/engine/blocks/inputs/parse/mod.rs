//! Parsers and validators for user replies to input blocks.
//!
//! Each function takes the raw reply text (as sent by the player or a channel) and returns the
//! normalised value to store, or `None`/`false` when the reply is invalid and the engine must send
//! the block's retry message. They reimplement the useful behaviour of the JavaScript libraries
//! Typebot relies on (validator.js, libphonenumber-js, chrono-node, date-fns) without them; the
//! deliberate differences are listed in `docs/COMPATIBILITY.md`.
//!
//! - [`email`]: email input ([`parse_email`]).
//! - [`url`]: URL input and file-upload URLs ([`is_url`], [`is_http_url_lenient`]).
//! - [`number`]: number input ([`parse_number`]).
//! - [`phone`]: phone number input, E.164 output ([`parse_phone`]); tables in `phone_data`.
//! - [`date`]: date and time inputs ([`parse_date_reply`], [`parse_time_reply`]); the
//!   natural-language reader is `date_text`, the TR35 formatter [`tr35`] ([`format_tr35`]).
//!
//! All functions are pure and cheap: the engine calls them on every reply, retries included.

pub mod date;
mod date_relative;
mod date_text;
pub mod email;
pub mod number;
pub mod phone;
mod phone_data;
pub mod tr35;
pub mod url;

pub use date::{DateOpts, parse_date_reply, parse_time_reply};
pub use email::parse_email;
pub use number::parse_number;
pub use phone::parse_phone;
pub use tr35::format_tr35;
pub use url::{is_http_url_lenient, is_url};

/// 08:00 on a date: the "now" the date readers' tests start from.
#[cfg(test)]
fn test_at(y: i32, m: u32, d: u32) -> chrono::NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|d| d.and_hms_opt(8, 0, 0))
        .expect("a valid test date")
}
