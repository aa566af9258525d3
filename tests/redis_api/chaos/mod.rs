//! Chaos (issue 15, item 3), against real processes: Redis SIGKILLed and restarted under
//! load, a server `kill -9`ed beside another, a slow Redis behind a latency proxy. Each test
//! drives [`CONVERSATIONS`] conversations of a counter bot at once, every turn sent with its
//! own `Idempotency-Key` and retried with it until it is acknowledged, as a client must. The
//! bot repeats every reply it applied, so every acknowledged answer is checked against what the
//! client sent: a turn lost or applied twice shows as a wrong number. No retry may wait for a
//! claim or a lease to expire: each turn must settle within [`SETTLE`] (a correctness bound,
//! far below the 30 s lease and the 60 s claim, not a performance figure).

mod redis_kill;
mod server_kill;
mod slow_redis;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::replies::{input_id, said_by_paragraph, session_id};
use crate::server::Server;
use crate::support::{bot, input, publish, start};

pub const CONVERSATIONS: usize = 16;

/// The longest a turn may take to be acknowledged, retries included.
pub const SETTLE: Duration = Duration::from_secs(10);

/// The counter bot: each reply is appended to the list `hist`, and the bot says
/// `got <hist>` (a JSON list): every reply it applied, in order (no code runs: the check does not depend
/// on the JavaScript sandbox).
pub fn counter_bot(id: &str, public_id: &str) -> Value {
    let blocks = json!([
        input("q", "v-last"),
        {"id": "add", "type": "Set variable",
         "options": {"variableId": "v-hist", "type": "Append value(s)", "item": "{{last}}"}},
        crate::common::bots::text("say", "got {{hist}}"),
        {"id": "again", "type": "Jump", "options": {"groupId": "g-main"}}
    ]);
    bot(id, public_id, blocks, &["last", "hist"])
}

/// What the bot says after reply `t`: every reply up to it.
pub fn expected(t: usize) -> String {
    let replies: Vec<String> = (0..=t).map(|j| format!("m{j}")).collect();
    format!("got {}", json!(replies))
}

/// The servers' settings: this turn lease, and no rate limit (one client address sends the
/// whole load, retries included).
pub fn settings(lease_ms: &'static str) -> [(&'static str, &'static str); 3] {
    [
        ("TESSERA_TURN_LEASE_MS", lease_ms),
        ("TESSERA_RATE_LIMIT_PER_IP", "0"),
        ("TESSERA_RATE_LIMIT_PER_SESSION", "0"),
    ]
}

/// What the clients saw: responses by kind, the slowest turn to settle.
#[derive(Default)]
pub struct Tally {
    pub kinds: BTreeMap<String, usize>,
    pub slowest: Duration,
}

/// The load: the servers' base URLs (a dead one is skipped), the tally, turns acknowledged.
pub struct Load {
    pub bases: Vec<String>,
    pub dead: Mutex<Vec<bool>>,
    pub tally: Mutex<Tally>,
    pub acked: AtomicUsize,
    pub c: reqwest::Client,
}

impl Load {
    pub fn new(servers: &[&Server]) -> Arc<Load> {
        // reqwest is built without a default TLS provider (plain HTTP here, but it needs one).
        let _ = rustls::crypto::ring::default_provider().install_default();
        Arc::new(Load {
            bases: servers.iter().map(|s| s.base.clone()).collect(),
            dead: Mutex::new(vec![false; servers.len()]),
            tally: Mutex::default(),
            acked: AtomicUsize::new(0),
            c: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .expect("HTTP client"),
        })
    }

    /// Starts the conversations on the bot `public_id`, spread over the servers.
    pub async fn start_all(&self, servers: &[&Server], public_id: &str) -> Vec<String> {
        let mut sids = Vec::new();
        for k in 0..CONVERSATIONS {
            let got = start(&self.c, servers[k % servers.len()], public_id).await;
            assert_eq!(input_id(&got.1), Some("q"), "{}", got.1);
            sids.push(session_id(&got.1));
        }
        sids
    }

    /// Marks a server dead (killed by the test): no request goes to it any more.
    pub fn kill(&self, i: usize) {
        self.dead.lock().unwrap()[i] = true;
    }

