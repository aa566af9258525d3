//! `startPropsToInject`: what a live start asks the embedding page to load, computed once
//! when a flow is compiled.

use serde_json::Value;

use super::block::BlockKind;
use super::compile::CompiledFlow;

/// What Typebot injects into the embedding page on a live start: the first Google Analytics
/// tracking id, the Meta Pixel ids (not marked `isInitSkip`), the GTM id and custom head code.
pub fn start_props(flow: &CompiledFlow) -> Option<Value> {
    use super::block::Integration;
    let mut props = serde_json::Map::new();
    let mut pixels = Vec::new();
    for b in &flow.blocks {
        let BlockKind::Integration(i) = &b.kind else {
            continue;
        };
        match i.as_ref() {
            Integration::GoogleAnalytics(o) => {
                if let Some(id) = o
                    .get("trackingId")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    && !props.contains_key("googleAnalyticsId")
                {
                    props.insert("googleAnalyticsId".into(), Value::String(id.to_string()));
                }
            }
            Integration::Pixel(o) => {
                let skip = o.get("isInitSkip").and_then(Value::as_bool) == Some(true);
                if let Some(id) = o
                    .get("pixelId")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty() && !skip)
                {
                    pixels.push(Value::String(id.to_string()));
                }
            }
            _ => {}
        }
    }
    if !pixels.is_empty() {
        props.insert("pixelIds".into(), Value::Array(pixels));
    }
    let meta = flow.raw_settings.get("metadata");
    if let Some(gtm) = meta
        .and_then(|m| m.get("googleTagManagerId"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        props.insert("gtmId".into(), Value::String(gtm.to_string()));
    }
    // Only HTML (tags): plain text would be shown on the embedding page.
    if let Some(code) = meta
        .and_then(|m| m.get("customHeadCode"))
        .and_then(Value::as_str)
        .filter(|s| s.contains('<'))
    {
        props.insert("customHeadCode".into(), Value::String(code.to_string()));
    }
    (!props.is_empty()).then_some(Value::Object(props))
}
