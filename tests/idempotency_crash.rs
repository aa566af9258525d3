//! Idempotency across a crash (issue 15): a request sent with an `Idempotency-Key` whose process
//! dies right after its save, before it settles its key, and the client's retry on another
//! process. Process A is a conversation core whose idempotency store fails every settle (the
//! crash: nothing after the save reaches the store) and whose owner never heartbeats (dead to
//! the others); process B is a second core on the same store. For every surface that takes a
//! key (startChat, continueChat, the web player's workflow start, the engine API's trigger and
//! resume), B's retry must answer A's reply byte for byte at once, without running the call
//! again: the answer was stored with the save. A's engine-API writes after the save (the
//! execution's record and wait token, its timers) are lost too, and the execution A answered
//! goes on, on B, with the wait token of that answer: its save wrote them. On memory, a single
//! Redis, and a Redis Cluster (the starts and continueChat; the engine resume's answer is not
//! in its session's slot, and on a cluster the store writes the execution's record right after
//! the save, in its own slot: a crash between them is not played here, see docs/REDIS.md).
//! And a start of a process only presumed dead, run after the retry took its claim over,
//! creates nothing (one session per key).

mod common;
#[path = "idempotency_crash/crashed.rs"]
mod crashed;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;
use tessera::conversation::executions::DEFAULT_TENANT;
use tessera::conversation::executions::run::Trigger;
use tessera::conversation::{
    Caller, Claim, Conversations, FlowChoice, IdempotencyKey, Reply, ServiceError, StartOptions,
    TurnResult,
};
use tessera::engine::{Engine, EngineConfig, Message, TextFormat};
use tessera::registry::Registry;
use tessera::store::redis::{RedisOptions, RedisStore};
use tessera::store::{SessionStore, Stores};

use common::core::bot;
use common::redis_env::{raw_connect, required_by, scan, shared_redis_url};

/// A core (a server process of its own: its own claim owner) on these stores.
fn core_on(stores: Stores, registry: &Arc<Registry>) -> Conversations {
    Conversations {
        engine: Arc::new(Engine::new(registry.clone(), None, EngineConfig::default())),
        registry: registry.clone(),
        stores,
        config: Default::default(),
        claims: Default::default(),
    }
}

/// Process A (crashes after its saves) and process B, on one store with the test bot.
async fn processes(stores: Stores) -> (Conversations, Conversations) {
    let registry = Arc::new(Registry::new(stores.flows.clone()));
    registry.publish(&bot(), None, None).await.expect("publish");
    let twice = two_questions();
    registry.publish(&twice, None, None).await.expect("publish");
    let records = Arc::new(crashed::CrashedRecords {
        records: stores.executions.clone(),
        timers: stores.timers.clone(),
    });
    let crashed = Stores {
        idempotency: Arc::new(crashed::Crashed(stores.idempotency.clone())),
        executions: records.clone(),
        timers: records,
        ..stores.clone()
    };
    (core_on(crashed, &registry), core_on(stores, &registry))
}

fn error_reply(e: ServiceError) -> Reply {
    Reply {
        status: 599,
        body: format!("{e:?}"),
    }
}

/// A turn's reply: its session and what the bot said.
fn turn_reply(t: TurnResult) -> Reply {
    let said = serde_json::to_string(&t.output.messages).unwrap_or_default();
    Reply {
        status: 200,
        body: format!("{} {said}", t.session_id),
    }
}

/// Sends one call with `key` on A (which crashes after its save), then the retry on B: the
/// same reply (returned), the call run once.
async fn crash_then_retry<'a, F, Fut>(
    a: &'a Conversations,
    b: &'a Conversations,
    scope: &str,
    call: F,
) -> Reply
where
    F: Fn(&'a Conversations, Option<Claim>) -> Fut,
    Fut: Future<Output = Result<Reply, ServiceError>> + 'a,
{
    let key = IdempotencyKey::new(tessera::ids::new_id(), "POST", scope, b"{}");
    let runs = AtomicUsize::new(0);
    let send = |core: &'a Conversations| {
        let (runs, call) = (&runs, &call);
        let key = key.clone();
        async move {
            let run = |claim| async move {
                runs.fetch_add(1, Ordering::SeqCst);
                call(core, claim).await.unwrap_or_else(error_reply)
            };
            core.idempotent_with(scope, Some(&key), run, error_reply)
                .await
        }
    };
    let first = send(a).await;
    assert_eq!(first.status, 200, "{}: {}", scope, first.body);
    let retry = send(b).await;
    assert_eq!(retry, first, "{scope}: the retry answers the stored reply");
    assert_eq!(runs.load(Ordering::SeqCst), 1, "{scope}: the call ran once");
    retry
}

