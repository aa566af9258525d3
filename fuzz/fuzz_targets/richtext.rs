//! The Markdown and rich-text converters: Markdown in (`markdown_to_nodes`), then the nodes
//! back out as Markdown and plain text; and arbitrary JSON rich text (as bots store it) out.
//! Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera::eval::richtext::{has_templates, markdown_to_nodes, to_markdown, to_plain_text};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let nodes = markdown_to_nodes(text);
    let md = to_markdown(&nodes);
    let _ = to_plain_text(&nodes);
    // What came out reads back in.
    let _ = to_markdown(&markdown_to_nodes(&md));
    if let Ok(serde_json::Value::Array(nodes)) = serde_json::from_str(text) {
        let _ = has_templates(&nodes);
        let _ = to_markdown(&nodes);
        let _ = to_plain_text(&nodes);
    }
});
