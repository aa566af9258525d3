//! The save helpers of the Redis session store: the arguments of the COMMIT and FINISH
//! scripts (with the `seen` marker and result record refreshes), a new session's state value,
//! and the rare outcomes of `begin_turn`.

use super::super::conn::Conn;
use super::super::keys::session_of_key;
use super::super::results;
use super::super::state::{Header, finished_value};
use super::super::{RedisStore, ms, scripts, secs_ms};
use super::{applied, now_ms};
use crate::store::Doc;
use crate::store::executions::write_in_steps;
use crate::store::sessions::log_lost_transcript;
use crate::store::{
    AnswerWrite, ExecutionWrite, Leased, Loaded, StoreError, TranscriptAppend, TranscriptStore,
    TurnWrites,
};

impl RedisStore {
    /// The `seen` argument of a save, and the header's new `seen_until_ms`: 0 when the marker
    /// still lasts long enough (at least the TTL and three quarters of the grace period from
    /// now), else its new lifetime in ms. So the marker is written about once per quarter grace
    /// period, not on every turn, and an expired session is reported as such for between 3/4
    /// of the grace period and all of it.
    pub(super) fn seen_refresh(&self, header: &mut Header, now_ms: u64, ttl_secs: u64) -> u64 {
        let grace = ms(self.opts.expired_grace);
        let needed = now_ms
            .saturating_add(secs_ms(ttl_secs))
            .saturating_add(grace / 4 * 3);
        if header.seen_until_ms >= needed {
            return 0;
        }
        let seen_ms = self.seen_ms(ttl_secs);
        header.seen_until_ms = now_ms.saturating_add(seen_ms);
        seen_ms
    }

    /// Whether a save must refresh its result record's TTL and index entries (the record would
    /// otherwise end before the retention from now), updating the header if so.
    /// A header's 0 means "as the start turn left it": the start turn's result update (written
    /// on its own, refreshing the TTL) ran after the session was created, so the record lasts
    /// at least its TTL from the creation second. If that update did not happen, the first
    /// turn's `HSET` creates the record and the script refreshes it anyway.
    pub(super) fn record_refresh(header: &mut Header, now_ms: u64, retention_secs: u64) -> bool {
        let until = match header.record_until_ms {
            0 => (header.created_s.saturating_mul(1000))
                .saturating_add(results::record_ttl_ms(retention_secs)),
            until => until,
        };
        if until >= now_ms.saturating_add(secs_ms(retention_secs)) {
            return false;
        }
        header.record_until_ms = now_ms.saturating_add(results::record_ttl_ms(retention_secs));
        true
    }

    /// Whether a save must refresh its transcript list's TTL (`PEXPIRE`), updating the header:
    /// due when the header does not know the list to live the retention from now. A save
    /// without a transcript clears the header's deadline: the transcript of such a turn (a
    /// trigger event's, written by its completion) may set a shorter TTL, so the next turn
    /// with a transcript refreshes it. So a conversation's list gets its `PEXPIRE` once per
    /// slack period, as its result record, not on every turn.
    pub(super) fn log_refresh(
        header: &mut Header,
        now_ms: u64,
        transcript: Option<&TranscriptAppend>,
    ) -> bool {
        let Some(t) = transcript else {
            header.log_until_ms = 0;
            return false;
        };
        let retention = t.retention_secs.max(1);
        if header.log_until_ms >= now_ms.saturating_add(secs_ms(retention)) {
            return false;
        }
        header.log_until_ms = now_ms.saturating_add(results::record_ttl_ms(retention));
        true
    }

    /// The five COMMIT arguments: lease value, version, new state value, TTL, `seen` refresh.
    pub(super) fn push_commit_args(
        &self,
        inv: &mut ::redis::ScriptInvocation<'_>,
        token: &str,
        header: &Header,
        data: &[u8],
        ttl_secs: u64,
        now: u64,
    ) {
        let mut next = Header {
            version: header.version + 1,
            ..*header
        };
        let refresh = self.seen_refresh(&mut next, now, ttl_secs);
        inv.arg(token)
            .arg(header.version)
            .arg(next.value(data))
            .arg(secs_ms(ttl_secs))
            .arg(refresh);
    }

    /// The four FINISH arguments: lease value, version, finished-marker TTL, the marker
    /// (carrying the session's mark).
    pub(super) fn push_finish_args(
        &self,
        inv: &mut ::redis::ScriptInvocation<'_>,
        token: &str,
        header: &Header,
    ) {
        inv.arg(token)
            .arg(header.version)
            .arg(ms(self.opts.finished_marker))
            .arg(finished_value(header.mark));
    }