/// The execution of an engine answer `reply` (its envelope) and its wait token.
fn paused(reply: &Reply) -> (String, String) {
    let v: Value = serde_json::from_str(&reply.body).expect("envelope");
    let id = v["execution_id"].as_str().expect("id").to_string();
    let token = v["metadata"]["wait_token"].as_str().expect("token");
    (id, token.to_string())
}

/// The execution A answered before its crash goes on, on B, with the wait token of that
/// answer (to status `then`): A's save wrote its record and token (nothing A writes after it
/// lands).
async fn goes_on_after_the_crash(b: &Conversations, reply: &Reply, then: &str) {
    let (id, token) = paused(reply);
    let record = b.execution(DEFAULT_TENANT, &id).await.expect("record");
    let stored = serde_json::to_value(&record).expect("envelope");
    let answered: Value = serde_json::from_str(&reply.body).expect("envelope");
    assert_eq!(stored, answered, "the record is the envelope A answered");
    let message = Some(Message::text("Grace"));
    let next = b
        .resume_execution(DEFAULT_TENANT, &id, &token, message, None)
        .await
        .expect("the answered wait token resumes the execution");
    assert_eq!(next.status, then, "resumed");
}

/// The engine API's bot: two questions, so an execution pauses twice.
fn two_questions() -> Value {
    let mut bot = bot();
    bot["id"] = "twice-bot".into();
    bot["publicId"] = "twice".into();
    let input =
        serde_json::json!({"id": "i2", "type": "text input", "options": {"variableId": "v1"}});
    if let Some(blocks) = bot["groups"][0]["blocks"].as_array_mut() {
        blocks.push(input);
    }
    bot
}

/// A startChat on `core` under `claim`, rendered as `turn_reply`.
async fn start_chat(core: &Conversations, claim: Option<Claim>) -> Reply {
    let choice = FlowChoice::Published("core".into());
    let caller = Caller::default();
    core.start_rendered(choice, start_opts(), &caller, claim.as_ref(), turn_reply)
        .await
        .unwrap_or_else(error_reply)
}

/// A's startChat holds its claim but runs only after B's retry took the claim over (A's owner
/// seems dead): A's start creates nothing (`Busy`; on a cluster, B's mark beside the session
/// A would have created refuses it), so the key's one session is B's, and it answers the key.
async fn late_start_after_takeover(a: &Conversations, b: &Conversations) {
    let scope = "start:core";
    let key = IdempotencyKey::new(tessera::ids::new_id(), "POST", scope, b"{}");
    let (claimed, on_claimed) = tokio::sync::oneshot::channel();
    let (go, on_go) = tokio::sync::oneshot::channel::<()>();
    let first = a.idempotent_with(
        scope,
        Some(&key),
        |claim| async move {
            let _ = claimed.send(());
            let _ = on_go.await;
            start_chat(a, claim).await
        },
        error_reply,
    );
    let retry = async {
        let _ = on_claimed.await;
        let run = |claim| start_chat(b, claim);
        let reply = b.idempotent_with(scope, Some(&key), run, error_reply).await;
        let _ = go.send(());
        reply
    };
    let (first, retry) = tokio::join!(first, retry);
    assert_eq!(retry.status, 200, "{}", retry.body);
    assert_eq!(
        (first.status, first.body.as_str()),
        (599, "Busy"),
        "A started"
    );
    let run = |claim| start_chat(b, claim);
    let again = b.idempotent_with(scope, Some(&key), run, error_reply).await;
    assert_eq!(again, retry, "the key answers B's start");
}

fn start_opts() -> StartOptions {
    StartOptions::default()
}

/// startChat, the web player's workflow start, the engine API's trigger (a new session each).
async fn starts(a: &Conversations, b: &Conversations) {
    crash_then_retry(a, b, "start:core", |core, claim| async move {
        let choice = FlowChoice::Published("core".into());
        let caller = Caller::default();
        core.start_rendered(choice, start_opts(), &caller, claim.as_ref(), turn_reply)
            .await
    })
    .await;
    crash_then_retry(a, b, "workflow-start:core", |core, claim| async move {
        let caller = Caller::default();
        core.start_run_rendered(
            "core",
            "u1",
            start_opts(),
            &caller,
            claim.as_ref(),
            turn_reply,
        )
        .await
    })
    .await;
    let runs = b.runs("core", "u1", None, 10).await.expect("runs");
    assert_eq!(runs.runs.len(), 1, "one run listed");
    let reply = crash_then_retry(a, b, "engine", |core, claim| async move {
        let env = core.trigger(trigger(), claim.as_ref()).await?;
        Ok(Reply {
            status: 200,
            body: serde_json::to_string(&env).unwrap_or_default(),
        })
    })
    .await;
    goes_on_after_the_crash(b, &reply, "waiting_input").await;
}

