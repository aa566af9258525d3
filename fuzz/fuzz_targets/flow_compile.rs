//! Flow JSON parsing and compilation (`flow::load_str`: the export check, the lenient serde
//! model, compilation), then validation of what compiled. Nothing may panic; bad input is an
//! error value.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(flow) = tessera::flow::load_str(text) {
        let mut issues = Vec::new();
        tessera::flow::validate::check(&flow, &mut issues);
    }
});
