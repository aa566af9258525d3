//! Engine benchmarks (criterion): whole conversations in memory, per turn, including the
//! session state's JSON encode/decode that a store round trip implies.
//!
//! - `lead_gen_conversation`: Typebot's lead-gen template (from TESSERA_TYPEBOT_CORPUS, when set).
//! - `generated/10_groups` vs `generated/1000_groups`: the same 10-turn path in a bot of 10 or
//!   1,000 groups, to show that a turn's cost does not grow with the size of the bot.
//!
//! Run: `cargo bench --bench turns`. Results are recorded in docs/PERFORMANCE.md.
//!
//! The benchmark runs on the server binary's allocator (jemalloc, src/main.rs): with glibc's
//! malloc, allocation was 40% of a turn's instructions here, a cost the server does not pay.

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use tessera::engine::{
    Engine, EngineConfig, MemoryFlows, Message, SessionState, StartParams, TextFormat,
};
use tessera::flow::{self, CompiledFlow};

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// A bot of `groups` groups where the conversation visits exactly 10 of them: group i asks a
/// question (text bubble with a variable + choice input); "Next" goes to group i+1, "Side"
/// goes to a side chain of groups that the benchmark never takes.
fn generated_bot(groups: usize) -> Value {
    let mut gs = Vec::new();
    let mut edges = Vec::new();
    let path = 10.min(groups);
    let side = groups - path;
    for i in 0..path {
        let next_edge = (i + 1 < path).then(|| format!("e-next-{i}"));
        let side_edge = (side > 0).then(|| format!("e-side-{i}"));
        let mut next_item = json!({"id": format!("it-next-{i}"), "content": "Next"});
        if let Some(e) = &next_edge {
            next_item["outgoingEdgeId"] = json!(e);
            edges.push(json!({"id": e, "from": {"blockId": format!("b-in-{i}"), "itemId": format!("it-next-{i}")}, "to": {"groupId": format!("g-{}", i + 1)}}));
        }
        let mut side_item = json!({"id": format!("it-side-{i}"), "content": "Side"});
        if let Some(e) = &side_edge {
            side_item["outgoingEdgeId"] = json!(e);
            edges.push(json!({"id": e, "from": {"blockId": format!("b-in-{i}"), "itemId": format!("it-side-{i}")}, "to": {"groupId": format!("s-{}", (i * side / path).min(side - 1))}}));
        }
        gs.push(json!({
            "id": format!("g-{i}"), "title": format!("Step {i}"), "graphCoordinates": {"x": 0, "y": 0},
            "blocks": [
                {"id": format!("b-txt-{i}"), "type": "text", "content": {"richText": [{"type": "p", "children": [{"text": format!("Question {i}, "), }, {"bold": true, "text": "{{Name}}"}, {"text": "?"}]}]}},
                {"id": format!("b-in-{i}"), "type": "choice input", "items": [next_item, side_item], "options": {"variableId": "v-answer"}}
            ]
        }));
    }
    for s in 0..side {
        let mut block = json!({"id": format!("b-side-{s}"), "type": "text", "content": {"richText": [{"type": "p", "children": [{"text": format!("Side {s}")}]}]}});
        if s + 1 < side {
            block["outgoingEdgeId"] = json!(format!("e-s-{s}"));
            edges.push(json!({"id": format!("e-s-{s}"), "from": {"blockId": format!("b-side-{s}")}, "to": {"groupId": format!("s-{}", s + 1)}}));
        }
        gs.push(json!({"id": format!("s-{s}"), "title": format!("Side {s}"), "graphCoordinates": {"x": 0, "y": 0}, "blocks": [block]}));
    }
    edges.push(json!({"id": "e-start", "from": {"eventId": "ev-start"}, "to": {"groupId": "g-0"}}));
    json!({
        "version": "6.1", "id": format!("gen-{groups}"), "name": "generated",
        "events": [{"id": "ev-start", "type": "start", "outgoingEdgeId": "e-start", "graphCoordinates": {"x": 0, "y": 0}}],
        "groups": gs, "edges": edges,
        "variables": [{"id": "v-answer", "name": "Answer"}, {"id": "v-name", "name": "Name", "value": "Ada"}],
        "theme": {}, "settings": {}
    })
}

fn compile(v: &Value) -> Arc<CompiledFlow> {
    flow::load_str(&v.to_string()).expect("bot compiles")
}

/// Plays a whole conversation; returns the number of turns (start + replies).
async fn converse(engine: &Engine, flow: Arc<CompiledFlow>, replies: &[&str]) -> usize {
    let (state, _) = engine
        .start(flow, StartParams::default(), "r".into())
        .await
        .expect("start");
    let mut bytes = serde_json::to_vec(&state).expect("encode");
    for r in replies {
        let state: SessionState = serde_json::from_slice(&bytes).expect("decode");
        let (state, out) = engine
            .resume(state, Some(Message::text(*r)), TextFormat::RichText)
            .await
            .expect("turn");
        std::hint::black_box(&out);
        bytes = serde_json::to_vec(&state).expect("encode");
    }
    replies.len() + 1
}

fn engine_with(flow: &Arc<CompiledFlow>) -> Engine {
    let flows = Arc::new(MemoryFlows::new());
    flows.publish(flow.clone());
    Engine::new(flows, None, EngineConfig::default())
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let mut group = c.benchmark_group("generated");
    for size in [10usize, 1000] {
        let flow = compile(&generated_bot(size));
        let engine = engine_with(&flow);
        let replies = ["Next"; 10];
        group.bench_function(format!("{size}_groups_11_turns"), |b| {
            b.iter(|| rt.block_on(converse(&engine, flow.clone(), &replies)));
        });
    }
    group.finish();

    if let Ok(dir) = std::env::var("TESSERA_TYPEBOT_CORPUS") {
        let path = std::path::Path::new(&dir).join("templates/lead-gen.json");
        if let Ok(text) = std::fs::read_to_string(&path) {
            let flow = flow::load_str(&text).expect("lead-gen compiles");
            let engine = engine_with(&flow);
            // The valid path of the golden transcript: 5 replies, 6 turns.
            let replies = [
                "Hi!",
                "John",
                "john@example.com",
                "Website dev",
                "I need a new site",
            ];
            c.bench_function("lead_gen_conversation_6_turns", |b| {
                b.iter(|| rt.block_on(converse(&engine, flow.clone(), &replies)));
            });
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
