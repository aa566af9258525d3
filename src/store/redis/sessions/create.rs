//! Creating sessions on Redis: the fast path (plain commands for a new id) and the script for
//! an existing key, with the trigger-event mark in the new state's header; a start's session
//! created with its idempotent answer (on a cluster, with the answer's copy beside it).

use std::sync::LazyLock;

use ::redis::Script;

use super::super::results::Seq;
use super::super::state::finished_value;
use super::super::{RedisStore, ms, scripts};
use super::applied;
use crate::store::sessions::record_in_steps;
use crate::store::{AnswerWrite, BESIDE, BoxFuture, StoreError, TurnWrites, claim_token};

/// The body shared by [`CREATE_ANSWER`] and [`CREATE_BESIDE`]: nothing written (0) when an
/// active session has the id, else the session (or its finished marker) created.
const CREATE_STEPS: &str = r"
local s = redis.call('GETRANGE', KEYS[1], 0, 2)
if s ~= '' and s ~= 'fin' then return 0 end
redis.call('DEL', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if ARGV[3] == '0' then redis.call('DEL', KEYS[3])
else redis.call('SET', KEYS[3], '1', 'PX', ARGV[3]) end
";

/// `KEYS`: state, lease, seen, the idempotency record. `ARGV`: state value (a new session's,
/// or a finished marker), its ttl ms, seen ms (0: a finished marker, `seen` is deleted), then
/// the answer arguments (`scripts::ANSWER_PRE`). A start turn sent with an `Idempotency-Key`:
/// creates the session (or its finished marker) and stores its answer together, unless the
/// record no longer holds the request's claim or an active session has the id (returns 0,
/// nothing written). Returns 1 when done.
static CREATE_ANSWER: LazyLock<Script> = LazyLock::new(|| {
    let (pre, post) = (scripts::ANSWER_PRE, scripts::ANSWER_POST);
    Script::new(&format!("{pre}{CREATE_STEPS}{post}return 1\n"))
});

/// `KEYS`: state, lease, seen, the answer's copy beside the session (`BESIDE`). `ARGV`: as
/// CREATE_ANSWER's first three, then the answer (JSON) and its TTL (s). A start on a cluster,
/// its session named after its claim's token: creates the session (or its finished marker)
/// and the copy together, unless the copy's key exists (a retry took the claim over and
/// marked it) or an active session has the id (returns 0, nothing written). Returns 1.
static CREATE_BESIDE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        r"if redis.call('EXISTS', KEYS[4]) == 1 then return 0 end{CREATE_STEPS}redis.call('SET', KEYS[4], ARGV[4], 'EX', ARGV[5])
return 1
"
    ))
});

