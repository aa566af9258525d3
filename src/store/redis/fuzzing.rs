//! What the fuzz targets (`fuzz/`) call of the Redis store's private decoders: the state
//! value's reader. Not an API: hidden from the docs and free to change.

use super::state::{State, parse_state};

/// Reads a stored state value as `begin_turn` does: `Some((version, session bytes))` for an
/// active session, `None` for a finished one; an error for a corrupt value.
pub fn decode_state(raw: Vec<u8>) -> Result<Option<(u64, Vec<u8>)>, crate::store::StoreError> {
    Ok(match parse_state(raw)? {
        State::Active(header, data) => Some((header.version, data)),
        State::Finished(_) => None,
    })
}
