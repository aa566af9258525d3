//! What streaming through Tessera adds, at many concurrent streams: a stand-in LLM (OpenAI's
//! chat-completions SSE) in this process writes one chunk every `gap` ms, each carrying the
//! instant it was written (`t=<µs>`). `n` readers each read `rounds` streams back to back,
//! their first starts spread over one stream's duration, so that `n` streams are in flight at
//! once (a steady state, not `n` requests in the same millisecond): first directly from the
//! stand-in, then through a running Tessera's streamMessage (one waiting session per reader).
//! For both: the time to the first token, the gap between chunks and each chunk's latency
//! (read minus written, one clock); Tessera's figure minus the direct one at the same
//! percentile is what it adds. Last, `n` endless streams (spread the same way) are read
//! through Tessera and dropped after three chunks: the time from the drop to the stand-in
//! seeing its upstream connection close.
//!
//! `scripts/load-streams.sh` starts Tessera (a credential `load` pointing at the stand-in's
//! port, rate limits off) and runs this:
//!
//! ```sh
//! TESSERA_API_TOKEN=... cargo run --example load_streams -- http://127.0.0.1:PORT STUB_PORT 1000 20 50 3
//! ```
//! (Tessera's URL, the stand-in's port, concurrent streams, gap in ms, chunks per stream,
//! rounds per reader).

mod stub;

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use stub::{Closes, serve};

static EPOCH: OnceLock<Instant> = OnceLock::new();

/// Microseconds on this process's one monotonic clock.
pub fn now_us() -> u64 {
    EPOCH.get_or_init(Instant::now).elapsed().as_micros() as u64
}

/// What one stream's reader saw.
#[derive(Default)]
struct Timing {
    ok: bool,
    ttft: Option<u64>,
    gaps: Vec<u64>,
    latencies: Vec<u64>,
    /// When the reader dropped the connection (the disconnect runs).
    dropped_at: u64,
}

/// POSTs `body` with `connection: close` and reads the response as it arrives, timing every
/// `t=<µs>` token in it; stops (dropping the connection) after `stop_after` tokens.
async fn timed(addr: &str, path: &str, body: &str, stop_after: Option<usize>) -> Timing {
    let mut t = Timing::default();
    let Ok(mut sock) = TcpStream::connect(addr).await else {
        return t;
    };
    let _ = sock.set_nodelay(true);
    let req = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\nauthorization: Bearer load\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let sent = now_us();
    if sock.write_all(req.as_bytes()).await.is_err() {
        return t;
    }
    let mut buf = vec![0u8; 16 * 1024];
    let mut carry: Vec<u8> = Vec::new();
    let mut last = sent;
    let mut seen = 0;
    loop {
        let n = match sock.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let at = now_us();
        if !t.ok && carry.is_empty() {
            t.ok = buf[..n].starts_with(b"HTTP/1.1 200");
        }
        carry.extend_from_slice(&buf[..n]);
        let mut keep_from = carry.len().saturating_sub(24);
        let mut i = 0;
        while let Some(p) = carry[i..].windows(2).position(|w| w == b"t=") {
            let s = i + p + 2;
            let digits = carry[s..].iter().take_while(|b| b.is_ascii_digit()).count();
            if s + digits == carry.len() {
                keep_from = i + p; // the token may go on in the next read
                break;
            }
            i = s + digits;
            if digits == 0 {
                continue;
            }
            let written: u64 = std::str::from_utf8(&carry[s..s + digits])
                .ok()
                .and_then(|d| d.parse().ok())
                .unwrap_or(at);
            match t.ttft {
                None => t.ttft = Some(at - sent),
                Some(_) => t.gaps.push(at - last),
            }
            t.latencies.push(at.saturating_sub(written));
            last = at;
            seen += 1;
            keep_from = keep_from.max(i);
        }
        carry.drain(..keep_from.min(carry.len()));
        if stop_after.is_some_and(|s| seen >= s) {
            t.dropped_at = now_us();
            return t;
        }
    }
    t
}