fn trigger() -> Trigger {
    Trigger {
        tenant_id: DEFAULT_TENANT.into(),
        intent_name: "twice".into(),
        ..Trigger::default()
    }
}

/// continueChat on a started session.
async fn continue_chat(a: &Conversations, b: &Conversations) {
    let caller = Caller::default();
    let choice = FlowChoice::Published("core".into());
    let started = b.start(choice, start_opts(), &caller).await.expect("start");
    let sid = started.session_id;
    let scope = format!("continue:{sid}");
    crash_then_retry(a, b, &scope, |core, claim| {
        let sid = sid.clone();
        async move {
            let caller = Caller::default();
            let message = Some(Message::text("Ada"));
            core.resume_rendered(
                &sid,
                message,
                TextFormat::Markdown,
                &caller,
                claim.as_ref(),
                turn_reply,
            )
            .await
        }
    })
    .await;
}

/// The engine API's resume of a paused execution.
async fn engine_resume(a: &Conversations, b: &Conversations) {
    let env = b.trigger(trigger(), None).await.expect("trigger");
    let v = serde_json::to_string(&env).expect("envelope");
    let (id, token) = paused(&Reply {
        status: 200,
        body: v,
    });
    let reply = crash_then_retry(a, b, "engine", |core, claim| {
        let (id, token) = (id.clone(), token.clone());
        async move {
            let message = Some(Message::text("Ada"));
            let env = core
                .resume_execution(DEFAULT_TENANT, &id, &token, message, claim.as_ref())
                .await?;
            Ok(Reply {
                status: 200,
                body: serde_json::to_string(&env).unwrap_or_default(),
            })
        }
    })
    .await;
    goes_on_after_the_crash(b, &reply, "completed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_memory_a_retry_after_a_crash_gets_the_stored_answer_of_every_surface() {
    let (a, b) = processes(Stores::memory()).await;
    starts(&a, &b).await;
    late_start_after_takeover(&a, &b).await;
    continue_chat(&a, &b).await;
    engine_resume(&a, &b).await;
}

/// A Redis store with its own key prefix (its keys deleted when the test ends), or None when
/// Redis is not required here and unreachable.
async fn redis(var: &str, url: Option<String>) -> Option<(Arc<RedisStore>, Cleanup)> {
    let required = required_by(var);
    let Some(url) = url.filter(|u| !u.is_empty()) else {
        assert!(!required, "{var} must be set in CI");
        eprintln!("skipping: {var} is not set");
        return None;
    };
    let prefix = format!("tessera-crash-{}", tessera::ids::new_id());
    let opts = RedisOptions {
        prefix: prefix.clone(),
        command_timeout: std::time::Duration::from_secs(3),
        ..RedisOptions::default()
    };
    let store = RedisStore::connect(&url, opts).await.expect("connect");
    if let Err(e) = store.health().await {
        assert!(!required, "{var}={url}: Redis unreachable: {e}");
        eprintln!("skipping: no Redis at {url}");
        return None;
    }
    let nodes = url
        .trim_start_matches("redis+cluster://")
        .trim_start_matches("redis://")
        .split(',')
        .map(|h| format!("redis://{}", h.trim_end_matches('/')))
        .collect();
    Some((Arc::new(store), Cleanup { nodes, prefix }))
}

/// Deletes a test's keys on every node when dropped.
struct Cleanup {
    nodes: Vec<String>,
    prefix: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for node in &self.nodes {
            let Ok(mut con) = raw_connect(node) else {
                continue;
            };
            for key in scan(&mut con, &format!("{}:*", self.prefix)) {
                let _: Result<i64, _> = redis::cmd("DEL").arg(key).query(&mut con);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_redis_a_retry_after_a_crash_gets_the_stored_answer_of_every_surface() {
    let var = "TESSERA_TEST_REDIS_URL";
    let Some((store, _cleanup)) = redis(var, Some(shared_redis_url())).await else {
        return;
    };
    let (a, b) = processes(Stores::of(store)).await;
    starts(&a, &b).await;
    late_start_after_takeover(&a, &b).await;
    continue_chat(&a, &b).await;
    engine_resume(&a, &b).await;
}

/// On a cluster continueChat's record shares its session's slot; a start's does not, and the
/// start keeps a copy of its answer beside its session, which B's takeover finds
/// (docs/REDIS.md).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_cluster_a_start_or_continue_chat_retry_after_a_crash_gets_the_stored_answer() {
    let var = "TESSERA_TEST_REDIS_CLUSTER_URL";
    let Some((store, _cleanup)) = redis(var, std::env::var(var).ok()).await else {
        return;
    };
    let (a, b) = processes(Stores::of(store)).await;
    starts(&a, &b).await;
    late_start_after_takeover(&a, &b).await;
    continue_chat(&a, &b).await;
}
