//! Timer lateness of `waiting_time` executions, measured end to end through the conversation
//! core: many executions pause on a Wait block whose seconds come from a variable, so that
//! their resumes fall due at a steady rate; the timer loop runs as in a server; lateness is
//! when the resumed execution was saved (its record's `updated_at`) minus its `resume_at`.
//!
//! ```sh
//! # 100,000 pending waits falling due at 2,000/s, 40 s after the first trigger
//! cargo run --release --example timer_lateness -- steady memory 100000 2000 40
//! cargo run --release --example timer_lateness -- steady redis://127.0.0.1:6379/5 100000 2000 40
//! # 10,000 overdue timers on Redis: created with no timer loop running (a process that died),
//! # then a new process starts; how long after it is ready every one has fired
//! cargo run --release --example timer_lateness -- restart redis://127.0.0.1:6379/5 10000
//! ```
//! Use a Redis database of its own: the run leaves its records there (they expire with the
//! results retention).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use tessera::config::Config;
use tessera::conversation::Conversations;
use tessera::conversation::executions::run::Trigger;
use tessera::conversation::executions::{DEFAULT_TENANT, timers};
use tessera::server::build_state;
use tessera::store::Doc;

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Concurrent triggers while setting up.
const SETUP_CONCURRENCY: usize = 64;

fn wait_bot(id: &str) -> Value {
    let text = |id: &str, s: &str| json!({"id": id, "type": "text", "content": {"richText": [{"type": "p", "children": [{"text": s}]}]}});
    json!({
        "version": "6.1", "id": id, "publicId": id, "name": "timer lateness",
        "events": [{"id": "ev", "type": "start", "outgoingEdgeId": "e0", "graphCoordinates": {"x": 0, "y": 0}}],
        "groups": [{"id": "g", "title": "Main", "graphCoordinates": {"x": 0, "y": 0}, "blocks": [
            text("before", "before"),
            {"id": "w", "type": "Wait", "options": {"secondsToWaitFor": "{{delay}}", "shouldPause": true}},
            text("after", "after"),
            {"id": "i", "type": "text input", "options": {"variableId": "v-name"}}
        ]}],
        "edges": [{"id": "e0", "from": {"eventId": "ev"}, "to": {"groupId": "g"}}],
        "variables": [{"id": "v-delay", "name": "delay"}, {"id": "v-name", "name": "Name"}],
        "theme": {}, "settings": {}
    })
}

async fn core(store: &str) -> Arc<Conversations> {
    let config = Config {
        store: store.to_string(),
        log: "warn".into(),
        ..Config::default()
    };
    build_state(&config).await.expect("state").conversations
}

/// Triggers one execution due at `due_ms`; its id and `resume_at` (ms).
async fn trigger(core: &Conversations, intent: &str, due_ms: u64) -> (String, i64) {
    let wait = due_ms.saturating_sub(timers::now_ms()) as f64 / 1000.0;
    let mut variables = Map::new();
    variables.insert("delay".into(), json!(format!("{wait:.3}")));
    let t = Trigger {
        tenant_id: DEFAULT_TENANT.into(),
        intent_name: intent.into(),
        variables,
        ..Trigger::default()
    };
    let env = core.trigger(t, None).await.expect("trigger");
    assert_eq!(env.status, "waiting_time", "{env:?}");
    let at = env.metadata["resume_at"].as_str().unwrap_or_default();
    let at = chrono::DateTime::parse_from_rfc3339(at).expect("resume_at");
    (env.execution_id, at.timestamp_millis())
}

/// Triggers executions due at the given times, `SETUP_CONCURRENCY` at a time.
async fn trigger_all(
    core: &Arc<Conversations>,
    intent: &str,
    dues: Vec<u64>,
) -> Vec<(String, i64)> {
    let mut out = Vec::with_capacity(dues.len());
    for chunk in dues.chunks(SETUP_CONCURRENCY) {
        let tasks: Vec<_> = chunk
            .iter()
            .map(|&due| {
                let (core, intent) = (core.clone(), intent.to_string());
                tokio::spawn(async move { trigger(&core, &intent, due).await })
            })
            .collect();
        for t in tasks {
            out.push(t.await.expect("task"));
        }
    }
    out
}