/// Readers, one per (address, path, body): each waits its share of `spread`, then reads
/// `rounds` streams back to back. Every stream's timing, in reader order, then round order.
async fn readers(
    targets: Vec<(String, String, String)>,
    spread: Duration,
    rounds: usize,
    stop_after: Option<usize>,
) -> Vec<Timing> {
    let n = targets.len().max(1) as u32;
    let begin = tokio::time::Instant::now();
    let runs = targets
        .into_iter()
        .enumerate()
        .map(|(i, (addr, path, body))| async move {
            tokio::time::sleep_until(begin + spread * i as u32 / n).await;
            let mut out = Vec::with_capacity(rounds);
            for _ in 0..rounds {
                out.push(timed(&addr, &path, &body, stop_after).await);
            }
            out
        });
    futures_util::future::join_all(runs)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// Percentile `p` of `v` (sorted here), in microseconds.
fn pct(v: &mut [u64], p: f64) -> u64 {
    v.sort_unstable();
    v.get(((v.len() as f64 - 1.0) * p).round() as usize)
        .copied()
        .unwrap_or(0)
}

/// p50 and p99 of time to first token, gap and latency, in µs.
fn summary(runs: &[Timing]) -> [u64; 6] {
    let mut ttft: Vec<u64> = runs.iter().filter_map(|r| r.ttft).collect();
    let mut gaps: Vec<u64> = runs.iter().flat_map(|r| r.gaps.iter().copied()).collect();
    let mut lat: Vec<u64> = runs
        .iter()
        .flat_map(|r| r.latencies.iter().copied())
        .collect();
    [
        pct(&mut ttft, 0.5),
        pct(&mut ttft, 0.99),
        pct(&mut gaps, 0.5),
        pct(&mut gaps, 0.99),
        pct(&mut lat, 0.5),
        pct(&mut lat, 0.99),
    ]
}

fn ms(us: i64) -> String {
    format!("{:.3}", us as f64 / 1000.0)
}

/// A bot: a question, the `openai` block on credential `load` with `model`, the answer.
fn bot(id: &str, model: &str) -> Value {
    json!({"version": "6.1", "id": id, "name": id,
        "events": [{"id": "ev", "type": "start", "outgoingEdgeId": "e0", "graphCoordinates": {"x": 0, "y": 0}}],
        "groups": [{"id": "g", "title": "Main", "graphCoordinates": {"x": 0, "y": 0}, "blocks": [
            {"id": "q", "type": "text input", "options": {"variableId": "v-q"}},
            {"id": "ai", "type": "openai", "options": {"credentialsId": "load", "action": "Create chat completion",
                "model": model, "messages": [{"role": "user", "content": "{{Question}}"}],
                "responseMapping": [{"item": "Message content", "variableId": "v-a"}]}},
            {"id": "a", "type": "text", "content": {"richText": [{"type": "p", "children": [{"text": "{{Answer}}"}]}]}},
            {"id": "q2", "type": "text input", "options": {"variableId": "v-q"}}]}],
        "edges": [{"id": "e0", "from": {"eventId": "ev"}, "to": {"groupId": "g"}}],
        "variables": [{"id": "v-q", "name": "Question"}, {"id": "v-a", "name": "Answer"}],
        "theme": {}, "settings": {}})
}

/// Sessions of bot `id` waiting on its streamed answer, each asked `<prefix><i>`.
async fn sessions(
    http: &reqwest::Client,
    base: &str,
    id: &str,
    prefix: &str,
    n: usize,
) -> Vec<String> {
    let one = |i: usize| async move {
        let start: Value = http
            .post(format!("{base}/api/v1/typebots/{id}/startChat"))
            .json(&json!({"isStreamEnabled": true}))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        let sid = start["sessionId"].as_str()?.to_string();
        let turn: Value = http
            .post(format!("{base}/api/v1/sessions/{sid}/continueChat"))
            .json(&json!({"message": {"type": "text", "text": format!("{prefix}{i}")}}))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        (turn["clientSideActions"][0]["type"] == "stream").then_some(sid)
    };
    let got: Vec<Option<String>> = futures_util::stream::iter(0..n)
        .map(one)
        .buffered(32)
        .collect()
        .await;
    got.into_iter().flatten().collect()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: &str| args.get(i).cloned().unwrap_or_else(|| d.to_string());
    let base = arg(0, "http://127.0.0.1:8080");
    let stub_port: u16 = arg(1, "18099").parse()?;
    let n: usize = arg(2, "1000").parse()?;
    let gap = Duration::from_millis(arg(3, "20").parse()?);
    let chunks: usize = arg(4, "50").parse()?;
    let rounds: usize = arg(5, "3").parse()?;
    let token = std::env::var("TESSERA_API_TOKEN").unwrap_or_default();
    let tessera = base.trim_start_matches("http://").to_string();
    now_us();

    let closes: Closes = Arc::default();
    let listener = TcpListener::bind(("127.0.0.1", stub_port)).await?;
    let stub_closes = closes.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let _ = sock.set_nodelay(true);
            tokio::spawn(serve(sock, gap, chunks, stub_closes.clone()));
        }
    });

    let http = reqwest::Client::new();
    for (id, model) in [("load-stream", "m"), ("load-endless", "endless")] {
        let r = http
            .put(format!("{base}/api/v1/flows/{id}"))
            .bearer_auth(&token)
            .json(&bot(id, model))
            .send()
            .await?;
        if !r.status().is_success() {
            return Err(format!("publishing {id}: {} {}", r.status(), r.text().await?).into());
        }
    }
    let streams = sessions(&http, &base, "load-stream", "s", n).await;
    let endless = sessions(&http, &base, "load-endless", "e", n).await;
    if streams.len() < n || endless.len() < n {
        return Err(format!(
            "only {} + {} of {n} sessions waited on a stream",
            streams.len(),
            endless.len()
        )
        .into());
    }

    let stub = format!("127.0.0.1:{stub_port}");
    let spread = gap * chunks as u32;
    let direct = (0..n).map(|i| {
        let body = json!({"model": "m", "stream": true,
            "messages": [{"role": "user", "content": format!("d{i}")}]});
        (
            stub.clone(),
            "/v1/chat/completions".to_string(),
            body.to_string(),
        )
    });
    let direct = readers(direct.collect(), spread, rounds, None).await;
    let via = |sids: &[String]| -> Vec<(String, String, String)> {
        sids.iter()
            .map(|sid| {
                let path = format!("/api/v2/sessions/{sid}/streamMessage");
                (tessera.clone(), path, "{}".to_string())
            })
            .collect()
    };
    let through = readers(via(&streams), spread, rounds, None).await;
    let dropped = readers(via(&endless), spread, 1, Some(3)).await;
    // The stand-in notes closes as they happen; give the last ones time to arrive.
    let deadline = Instant::now() + Duration::from_secs(5);
    while closes.lock().expect("closes").len() < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let failed = |runs: &[Timing]| runs.iter().filter(|r| !r.ok || r.ttft.is_none()).count();
    let (d, t) = (summary(&direct), summary(&through));
    println!(
        "{n} concurrent streams ({rounds} rounds each), a chunk every {} ms, {chunks} chunks a stream",
        gap.as_millis()
    );
    println!(
        "{:<10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>7}",
        "ms", "ttft_p50", "ttft_p99", "gap_p50", "gap_p99", "lat_p50", "lat_p99", "failed"
    );
    for (name, s, f) in [
        ("direct", d, failed(&direct)),
        ("tessera", t, failed(&through)),
    ] {
        let cells: Vec<String> = s.iter().map(|v| ms(*v as i64)).collect();
        println!(
            "{name:<10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {f:>7}",
            cells[0], cells[1], cells[2], cells[3], cells[4], cells[5]
        );
    }
    let added: Vec<String> = (0..6).map(|i| ms(t[i] as i64 - d[i] as i64)).collect();
    println!(
        "{:<10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "added", added[0], added[1], added[2], added[3], added[4], added[5]
    );
    let closes = closes.lock().expect("closes").clone();
    let mut stop: Vec<u64> = endless
        .iter()
        .enumerate()
        .zip(&dropped)
        .filter(|(_, r)| r.dropped_at > 0)
        .filter_map(|((i, _), r)| {
            closes
                .get(&format!("e{i}"))
                .map(|c| c.saturating_sub(r.dropped_at))
        })
        .collect();
    let stopped = stop.len();
    let (p50, p99) = (pct(&mut stop, 0.5), pct(&mut stop, 0.99));
    let max = stop.last().copied().unwrap_or(0);
    println!(
        "disconnect -> upstream closed: {stopped}/{n} stopped, p50 {} ms, p99 {} ms, max {} ms",
        ms(p50 as i64),
        ms(p99 as i64),
        ms(max as i64)
    );
    Ok(())
}
