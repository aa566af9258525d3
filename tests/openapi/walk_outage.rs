//! The store down: a server on a private Redis publishes what the routes need (bots, a chat,
//! a trigger and its event, an engine execution, credentials, an upload), then Redis is shut
//! down and every operation of the document is called once with plausible parameters. Each
//! answer must be a status the document declares for that operation, with the declared body
//! (503: the JSON error `store_unavailable`), within a few seconds; every operation that
//! declares 503 must have answered it.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::checker::{Call, Checker, Resp, call};
use crate::common::app::{TestApp, spawn_app_with};
use crate::common::bots::{bot, input, text, var};
use crate::common::redis_env::{SHARED_REDIS_VAR, required_by};
use crate::common::redis_server::PrivateRedis;
use crate::common::temp::TempDir;
use crate::common::ws::{Frame, WsClient};
use crate::document::METHODS;
use crate::walk::{
    CONTINUE, CSV, FLOW, FLOWS, LOGS_V1, LOGS_V2, METRICS_TOKEN, MOZ, PREVIEW, RESULTS, START,
};
use crate::walk_ai::{CREDENTIALS, STREAM};
use crate::walk_bots::chat_bot;
use crate::walk_engine::{
    ABORT, CONVERSATION, ENGINE_TOKEN, EXECUTION, PLAYER_START, RESUME, RUNS, TENANT, TRIGGER,
    WORKFLOW_TRIGGER, WORKFLOWS, intent_bot,
};
use crate::walk_triggers::{EVENT, EVENTS, SECRET, SESSION, TRIGGER as ONE_TRIGGER, TRIGGERS};
use crate::walk_uploads::{EXECUTE_WEBHOOK, FILES, PUT_UPLOAD, SOCKET, UPLOAD_URL};

/// The longest an answer may take with the store down (the store fails fast, well below).
const ANSWER_WITHIN: Duration = Duration::from_secs(5);

/// Operations that declare 503 but cannot answer it with the store down, with why.
const NO_503_WHEN_DOWN: &[(&str, &str, &str)] = &[];

/// What the routes need, published while Redis is up.
struct Seeded {
    chat: String,
    upload_session: String,
    upload_token: String,
    file: (String, String),
    execution: String,
    wait_token: Value,
    conversation: String,
    trigger: String,
    trigger_secret: String,
    trigger_session: String,
}

fn token_of(presigned: &Value) -> String {
    presigned["presignedUrl"]
        .as_str()
        .and_then(|u| u.rsplit('/').next())
        .expect("presignedUrl")
        .to_string()
}