    /// The answer and execution arguments that end every COMMIT and FINISH script's `ARGV`
    /// (see `scripts::ANSWER_PRE`), with the idempotency record, then the execution's keys, as
    /// the last keys. None: `'0'` each. The execution is written by the script on a single
    /// Redis only (`true`: the caller writes it after the save, see `execution_after`).
    pub(super) fn push_tail_args(
        &self,
        inv: &mut ::redis::ScriptInvocation<'_>,
        answer: Option<AnswerWrite<'_>>,
        execution: Option<ExecutionWrite<'_>>,
    ) -> Result<bool, StoreError> {
        let json =
            |r| serde_json::to_string(r).map_err(|e| StoreError::Other(format!("save_turn: {e}")));
        match answer {
            Some(a) => {
                inv.key(self.keys.idempotency(a.key))
                    .arg(json(a.claim)?)
                    .arg(json(a.answer)?)
                    .arg(a.ttl_secs.max(1))
                    .arg(1);
            }
            None => {
                inv.arg(0);
            }
        }
        let Some(w) = execution.filter(|_| self.single()) else {
            inv.arg(0);
            return Ok(execution.is_some());
        };
        let (timer, due) = w.timer.unwrap_or_default();
        inv.key(self.record_key(Doc::Execution.tag(), w.id))
            .key(self.token_key(w.id))
            .key(self.timers_key())
            .arg(w.doc.json()?)
            .arg(w.token.unwrap_or_default())
            .arg(w.ttl_secs)
            .arg(due)
            .arg(timer)
            .arg(w.cancel.unwrap_or_default())
            .arg(1);
        Ok(false)
    }

    /// An execution write left to after the save (a cluster's: its keys are in other slots),
    /// as separate calls.
    pub(super) async fn execution_after(
        &self,
        execution: Option<ExecutionWrite<'_>>,
    ) -> Result<(), StoreError> {
        match execution {
            Some(w) => write_in_steps(self, w).await,
            None => Ok(()),
        }
    }

    /// A new session's state value (version 1), its TTL and its `seen` marker's lifetime (ms).
    /// The record refresh time is 0: the start turn's result update refreshes the record.
    pub(super) fn new_state(&self, data: &[u8], ttl_secs: u64, mark: u64) -> (Vec<u8>, u64, u64) {
        let now = now_ms();
        let (ttl, seen_ms) = (secs_ms(ttl_secs), self.seen_ms(ttl_secs));
        let value = Header {
            version: 1,
            seen_until_ms: now.saturating_add(seen_ms),
            created_s: now / 1000,
            record_until_ms: 0,
            mark,
            log_until_ms: 0,
        }
        .value(data);
        (value, ttl, seen_ms)
    }

    /// Whether a save of session `id` can write this answer in its own script: always on a
    /// single Redis; on a cluster when the idempotency record is in the session's slot (a
    /// continueChat key: see `Keys::idempotency`).
    pub(super) fn answer_in_slot(&self, id: &str, a: &AnswerWrite<'_>) -> bool {
        self.single() || session_of_key(a.key) == Some(id)
    }

    /// A single Redis (not a cluster): the combined save scripts apply.
    pub(super) fn single(&self) -> bool {
        matches!(self.conn, Conn::Single(_))
    }

    /// A turn with a transcript or an answer and no result update: on a single Redis in one
    /// script; on a cluster (the answer's record in the session's slot, see `answer_in_slot`)
    /// the session and the answer in one script, then the transcript (its own slot).
    pub(super) async fn save_with_transcript(
        &self,
        id: &str,
        data: Option<Vec<u8>>,
        leased: &Leased,
        ttl_secs: u64,
        writes: TurnWrites<'_>,
    ) -> Result<(), StoreError> {
        let single = self.single();
        let (token, mut header) = Header::from_lease(leased);
        let now = now_ms();
        let log_due = Self::log_refresh(&mut header, now, writes.transcript);
        let script = match (&data, single) {
            (Some(_), true) => &scripts::COMMIT_TRANSCRIPT,
            (None, true) => &scripts::FINISH_TRANSCRIPT,
            (Some(_), false) => &scripts::COMMIT,
            (None, false) => &scripts::FINISH,
        };
        let mut inv = match single {
            true => self.turn_script(script, id),
            false => self.session_script(script, id),
        };
        match &data {
            Some(d) => self.push_commit_args(&mut inv, token, &header, d, ttl_secs, now),
            None => self.push_finish_args(&mut inv, token, &header),
        }
        if single {
            Self::push_transcript_args(&mut inv, writes.transcript, log_due)?;
        }
        let after = self.push_tail_args(&mut inv, writes.answer, writes.execution)?;
        applied(self.script("save_turn", &inv).await?)?;
        if after {
            self.execution_after(writes.execution).await?;
        }
        if let Some(t) = writes.transcript.filter(|_| !single) {
            log_lost_transcript(self.transcript_append(id, t).await, id);
        }
        Ok(())
    }

    /// The rare outcomes of `begin_turn` (no active state): gives back the lease it took and
    /// tells missing from expired by the `seen` marker.
    pub(super) async fn begin_without_state(
        &self,
        id: &str,
        took_lease: bool,
        finished: bool,
    ) -> Result<Loaded, StoreError> {
        if finished && !took_lease {
            return Ok(Loaded::Finished);
        }
        let [_, lease, seen] = self.keys.session(id);
        let mut pipe = ::redis::pipe();
        if took_lease {
            // Nothing to protect: without an active state no turn can save.
            pipe.cmd("DEL").arg(&lease).ignore();
        }
        pipe.cmd("EXISTS").arg(&seen);
        let (seen,): (bool,) = self.pipeline("begin_turn", &pipe).await?;
        Ok(if finished {
            Loaded::Finished
        } else if seen {
            Loaded::Expired
        } else {
            Loaded::Missing
        })
    }
}
