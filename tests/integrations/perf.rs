//! What streaming through Tessera adds (ignored by default: run it alone, in release, e.g.
//! `cargo test --release --test integrations perf -- --ignored --nocapture`):
//! `TESSERA_PERF_STREAMS` (default 1000) concurrent streams from the stand-in, each read once
//! directly and once through streamMessage; prints the p50/p99 of the time to first token and
//! of the gap between chunks for both, and what Tessera adds. With `TESSERA_PERF_ASSERT` set
//! it fails when the p99 added exceeds 1 ms.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::app::TestApp;
use crate::common::llm_stub::{self, API_KEY};
use crate::setup::{ai_bot, app, chat_to_ai, forge_block, openai_credentials};

const CHUNK_GAP: Duration = Duration::from_millis(20);

/// Time to the first text chunk and the gaps between chunks of one streamed response.
async fn timings(
    r: reqwest::Response,
    sent: Instant,
    is_text: fn(&[u8]) -> bool,
) -> (Duration, Vec<Duration>) {
    let mut r = r;
    let mut first = None;
    let mut last = sent;
    let mut gaps = Vec::new();
    while let Ok(Some(chunk)) = r.chunk().await {
        if !is_text(&chunk) {
            continue;
        }
        let now = Instant::now();
        match first {
            None => first = Some(now - sent),
            Some(_) => gaps.push(now - last),
        }
        last = now;
    }
    (first.unwrap_or_default(), gaps)
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v.get(((v.len() as f64 - 1.0) * p) as usize)
        .copied()
        .unwrap_or_default()
}

async fn direct(client: &reqwest::Client, base: &str) -> (Duration, Vec<Duration>) {
    let sent = Instant::now();
    let r = client
        .post(format!("{base}/chat/completions"))
        .bearer_auth(API_KEY)
        .json(&json!({"model": "m", "stream": true, "messages": [{"role": "user", "content": "one two three four five"}]}))
        .send()
        .await
        .expect("direct");
    timings(r, sent, |c| {
        c.windows(9).any(|w| w == b"\"content\"")
            && !c.windows(12).any(|w| w == b"\"content\":\"\"")
    })
    .await
}

async fn through(app: &TestApp, sid: &str) -> (Duration, Vec<Duration>) {
    let sent = Instant::now();
    let r = app
        .client
        .post(format!("{}/api/v2/sessions/{sid}/streamMessage", app.base))
        .json(&json!({}))
        .send()
        .await
        .expect("stream");
    timings(r, sent, |c| c.starts_with(b"0:")).await
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement: run alone, in release"]
async fn streaming_adds_under_a_millisecond_at_the_99th_percentile() {
    let n: usize = std::env::var("TESSERA_PERF_STREAMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let stub = llm_stub::start(CHUNK_GAP).await;
    let app = app().await;
    openai_credentials(&app, "perf", "openai", &stub.base_url).await;
    let flow = ai_bot("perf", forge_block("openai", "perf", "m"));
    let mut sids = Vec::with_capacity(n);
    for _ in 0..n {
        sids.push(
            chat_to_ai(&app, &flow, "one two three four five", true)
                .await
                .0,
        );
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    let direct_runs =
        futures_util::future::join_all((0..n).map(|_| direct(&client, &stub.base_url))).await;
    let app = &app;
    let tessera_runs = futures_util::future::join_all(sids.iter().map(|s| through(app, s))).await;
    let summary = |runs: Vec<(Duration, Vec<Duration>)>| {
        let mut ttft: Vec<Duration> = runs.iter().map(|r| r.0).collect();
        let mut gaps: Vec<Duration> = runs.into_iter().flat_map(|r| r.1).collect();
        (
            pct(&mut ttft, 0.5),
            pct(&mut ttft, 0.99),
            pct(&mut gaps, 0.5),
            pct(&mut gaps, 0.99),
        )
    };
    let d = summary(direct_runs);
    let t = summary(tessera_runs);
    eprintln!(
        "{n} streams  direct: ttft p50 {:?} p99 {:?}, gap p50 {:?} p99 {:?}",
        d.0, d.1, d.2, d.3
    );
    eprintln!(
        "{n} streams tessera: ttft p50 {:?} p99 {:?}, gap p50 {:?} p99 {:?}",
        t.0, t.1, t.2, t.3
    );
    let added_ttft = t.1.saturating_sub(d.1);
    let added_gap = t.3.saturating_sub(d.3);
    eprintln!("added at p99: ttft {added_ttft:?}, per chunk {added_gap:?}");
    if std::env::var_os("TESSERA_PERF_ASSERT").is_some() {
        assert!(added_ttft < Duration::from_millis(1) && added_gap < Duration::from_millis(1));
    }
}
