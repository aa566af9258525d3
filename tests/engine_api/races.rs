//! Executions under contention and after their session is gone: an abort racing a resume is
//! never overwritten by the resume's save (the abort ends the pause it finds, or the one the
//! resume leaves), and an execution whose session expired reads `failed` with the reason and
//! refuses resumes and aborts as finished.

use serde_json::{Value, json};

use crate::common::app::TestApp;
use crate::support::{
    abort, code, get_conversation, get_execution, order_bot, publish, resume, tenant, trigger_ok,
    unique,
};

async fn an_abort_racing_a_resume_always_ends_the_execution_aborted(app: TestApp) {
    let t = tenant();
    let id = unique("orders");
    publish(&app, &order_bot(&id), Some(&t)).await;
    for round in 0..20 {
        let env = trigger_ok(&app, &t, &id, json!({})).await;
        let eid = env["execution_id"].as_str().unwrap_or_default();
        let ((rs, resumed), (a_status, aborted)) =
            tokio::join!(resume(&app, &t, &env, "Ada"), abort(&app, &t, eid));
        // The resume ran first (its pause, the email, is then aborted), or lost the token
        // to the abort (or came after it).
        match rs {
            200 => assert_eq!(
                resumed["status"], "waiting_input",
                "round {round}: {resumed}"
            ),
            _ => assert!(
                rs == 409 && ["stale_wait_token", "execution_finished"].contains(&code(&resumed)),
                "round {round}: {resumed}"
            ),
        }
        assert_eq!(
            (a_status, aborted["status"].as_str()),
            (200, Some("aborted")),
            "round {round}: {aborted}"
        );
        let (_, now) = get_execution(&app, &t, eid).await;
        assert_eq!(
            now, aborted,
            "round {round}: what GET reads is what the abort answered"
        );
        if rs == 200 {
            let (status, err) = resume(&app, &t, &resumed, "ada@example.com").await;
            assert_eq!(
                (status, code(&err)),
                (409, "execution_finished"),
                "round {round}"
            );
        }
    }
}

/// A bot whose sessions expire one second after their last turn.
fn short_lived_bot(id: &str) -> Value {
    let mut b = order_bot(id);
    b["settings"] = json!({"tessera": {"sessionTtlSeconds": 1}});
    b
}

async fn an_execution_whose_session_expired_reads_failed_and_refuses_resumes(app: TestApp) {
    let t = tenant();
    let id = unique("short");
    publish(&app, &short_lived_bot(&id), Some(&t)).await;
    let env = trigger_ok(&app, &t, &id, json!({})).await;
    assert_eq!(env["status"], "waiting_input", "{env}");
    let eid = env["execution_id"].as_str().unwrap_or_default();
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    let (status, failed) = get_execution(&app, &t, eid).await;
    assert_eq!(
        (status, failed["status"].as_str()),
        (200, Some("failed")),
        "{failed}"
    );
    let error = failed["metadata"]["error"].as_str().unwrap_or_default();
    assert!(error.contains("expired"), "{failed}");
    assert_eq!(failed["expected_input"], json!(null));
    assert_eq!(failed["metadata"].get("wait_token"), None, "{failed}");
    let (status, err) = resume(&app, &t, &env, "Ada").await;
    assert_eq!((status, code(&err)), (409, "execution_finished"), "{err}");
    let (status, err) = abort(&app, &t, eid).await;
    assert_eq!((status, code(&err)), (409, "execution_finished"), "{err}");
    assert_eq!(get_execution(&app, &t, eid).await, (200, failed.clone()));
    let cid = env["conversation_id"].as_str().unwrap_or_default();
    let (status, conv) = get_conversation(&app, &t, cid).await;
    assert_eq!(status, 200, "{conv}");
    assert_eq!(conv["executions"][0], failed);
}

on_both_stores!(
    an_abort_racing_a_resume_always_ends_the_execution_aborted,
    an_execution_whose_session_expired_reads_failed_and_refuses_resumes
);

/// A session gone from the store before its record says it expires (deleted, or a record of
/// an older version that kept no expiry): the resume finds it gone, ends the execution
/// `failed` with the reason and answers 409 `execution_finished`; never a 500.
#[tokio::test]
async fn a_resume_that_finds_the_session_gone_fails_the_execution() {
    use crate::support::{app_on, private_redis};
    let Some(redis) = private_redis() else { return };
    let app = app_on(Some(&redis.url())).await;
    let t = tenant();
    let id = unique("orders");
    publish(&app, &order_bot(&id), Some(&t)).await;
    let env = trigger_ok(&app, &t, &id, json!({})).await;
    let mut con = redis.raw().expect("raw redis");
    let states: Vec<String> = redis::cmd("KEYS")
        .arg("tessera:{s:*}:st")
        .query(&mut con)
        .expect("KEYS");
    assert_eq!(states.len(), 1, "{states:?}");
    let _: i64 = redis::cmd("DEL")
        .arg(&states[0])
        .query(&mut con)
        .expect("DEL");
    let (status, err) = resume(&app, &t, &env, "Ada").await;
    assert_eq!((status, code(&err)), (409, "execution_finished"), "{err}");
    let eid = env["execution_id"].as_str().unwrap_or_default();
    let (status, failed) = get_execution(&app, &t, eid).await;
    assert_eq!(
        (status, failed["status"].as_str()),
        (200, Some("failed")),
        "{failed}"
    );
    assert!(failed["metadata"]["error"].is_string(), "{failed}");
}