/// `KEYS`: as `scripts::CREATE_RECORD`, then the idempotency record. `ARGV`: as CREATE_RECORD,
/// then the answer arguments. A live start sent with an `Idempotency-Key` in one round trip:
/// as CREATE_ANSWER (nothing written, 0, unless the record holds the claim and no active
/// session has the id), with the transcript and the result update of CREATE_RECORD.
pub(super) static CREATE_RECORD_ANSWER: LazyLock<Script> = LazyLock::new(|| {
    let (pre, post) = (scripts::ANSWER_PRE, scripts::ANSWER_POST);
    let (record, transcript) = (scripts::RECORD_FN, scripts::TRANSCRIPT_FN);
    Script::new(&format!(
        r"{pre}{record}{transcript}
local s = redis.call('GETRANGE', KEYS[1], 0, 2)
if s ~= '' and s ~= 'fin' then return 0 end
redis.call('DEL', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SET', KEYS[3], '1', 'PX', ARGV[3])
local o = transcript(4)
record({{KEYS[6], KEYS[7], KEYS[8], KEYS[9]}}, o)
{post}return 1
"
    ))
});

impl RedisStore {
    /// `create_marked`: on a single Redis in one script with the turn's result, transcript,
    /// answer and execution ([`scripts::CREATE_RECORD`]); else by the paths below.
    pub(super) fn create_saved<'a>(
        &'a self,
        id: &'a str,
        data: Vec<u8>,
        ttl_secs: u64,
        writes: TurnWrites<'a>,
        mark: u64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let answer = writes.answer.filter(|a| self.creates_answer(id, a));
        // On a cluster the session, transcript and result keys live in different slots.
        let Some((update, retention)) = writes.result.filter(|_| self.single()) else {
            if let Some(a) = answer {
                let data = Some((data, ttl_secs));
                return Box::pin(self.create_answered(id, data, writes, mark, a));
            }
            return Box::pin(self.create_in_steps(id, data, ttl_secs, writes, mark));
        };
        Box::pin(async move {
            let (value, ttl, seen_ms) = self.new_state(&data, ttl_secs, mark);
            let script = match answer {
                Some(_) => &CREATE_RECORD_ANSWER,
                None => &scripts::CREATE_RECORD,
            };
            let mut inv = self.turn_script(script, id);
            for k in self.result_keys(update) {
                inv.key(k);
            }
            inv.arg(value).arg(ttl).arg(seen_ms);
            // The new state's header leaves the list's deadline unknown (0): its first turn
            // refreshes the TTL this sets.
            Self::push_transcript_args(&mut inv, writes.transcript, true)?;
            self.push_result_args(&mut inv, update, retention, true, Seq::now())?;
            // Single Redis: the script writes the execution too.
            self.push_tail_args(&mut inv, answer, writes.execution)?;
            if answer.is_some() {
                // With an answer, the script decides: created with it, or nothing written.
                return applied(self.script("create", &inv).await?);
            }
            if self.script::<i64>("create", &inv).await? == 1 {
                return Ok(());
            }
            // The key exists (a reused preview id, say): `create`'s slow path decides.
            self.create_in_steps(id, data, ttl_secs, writes, mark).await
        })
    }

    /// `create` with a mark in the new state's header.
    pub(super) fn create_with_mark(
        &self,
        id: &str,
        data: Vec<u8>,
        ttl_secs: u64,
        mark: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let [state, lease, seen] = self.keys.session(id);
        let (value, ttl, seen_ms) = self.new_state(&data, ttl_secs, mark);
        Box::pin(async move {
            // Fast path, plain commands: a new id has no state key yet.
            let mut pipe = ::redis::pipe();
            pipe.cmd("SET")
                .arg(&state)
                .arg(&value)
                .arg("NX")
                .arg("PX")
                .arg(ttl);
            pipe.cmd("SET")
                .arg(&seen)
                .arg("1")
                .arg("PX")
                .arg(seen_ms)
                .ignore();
            let (created,): (Option<String>,) = self.pipeline("create", &pipe).await?;
            if created.is_some() {
                return Ok(());
            }
            // The key exists: busy when active, replaced when finished.
            let mut inv = scripts::CREATE.prepare_invoke();
            inv.key(state).key(lease).key(seen);
            inv.arg(value).arg(ttl).arg(seen_ms);
            applied(self.script("create", &inv).await?)
        })
    }

    /// `create_marked` as separate calls: create, then record the result update and the
    /// transcript.
    pub(super) async fn create_in_steps(
        &self,
        id: &str,
        data: Vec<u8>,
        ttl_secs: u64,
        writes: TurnWrites<'_>,
        mark: u64,
    ) -> Result<(), StoreError> {
        self.create_with_mark(id, data, ttl_secs, mark).await?;
        self.execution_after(writes.execution).await?;
        record_in_steps(self, id, writes).await;
        Ok(())
    }

    /// Whether a start's creation writes `a` (else the caller settles it after): in the same
    /// slot as the record, or, on a cluster, beside a session named after the claim's token.
    pub(super) fn creates_answer(&self, id: &str, a: &AnswerWrite<'_>) -> bool {
        self.answer_in_slot(id, a) || claim_token(a.claim) == Some(id)
    }

    /// A start turn's session (`data` Some) or finished marker, created with its idempotent
    /// answer in one script (single Redis: see [`CREATE_ANSWER`]; on a cluster the answer's
    /// copy beside the session: [`CREATE_BESIDE`]); then its result update and transcript, as
    /// separate calls.
    pub(super) async fn create_answered(
        &self,
        id: &str,
        data: Option<(Vec<u8>, u64)>,
        writes: TurnWrites<'_>,
        mark: u64,
        answer: AnswerWrite<'_>,
    ) -> Result<(), StoreError> {
        let [state, lease, seen] = self.keys.session(id);
        let beside = !self.answer_in_slot(id, &answer);
        let script = if beside {
            &CREATE_BESIDE
        } else {
            &CREATE_ANSWER
        };
        let mut inv = script.prepare_invoke();
        inv.key(state).key(lease).key(seen);
        match data {
            Some((data, ttl_secs)) => {
                let (value, ttl, seen_ms) = self.new_state(&data, ttl_secs, mark);
                inv.arg(value).arg(ttl).arg(seen_ms);
            }
            None => {
                let marker = ms(self.opts.finished_marker);
                inv.arg(finished_value(mark)).arg(marker).arg(0);
            }
        }
        if beside {
            let json = serde_json::to_string(answer.answer)
                .map_err(|e| StoreError::Other(format!("create: {e}")))?;
            let key = self.keys.idempotency(&format!("{BESIDE}{id}"));
            inv.key(key).arg(json).arg(answer.ttl_secs.max(1));
        }
        let after = match beside {
            true => writes.execution.is_some(),
            false => self.push_tail_args(&mut inv, Some(answer), writes.execution)?,
        };
        applied(self.script("create", &inv).await?)?;
        if after {
            self.execution_after(writes.execution).await?;
        }
        record_in_steps(self, id, writes).await;
        Ok(())
    }
}
