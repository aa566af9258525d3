//! Contract cases on a turn's execution write (`TurnWrites::execution`, the engine API's
//! record): written by every kind of save and start, with its wait token and its timers, and
//! only when the session's save applies.

use std::sync::Arc;

use tessera::ids::new_id as id;
use tessera::store::{
    AnswerWrite, Doc, ExecutionDoc, ExecutionWrite, StoreError, StoredResponse, TurnWrites,
};

use super::idempotency::{claim, reply};
use super::results::transcript;
use crate::backends::Backend;
use crate::support::{Records, active, update};

/// The answer the saves carry.
const ANSWER: &str = "{\"status\":\"waiting_input\"}";

/// The due time of this file's timers: long past, so only these cases claim them.
const DUE: u64 = 7;

/// What one case writes for its execution: the document, its token, a new timer, the
/// previous pause's timer (scheduled before the save) to cancel.
struct Written {
    id: String,
    doc: Arc<dyn ExecutionDoc>,
    json: String,
    token: String,
    timer: String,
    cancel: String,
}

impl Written {
    async fn new(r: &dyn Records) -> Self {
        let (eid, token) = (id(), format!("wt-{}", id()));
        let json = format!("{{\"execution_id\":\"{eid}\"}}");
        let w = Written {
            doc: Arc::new(json.clone()),
            json,
            token,
            timer: format!("tm-new-{eid}"),
            cancel: format!("tm-old-{eid}"),
            id: eid,
        };
        r.timer_schedule(&w.cancel, DUE).await.unwrap();
        w
    }

    fn write(&self) -> ExecutionWrite<'_> {
        ExecutionWrite {
            id: &self.id,
            doc: &self.doc,
            token: Some(&self.token),
            ttl_secs: 600,
            timer: Some((&self.timer, DUE)),
            cancel: Some(&self.cancel),
        }
    }

    /// Whether the document, the token and the new timer are stored, and the old timer
    /// gone; or (`written` false) none of them, the old timer still scheduled.
    async fn check(&self, r: &dyn Records, written: bool, what: &str) {
        let doc = r.doc_get(Doc::Execution, &self.id).await.unwrap();
        let due = r.timer_claim(DUE, 60_000, 10_000).await.unwrap();
        let took = r.token_take(&self.id, &self.token).await.unwrap();
        if written {
            assert_eq!(doc.as_deref(), Some(self.json.as_str()), "{what}");
            assert!(took, "{what}: the token was not set");
            assert!(due.contains(&self.timer), "{what}: no new timer");
            assert!(!due.contains(&self.cancel), "{what}: the old timer is left");
        } else {
            assert_eq!(doc, None, "{what}: written by a refused save");
            assert!(!took, "{what}: token set by a refused save");
            assert!(
                !due.contains(&self.timer),
                "{what}: timer of a refused save"
            );
            assert!(
                due.contains(&self.cancel),
                "{what}: a refused save cancelled"
            );
        }
        for t in [&self.timer, &self.cancel] {
            r.timer_cancel(t).await.unwrap();
        }
    }
}

/// A continueChat or start answer under `claim` (the claim key `key` holds it).
fn answer_write<'a>(
    key: &'a str,
    claim: &'a StoredResponse,
    answer: &'a StoredResponse,
) -> AnswerWrite<'a> {
    AnswerWrite {
        key,
        claim,
        answer,
        ttl_secs: 60,
    }
}

