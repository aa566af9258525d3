//! The Redis state decoder: a state key's value (header line, then the session bytes) read as
//! `begin_turn` reads it, and the session bytes decoded as the engine's `SessionState`. A
//! corrupt value is an error, never a panic; a decoded state encodes again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera::engine::SessionState;
use tessera::store::redis::fuzzing::decode_state;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some((_version, bytes))) = decode_state(data.to_vec()) {
        if let Ok(state) = SessionState::decode(&bytes) {
            let encoded = state
                .encode()
                .unwrap_or_else(|e| panic!("decoded state re-encodes: {e}"));
            assert!(
                SessionState::decode(&encoded).is_ok(),
                "a re-encoded state decodes"
            );
        }
    }
    // The session bytes alone, as they sit behind the header.
    if let Ok(state) = SessionState::decode(data) {
        let _ = state.encode();
    }
});