    /// The base URL of turn `t` of conversation `k`: servers in turn, skipping dead ones.
    fn base(&self, k: usize, t: usize) -> String {
        let dead = self.dead.lock().unwrap();
        let n = self.bases.len();
        (0..n)
            .map(|d| (k + t + d) % n)
            .find(|&i| !dead[i])
            .map(|i| self.bases[i].clone())
            .expect("a live server")
    }

    fn count(&self, kind: String) {
        *self.tally.lock().unwrap().kinds.entry(kind).or_default() += 1;
    }

    /// Sends reply `t` to conversation `k` (`sid`) with its key until it is acknowledged;
    /// returns the answer's text. Only documented outage answers are retried.
    pub async fn turn(&self, k: usize, sid: &str, t: usize) -> String {
        let started = Instant::now();
        let body = json!({ "message": format!("m{t}") }).to_string();
        loop {
            if started.elapsed() >= SETTLE {
                let kinds = format!("{:?}", self.tally.lock().unwrap().kinds);
                panic!("turn {t} of {sid} not settled within {SETTLE:?}: {kinds}");
            }
            let url = format!("{}/api/v1/sessions/{sid}/continueChat", self.base(k, t));
            let sent = self
                .c
                .post(&url)
                .header("content-type", "application/json")
                .header("idempotency-key", format!("{sid}-turn-{t}"))
                .body(body.clone())
                .send()
                .await;
            let (status, text) = match sent {
                Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
                Err(_) => {
                    self.count("connection error".into());
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            if status == 200 {
                self.count("200".into());
                let mut tally = self.tally.lock().unwrap();
                tally.slowest = tally.slowest.max(started.elapsed());
                self.acked.fetch_add(1, Ordering::SeqCst);
                return said_by_paragraph(&v).join(" | ");
            }
            let code = v["code"].as_str().unwrap_or_default().to_string();
            let retried = matches!(
                (status, code.as_str()),
                (503, "store_unavailable") | (409, "request_in_progress" | "session_busy")
            );
            assert!(retried, "turn {t} of {sid}: {status} {text}");
            self.count(format!("{status} {code}"));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Drives every conversation through `turns` replies at once (from reply `from` on);
    /// returns, per conversation, the answers that do not match what was sent.
    pub async fn drive(
        self: &Arc<Self>,
        sids: &[String],
        from: usize,
        turns: usize,
    ) -> Vec<String> {
        let tasks: Vec<_> = sids
            .iter()
            .enumerate()
            .map(|(k, sid)| {
                let (load, sid) = (self.clone(), sid.clone());
                tokio::spawn(async move {
                    let mut wrong = Vec::new();
                    for t in from..from + turns {
                        let said = load.turn(k, &sid, t).await;
                        let want = expected(t);
                        if said != want {
                            wrong.push(format!("{sid} reply {t}: said {said:?}, want {want:?}"));
                        }
                    }
                    wrong
                })
            })
            .collect();
        let mut wrong = Vec::new();
        for t in tasks {
            wrong.extend(t.await.expect("a conversation's driver panicked"));
        }
        wrong
    }

    /// Waits until `n` turns in all were acknowledged (the load is under way).
    pub async fn until_acked(&self, n: usize) {
        let deadline = Instant::now() + SETTLE;
        while self.acked.load(Ordering::SeqCst) < n {
            assert!(Instant::now() < deadline, "the load did not get going");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// One line for the test log (and RELIABILITY.md).
    pub fn report(&self, what: &str, sessions: usize, wrong: &[String]) {
        let t = self.tally.lock().unwrap();
        let requests: usize = t.kinds.values().sum();
        eprintln!(
            "chaos {what}: {requests} requests, {:?}, slowest turn {:?}, {sessions} sessions checked, {} wrong",
            t.kinds,
            t.slowest,
            wrong.len()
        );
    }

    /// How many answers of a kind the clients got.
    pub fn seen(&self, kind: &str) -> usize {
        self.tally
            .lock()
            .unwrap()
            .kinds
            .get(kind)
            .copied()
            .unwrap_or(0)
    }
}

/// Publishes the counter bot on `server`; returns its public id.
pub async fn publish_counter(c: &reqwest::Client, server: &Server, tag: &str) -> String {
    let (id, public) = crate::support::ids(tag);
    publish(c, server, &counter_bot(&id, &public)).await;
    public
}