pub async fn every_save_writes_its_execution_with_its_token_and_timers(b: &Backend) {
    let (s, r) = (&*b.store, &*b.records);
    assert!(
        s.saves_executions(),
        "{} leaves executions to the caller",
        s.kind()
    );
    let (flow, rid) = (id(), id());
    let u = update(
        &flow,
        &rid,
        "2024-05-01T10:00:00Z",
        &[("q", "a")],
        &[],
        false,
    );
    let t = transcript(&["a", "q2"], "waiting_input");
    // Every save path: a commit or a finish, with or without a result update, a transcript
    // and an answer (a continueChat key: in the session's slot on a cluster).
    for data in [Some(b"v2".to_vec()), None] {
        for (result, with_transcript, answered) in [
            (true, true, false),
            (true, false, false),
            (false, true, false),
            (false, false, false),
            (true, true, true),
            (false, false, true),
        ] {
            let sid = id();
            s.create(&sid, b"v1".to_vec(), 60).await.unwrap();
            let (k, c, a) = (
                format!("continue:{sid}:{}", id()),
                claim("a"),
                reply(ANSWER),
            );
            if answered {
                assert!(s.idempotency_put(&k, &c, 60).await.unwrap());
            }
            let w = Written::new(r).await;
            let writes = TurnWrites {
                result: result.then_some((&u, 3600)),
                transcript: with_transcript.then_some(&t),
                answer: answered.then_some(answer_write(&k, &c, &a)),
                execution: Some(w.write()),
            };
            let l = active(s, &sid).await;
            s.save_turn(&sid, data.clone(), &l, 60, writes)
                .await
                .unwrap();
            let what = format!(
                "save (commit {}, {result}, {with_transcript}, {answered})",
                data.is_some()
            );
            w.check(r, true, &what).await;
        }
    }
    // Every start path: created with or without a result, with an answer, finished at once.
    for (result, answered, finished) in [
        (true, false, false),
        (false, false, false),
        (true, true, false),
        (false, false, true),
        (false, true, true),
    ] {
        let sid = id();
        let (k, c, a) = (format!("start:{}", id()), claim("a"), reply(ANSWER));
        if answered {
            assert!(s.idempotency_put(&k, &c, 60).await.unwrap());
        }
        let answer = answered.then_some(answer_write(&k, &c, &a));
        let w = Written::new(r).await;
        let writes = TurnWrites {
            result: result.then_some((&u, 3600)),
            transcript: Some(&t),
            answer,
            execution: Some(w.write()),
        };
        let created = if finished {
            s.create_finished_answered(&sid, 0, answer, Some(w.write()))
                .await
        } else {
            s.create_marked(&sid, b"v1".to_vec(), 60, writes, 0).await
        };
        created.unwrap();
        let what = format!("start ({result}, {answered}, finished {finished})");
        w.check(r, true, &what).await;
    }
}

pub async fn a_refused_save_writes_no_execution(b: &Backend) {
    let (s, r) = (&*b.store, &*b.records);
    let (flow, rid) = (id(), id());
    let u = update(
        &flow,
        &rid,
        "2024-05-01T10:00:00Z",
        &[("q", "a")],
        &[],
        false,
    );
    let t = transcript(&["a", "q2"], "waiting_input");
    for (result, with_transcript) in [(true, true), (false, true), (false, false)] {
        // A stale save: the turn loaded version 1, another turn saved version 2.
        let sid = id();
        s.create(&sid, b"v1".to_vec(), 60).await.unwrap();
        let stale = active(s, &sid).await;
        s.commit_turn(&sid, b"v2".to_vec(), &stale, 60)
            .await
            .unwrap();
        let w = Written::new(r).await;
        let writes = TurnWrites {
            result: result.then_some((&u, 3600)),
            transcript: with_transcript.then_some(&t),
            answer: None,
            execution: Some(w.write()),
        };
        let saved = s
            .save_turn(&sid, Some(b"v3".to_vec()), &stale, 60, writes)
            .await;
        assert!(matches!(saved, Err(StoreError::Busy)), "{saved:?}");
        w.check(
            r,
            false,
            &format!("stale save ({result}, {with_transcript})"),
        )
        .await;
    }
    // An answer whose claim another request took over: nothing written.
    let sid = id();
    s.create(&sid, b"v1".to_vec(), 60).await.unwrap();
    let (k, mine, theirs, a) = (
        format!("continue:{sid}:{}", id()),
        claim("a"),
        claim("b"),
        reply(ANSWER),
    );
    assert!(s.idempotency_put(&k, &theirs, 60).await.unwrap());
    let w = Written::new(r).await;
    let writes = TurnWrites {
        result: Some((&u, 3600)),
        transcript: Some(&t),
        answer: Some(answer_write(&k, &mine, &a)),
        execution: Some(w.write()),
    };
    let l = active(s, &sid).await;
    let saved = s
        .save_turn(&sid, Some(b"v2".to_vec()), &l, 60, writes)
        .await;
    assert!(matches!(saved, Err(StoreError::Busy)), "{saved:?}");
    w.check(r, false, "a save under a lost claim").await;
    // A start whose id an active session has.
    let w = Written::new(r).await;
    let writes = TurnWrites {
        result: Some((&u, 3600)),
        transcript: Some(&t),
        answer: None,
        execution: Some(w.write()),
    };
    let created = s.create_marked(&sid, b"v9".to_vec(), 60, writes, 0).await;
    assert!(matches!(created, Err(StoreError::Busy)), "{created:?}");
    w.check(r, false, "a start on an active id").await;
}