/// When each execution was resumed (its record's `updated_at`, ms), None while still waiting.
async fn resumed_at(core: &Conversations, id: &str) -> Option<i64> {
    let raw = core
        .stores
        .executions
        .doc_get(Doc::Execution, id)
        .await
        .ok()??;
    let v: Value = serde_json::from_str(&raw).ok()?;
    if v["envelope"]["status"] == "waiting_time" {
        return None;
    }
    let at = chrono::DateTime::parse_from_rfc3339(v["updated_at"].as_str()?).ok()?;
    Some(at.timestamp_millis())
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn steady(store: &str, count: u64, rate: u64, lead_secs: u64) {
    let core = core(store).await;
    let intent = format!("lateness-{}", tessera::ids::new_id());
    core.registry
        .publish(&wait_bot(&intent), None, None)
        .await
        .expect("publish");
    let _loop = timers::spawn(core.clone(), Config::default().timer_concurrency);
    let first = timers::now_ms() + lead_secs * 1000;
    let dues: Vec<u64> = (0..count).map(|i| first + i * 1000 / rate).collect();
    let t0 = Instant::now();
    let execs = trigger_all(&core, &intent, dues).await;
    let setup = t0.elapsed();
    println!(
        "triggered {count} executions in {:.1} s ({:.0}/s)",
        setup.as_secs_f64(),
        count as f64 / setup.as_secs_f64()
    );
    let overdue_at_setup = execs
        .iter()
        .filter(|(_, due)| *due < timers::now_ms() as i64)
        .count();
    assert!(
        overdue_at_setup == 0,
        "{overdue_at_setup} timers fell due during setup: raise the lead"
    );
    let last = execs.iter().map(|(_, d)| *d).max().unwrap_or_default();
    let wait = (last - timers::now_ms() as i64).max(0) as u64 + 3000;
    tokio::time::sleep(Duration::from_millis(wait)).await;
    let mut late = Vec::with_capacity(execs.len());
    let mut missing = 0;
    for (id, due) in &execs {
        match resumed_at(&core, id).await {
            Some(at) => late.push(at - due),
            None => missing += 1,
        }
    }
    late.sort_unstable();
    println!(
        "store={store} pending={count} rate={rate}/s: fired {} (not yet: {missing}); lateness p50 {} ms, p90 {} ms, p99 {} ms, max {} ms",
        late.len(),
        percentile(&late, 0.5),
        percentile(&late, 0.9),
        percentile(&late, 0.99),
        late.last().copied().unwrap_or_default()
    );
}

async fn restart(store: &str, count: u64) {
    // The process that creates the waits runs no timer loop: as if it died right after.
    let first = core(store).await;
    let intent = format!("lateness-{}", tessera::ids::new_id());
    first
        .registry
        .publish(&wait_bot(&intent), None, None)
        .await
        .expect("publish");
    let due = timers::now_ms() + 1000;
    let execs = trigger_all(&first, &intent, vec![due; count as usize]).await;
    drop(first);
    let overdue_by = (due as i64 + 2000 - timers::now_ms() as i64).max(0) as u64;
    tokio::time::sleep(Duration::from_millis(overdue_by)).await;
    // The next process: ready once its state is built; its timer loop starts then.
    let second = core(store).await;
    let ready = timers::now_ms() as i64;
    let _loop = timers::spawn(second.clone(), Config::default().timer_concurrency);
    let mut pending: Vec<&(String, i64)> = execs.iter().collect();
    let mut last = ready;
    let t0 = Instant::now();
    while !pending.is_empty() && t0.elapsed() < Duration::from_secs(60) {
        let mut still = Vec::new();
        for e in pending {
            match resumed_at(&second, &e.0).await {
                Some(at) => last = last.max(at),
                None => still.push(e),
            }
        }
        pending = still;
        if !pending.is_empty() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    println!(
        "store={store} overdue={count}: all fired {} ms after readiness (not fired: {})",
        last - ready,
        pending.len()
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: &str| args.get(i).cloned().unwrap_or_else(|| d.to_string());
    let num = |i: usize, d: u64| arg(i, &d.to_string()).parse::<u64>().expect("a number");
    match arg(0, "steady").as_str() {
        "steady" => steady(&arg(1, "memory"), num(2, 100_000), num(3, 2000), num(4, 40)).await,
        "restart" => restart(&arg(1, "redis://127.0.0.1:6379/5"), num(2, 10_000)).await,
        other => panic!("unknown mode {other}: steady or restart"),
    }
}