async fn seed(api: &Checker, app: &TestApp) -> Seeded {
    let file = json!({"id": "file", "type": "file input", "options": {"variableId": "v-f"}});
    let hook = json!({"id": "hook", "type": "webhook", "options": {"responseVariableMapping": []}});
    let bots = [
        chat_bot(),
        intent_bot("oa-intent"),
        intent_bot("oa-workflow"),
        bot(
            "oa-up",
            json!([file, text("t", "ok")]),
            json!([var("v-f", "F")]),
        ),
        bot(
            "oa-hook",
            json!([hook, input("q", "text input", "v-q")]),
            json!([var("v-q", "Q")]),
        ),
    ];
    for b in bots {
        let id = b["id"].as_str().expect("id").to_string();
        // The engine finds a bot by its tenant.
        let put = call("PUT", FLOW, &[&id])
            .bearer()
            .query(&format!("tenant_id={TENANT}"));
        let r = api.call(app, put.json(b)).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = api
        .call(
            app,
            call("POST", START, &["oa-chat-public"]).json(json!({})),
        )
        .await;
    let chat = crate::walk::sid(&r);
    let r = api
        .call(app, call("POST", START, &["oa-up"]).json(json!({})))
        .await;
    let upload_session = crate::walk::sid(&r);
    let ask = || {
        call("POST", UPLOAD_URL, &[]).json(json!({"sessionId": upload_session,
            "blockId": "file", "fileName": "a.txt", "fileType": "text/plain", "fileSize": 3}))
    };
    let first = api.call(app, ask()).await;
    let put = call("PUT", PUT_UPLOAD, &[&token_of(&first.json)])
        .header("content-type", "text/plain")
        .raw(b"abc".to_vec());
    assert_eq!(api.call(app, put).await.status, 200);
    let file_url = first.json["fileUrl"].as_str().expect("fileUrl");
    let mut parts = file_url.rsplit('/');
    let name = parts.next().expect("name").to_string();
    let file = (parts.next().expect("id").to_string(), name);
    let upload_token = token_of(&api.call(app, ask()).await.json);

    let body = json!({"tenant_id": TENANT, "intent_name": "oa-intent"});
    let env = api
        .call(
            app,
            call("POST", TRIGGER, &[]).token_of(ENGINE_TOKEN).json(body),
        )
        .await;
    assert_eq!(env.status, 200, "{}", env.text);
    let put = call("PUT", CREDENTIALS, &["oa-cred"])
        .bearer()
        .json(json!({"type": "openai", "name": "Stand-in", "data": {"apiKey": "sk-outage"}}));
    assert_eq!(api.call(app, put).await.status, 200);
    let r = api
        .call(
            app,
            call("POST", TRIGGERS, &[])
                .bearer()
                .json(json!({"flow": "oa-chat"})),
        )
        .await;
    let (trigger, trigger_secret) = (
        r.json["id"].as_str().expect("id").to_string(),
        r.json["secret"].as_str().expect("secret").to_string(),
    );
    let r = api
        .call(
            app,
            call("POST", EVENT, &[&trigger])
                .token_of(&trigger_secret)
                .json(json!({"text": "hi"})),
        )
        .await;
    Seeded {
        chat,
        upload_session,
        upload_token,
        file,
        execution: env.json["execution_id"]
            .as_str()
            .expect("execution_id")
            .to_string(),
        wait_token: env.json["metadata"]["wait_token"].clone(),
        conversation: env.json["conversation_id"]
            .as_str()
            .expect("conversation_id")
            .to_string(),
        trigger,
        trigger_secret,
        trigger_session: r.json["session"].as_str().expect("session").to_string(),
    }
}

/// One call per operation of the document, with the store down.
fn calls(s: &Seeded) -> Vec<Call> {
    let chat = s.chat.as_str();
    let logs = json!({"clientLogs": [{"status": "error", "description": "boom"}]});
    let tenant_q = format!("tenant_id={TENANT}");
    let engine = |c: Call| c.token_of(ENGINE_TOKEN);
    let trigger = s.trigger.as_str();
    let mut new_bot = intent_bot("oa-new");
    new_bot["publicId"] = json!("oa-new");
    vec![
        call("POST", START, &["oa-chat-public"]).json(json!({})),
        call("POST", MOZ, &["oa-chat-public"]).json(json!({})),
        call("POST", PREVIEW, &["oa-chat"]).bearer().json(json!({})),
        call("POST", CONTINUE, &[chat]).json(json!({"message": "Ann"})),
        call("POST", LOGS_V1, &[chat]).json(logs.clone()),
        call("POST", LOGS_V2, &[chat]).json(logs),
        call("POST", STREAM, &[chat]).json(json!({})),
        call("POST", UPLOAD_URL, &[]).json(json!({"sessionId": s.upload_session,
            "blockId": "file", "fileName": "b.txt", "fileType": "text/plain", "fileSize": 3})),
        call("PUT", PUT_UPLOAD, &[&s.upload_token])
            .header("content-type", "text/plain")
            .raw(b"abc".to_vec()),
        call("GET", FILES, &[&s.file.0, &s.file.1]),
        call("POST", EXECUTE_WEBHOOK, &["oa-hook", "hook", "r1"])
            .bearer()
            .json(json!({"a": 1})),
        call("GET", SOCKET, &["r1"]),
        call("PUT", CREDENTIALS, &["oa-cred2"])
            .bearer()
            .json(json!({"type": "openai", "name": "Other", "data": {"apiKey": "sk-other"}})),
        call("GET", CREDENTIALS, &["oa-cred"]).bearer(),
        call("DELETE", CREDENTIALS, &["oa-cred"]).bearer(),
        call("GET", FLOWS, &[]).bearer(),
        call("PUT", FLOW, &["oa-new"]).bearer().json(new_bot),
        call("GET", FLOW, &["oa-chat"]).bearer(),
        call("DELETE", FLOW, &["oa-chat"]).bearer(),
        call("GET", RESULTS, &["oa-chat"]).bearer(),
        call("GET", CSV, &["oa-chat"]).bearer(),
        engine(call("POST", TRIGGER, &[]))
            .json(json!({"tenant_id": TENANT, "intent_name": "oa-intent"})),
        engine(call("POST", RESUME, &[&s.execution])).json(
            json!({"tenant_id": TENANT, "wait_token": s.wait_token, "input": {"text": "Ada"}}),
        ),
        engine(call("GET", EXECUTION, &[&s.execution])).query(&tenant_q),
        engine(call("POST", ABORT, &[&s.execution])).json(json!({"tenant_id": TENANT})),
        engine(call("GET", CONVERSATION, &[&s.conversation])).query(&tenant_q),
        call("GET", WORKFLOWS, &[]).bearer(),
        call("POST", WORKFLOW_TRIGGER, &["oa-workflow"])
            .bearer()
            .json(json!({"user_id": "u-1"})),
        call("POST", PLAYER_START, &["oa-workflow"]).json(json!({"userId": "u-2"})),
        call("GET", RUNS, &["oa-workflow"])
            .bearer()
            .query("user_id=u-1"),
        call("GET", "/healthz", &[]),
        call("GET", "/api/healthz", &[]),
        call("GET", "/readyz", &[]),
        call("GET", "/metrics", &[]).token_of(METRICS_TOKEN),
        call("GET", "/openapi.yaml", &[]),
        call("GET", "/", &[]),
        call("GET", "/embed.js", &[]),
        call("GET", "/_tessera/{file}", &["widget.js"]),
        call("GET", "/{publicId}", &["oa-chat-public"]),
        call("POST", TRIGGERS, &[])
            .bearer()
            .json(json!({"flow": "oa-chat"})),
        call("GET", TRIGGERS, &[]).bearer(),
        call("GET", ONE_TRIGGER, &[trigger]).bearer(),
        call("DELETE", ONE_TRIGGER, &[trigger]).bearer(),
        call("POST", SECRET, &[trigger]).bearer(),
        call("POST", EVENT, &[trigger])
            .token_of(&s.trigger_secret)
            .json(json!({"text": "hello"})),
        call("GET", EVENTS, &[trigger]).bearer(),
        call("GET", SESSION, &[trigger, &s.trigger_session]).bearer(),
    ]
}

/// Sends `c` through the checker in a task of its own: the checker's verdict (its panic
/// message) becomes an `Err`, so one run lists every operation that answers off the document.
async fn checked(api: &Arc<Checker>, app: &Arc<TestApp>, c: Call) -> Result<Resp, String> {
    let what = format!("{} {}", c.method, c.template);
    let (api, app) = (api.clone(), app.clone());
    let t = Instant::now();
    let task = tokio::spawn(async move { api.call(&app, c).await });
    let got = tokio::time::timeout(ANSWER_WITHIN, task).await;
    let took = t.elapsed();
    match got {
        Err(_) => Err(format!("{what}: no answer within {ANSWER_WITHIN:?}")),
        Ok(Ok(r)) => Ok(r),
        Ok(Err(e)) => {
            let p = e.into_panic();
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(format!("{what} (after {took:?}): {msg}"))
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_store_down_every_operation_answers_as_declared() {
    let Some(mut redis) = PrivateRedis::start(None, required_by(SHARED_REDIS_VAR)) else {
        return;
    };
    let dir = TempDir::new("walk-outage-uploads");
    let (url, path) = (redis.url(), dir.path().to_path_buf());
    let app = Arc::new(
        spawn_app_with(move |c| {
            c.store = url;
            c.uploads.dir = path;
            c.engine_api_token = Some(ENGINE_TOKEN.into());
            c.secret_key = Some(tessera::config::SecretString(
                "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff".into(),
            ));
            c.metrics_token = Some(tessera::config::SecretString(METRICS_TOKEN.into()));
        })
        .await,
    );
    let api = Arc::new(Checker::new());
    let seeded = seed(&api, &app).await;
    redis.shutdown();

    let mut failures = Vec::new();
    let mut called = BTreeSet::new();
    let mut answered_503 = BTreeSet::new();
    for c in calls(&seeded) {
        let key = (c.template.to_string(), c.method.to_ascii_lowercase());
        assert!(called.insert(key.clone()), "{key:?} is called twice");
        match checked(&api, &app, c).await {
            Ok(r) if r.status == 503 => {
                assert_eq!(r.json["code"], "store_unavailable", "{key:?}: {}", r.text);
                answered_503.insert(key);
            }
            Ok(r) => eprintln!("store down: {} {} -> {}", key.1, key.0, r.status),
            Err(e) => failures.push(e),
        }
    }
    // The player's socket upgrades (nothing to wait on in the store until then), then closes.
    let host = app.base.trim_start_matches("http://");
    let mut ws = WsClient::connect(host, "/parties/main/r2/webhooks").await;
    assert_eq!(ws.next(ANSWER_WITHIN).await, Some(Frame::Close));

    let spec = &api.spec;
    let mut unseen = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            let key = (path.clone(), method.clone());
            assert!(called.contains(&key), "{method} {path} is not called");
            let excused = NO_503_WHEN_DOWN
                .iter()
                .any(|(m, p, _)| m == method && p == path);
            if op["responses"].get("503").is_some() && !answered_503.contains(&key) && !excused {
                unseen.push(format!("{method} {path}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "with the store down, answers off the document:\n{}",
        failures.join("\n\n")
    );
    assert!(
        unseen.is_empty(),
        "declare 503 but did not answer it with the store down:\n{}",
        unseen.join("\n")
    );
}
