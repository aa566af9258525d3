//! The [`SessionStore`] contract on Redis: sessions as one string each (a small header, then
//! the opaque bytes; see `state.rs` and `scripts.rs`), loaded and leased with plain commands and
//! saved with one script (which also writes the turn's result fields, see `results.rs`).

use std::sync::atomic::{AtomicUsize, Ordering};

use ::redis::Value;

use super::conn::Conn;
use super::results::{self, Seq};
use super::state::finished_value;
use super::state::{Header, State, parse_state};
use super::{RedisStore, ms, scripts};
use crate::store::sessions::{log_lost_result, log_lost_transcript, save_turn_in_steps};
use crate::store::{
    AnswerWrite, BoxFuture, ExecutionWrite, Leased, Loaded, SessionStore, StoreError,
    TranscriptStore, TurnWrites,
};

/// Lease releases of timed-out `begin_turn`s being retried now, and the most retried at once.
static RELEASING: AtomicUsize = AtomicUsize::new(0);
const MAX_RELEASING: usize = 256;

/// Maps a "did the compare-and-set apply" script answer.
fn applied(n: i64) -> Result<(), StoreError> {
    if n == 1 {
        Ok(())
    } else {
        Err(StoreError::Busy)
    }
}

/// Milliseconds since the epoch on this machine's clock.
fn now_ms() -> u64 {
    results::now_micros() / 1000
}

impl SessionStore for RedisStore {
    fn create(
        &self,
        id: &str,
        data: Vec<u8>,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        self.create_with_mark(id, data, ttl_secs, 0)
    }

    fn create_marked<'a>(
        &'a self,
        id: &'a str,
        data: Vec<u8>,
        ttl_secs: u64,
        writes: TurnWrites<'a>,
        mark: u64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.create_saved(id, data, ttl_secs, writes, mark)
    }

    fn mark(&self, id: &str) -> BoxFuture<'_, Result<u64, StoreError>> {
        let [state, _, _] = self.keys.session(id);
        Box::pin(async move {
            // The header and the marker are short: a range read never moves the session bytes.
            let cmd = ::redis::cmd("GETRANGE").arg(state).arg(0).arg(127).clone();
            let raw: Vec<u8> = self.read("mark", &cmd).await?;
            if raw.is_empty() {
                return Ok(0);
            }
            let mut head = raw;
            if let Some(end) = head.iter().position(|&b| b == b'\n') {
                head.truncate(end + 1);
            }
            Ok(match parse_state(head) {
                Ok(State::Active(h, _)) => h.mark,
                Ok(State::Finished(m)) => m,
                Err(_) => 0,
            })
        })
    }

    fn create_finished_marked(&self, id: &str, mark: u64) -> BoxFuture<'_, Result<(), StoreError>> {
        let [state, lease, seen] = self.keys.session(id);
        let marker = ms(self.opts.finished_marker);
        Box::pin(async move {
            // Both commands are idempotent: no transaction needed.
            let mut pipe = ::redis::pipe();
            pipe.cmd("DEL").arg(&lease).arg(&seen).ignore();
            pipe.cmd("SET")
                .arg(&state)
                .arg(finished_value(mark))
                .arg("PX")
                .arg(marker)
                .ignore();
            self.pipeline::<()>("create_finished", &pipe).await
        })
    }

    fn create_finished_answered<'a>(
        &'a self,
        id: &'a str,
        mark: u64,
        answer: Option<AnswerWrite<'a>>,
        execution: Option<ExecutionWrite<'a>>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let writes = TurnWrites {
            execution,
            ..TurnWrites::default()
        };
        match answer.filter(|a| self.creates_answer(id, a)) {
            Some(a) => Box::pin(self.create_answered(id, None, writes, mark, a)),
            None => Box::pin(async move {
                self.create_finished_marked(id, mark).await?;
                self.execution_after(execution).await
            }),
        }
    }

    /// On a single Redis in the script that saves the session; on a cluster (other slots)
    /// right after it.
    fn saves_executions(&self) -> bool {
        true
    }

    fn begin_turn(&self, id: &str, lease_ms: u64) -> BoxFuture<'_, Result<Loaded, StoreError>> {
        let lease_ms = lease_ms.max(1);
        // The lease key's value: a fresh token and when the lease ends (a save that finds
        // another turn's lease gives it back with that expiry).
        let mut token = crate::ids::new_id();
        token.push(' ');
        token.push_str(&now_ms().saturating_add(lease_ms).to_string());
        let [state_key, lease_key, _] = self.keys.session(id);
        let id = id.to_string();
        Box::pin(async move {
            // One round trip of two plain commands: take the lease, read the state.
            let take_lease = |pipe: &mut ::redis::Pipeline| {
                pipe.cmd("SET")
                    .arg(&lease_key)
                    .arg(&token)
                    .arg("NX")
                    .arg("PX")
                    .arg(lease_ms);
            };
            let mut pipe = ::redis::pipe();
            take_lease(&mut pipe);
            pipe.cmd("GET").arg(&state_key);
            let answer = self
                .bounded("begin_turn", async {
                    match pipe.query_async(&mut self.con()).await {
                        // A connection found dead (idle through a Redis restart, say): sent
                        // again on a new one. The first copy may have reached Redis and taken
                        // the lease, so this one also reads who holds it: this turn's own
                        // token means the lease is ours.
                        Err(e) if super::dropped(&e) => {
                            let mut again = ::redis::pipe();
                            take_lease(&mut again);
                            again.cmd("GET").arg(&lease_key);
                            again.cmd("GET").arg(&state_key);
                            let (took, holder, raw): (Option<String>, Option<String>, _) =
                                again.query_async(&mut self.con()).await?;
                            Ok((took.or(holder.filter(|h| *h == token)), raw))
                        }
                        r => r,
                    }
                })
                .await;
            if let Err(StoreError::Unavailable(_)) = &answer {
                // The commands were sent and may still run when a hung Redis answers again,
                // taking a lease nobody will use: queue its release right behind them.
                let mut con = self.con();
                let release = ::redis::cmd("EVAL")
                    .arg(scripts::RELEASE_SRC)
                    .arg(2)
                    .arg(&state_key)
                    .arg(&lease_key)
                    .arg(&token)
                    .clone();
                // Redis may be down rather than hung: then it is sent again until it gets
                // through or the lease would have run out anyway (by a bounded number of
                // tasks: in an outage every request fails here; later ones try once).
                let until = std::time::Instant::now() + std::time::Duration::from_millis(lease_ms);
                let retry = RELEASING.fetch_add(1, Ordering::Relaxed) < MAX_RELEASING;
                tokio::spawn(async move {
                    while release
                        .query_async::<::redis::Value>(&mut con)
                        .await
                        .is_err()
                        && retry
                        && std::time::Instant::now() < until
                    {
                        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                    }
                    RELEASING.fetch_sub(1, Ordering::Relaxed);
                });
            }
            let (took, raw): (Option<String>, Option<Vec<u8>>) = answer?;
            let took = took.is_some();
            let Some(raw) = raw else {
                return self.begin_without_state(&id, took, false).await;
            };
            match parse_state(raw) {
                Ok(State::Active(header, data)) if took => Ok(Loaded::Active(Leased {
                    data,
                    version: header.version,
                    lease: header.lease(&token),
                    mark: header.mark,
                })),
                Ok(State::Active(..)) => Err(StoreError::Busy),
                Ok(State::Finished(_)) => self.begin_without_state(&id, took, true).await,
                Err(e) => {
                    if took {
                        let lease = ::redis::cmd("DEL").arg(&lease_key).clone();
                        let _ = self.query::<Value>("begin_turn", &lease).await;
                    }
                    Err(e)
                }
            }
        })
    }

    fn commit_turn(
        &self,
        id: &str,
        data: Vec<u8>,
        leased: &Leased,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let mut inv = self.session_script(&scripts::COMMIT, id);
        let (token, mut header) = Header::from_lease(leased);
        // No transcript here: one written beside it may have a shorter TTL (see log_refresh).
        header.log_until_ms = 0;
        self.push_commit_args(&mut inv, token, &header, &data, ttl_secs, now_ms());
        inv.arg(0).arg(0); // No answer, no execution.
        Box::pin(async move { applied(self.script("commit_turn", &inv).await?) })
    }

    fn finish_turn(&self, id: &str, leased: &Leased) -> BoxFuture<'_, Result<(), StoreError>> {
        let mut inv = self.session_script(&scripts::FINISH, id);
        let (token, header) = Header::from_lease(leased);
        self.push_finish_args(&mut inv, token, &header);
        inv.arg(0).arg(0); // No answer, no execution.
        Box::pin(async move { applied(self.script("finish_turn", &inv).await?) })
    }

    fn save_turn<'a>(
        &'a self,
        id: &'a str,
        data: Option<Vec<u8>>,
        leased: &'a Leased,
        ttl_secs: u64,
        writes: TurnWrites<'a>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let single = self.single();
        let Some((update, retention)) = writes.result else {
            // On a cluster: only with an answer whose record is in the session's slot.
            let in_slot = writes.answer.is_some_and(|a| self.answer_in_slot(id, &a));
            if in_slot || (single && (writes.transcript.is_some() || writes.execution.is_some())) {
                return Box::pin(self.save_with_transcript(id, data, leased, ttl_secs, writes));
            }
            return Box::pin(async move {
                save_turn_in_steps(self, id, data, leased, ttl_secs, writes).await?;
                self.execution_after(writes.execution).await
            });
        };
        Box::pin(async move {
            let now = now_ms();
            let (token, mut header) = Header::from_lease(leased);
            // The result refresh is decided first: the saved header records it.
            let ensure = Self::record_refresh(&mut header, now, retention);
            let log_due = Self::log_refresh(&mut header, now, writes.transcript);
            let seq = Seq::session(header.created_s, header.version + 1);
            if let Some(d) = &data
                && single
                && !ensure
                && update.logs.is_empty()
            {
                // The common turn: the session, its transcript and the turn's result fields.
                let mut inv = self.turn_script(&scripts::COMMIT_FIELDS, id);
                inv.key(self.keys.result(&update.flow_id, &update.result_id));
                self.push_commit_args(&mut inv, token, &header, d, ttl_secs, now);
                Self::push_transcript_args(&mut inv, writes.transcript, log_due)?;
                inv.arg(results::record_ttl_ms(retention));
                results::push_fields(&mut inv, update, seq)?;
                self.push_tail_args(&mut inv, writes.answer, writes.execution)?;
                let saved: i64 = self.script("save_turn", &inv).await?;
                if saved == 2 {
                    // The record had expired and was created anew: index it.
                    let indexed = self.record_result_fields(update, retention, seq).await;
                    log_lost_result(indexed, update);
                    return Ok(());
                }
                return applied(saved);
            }
            if single {
                let script = match &data {
                    Some(_) => &scripts::COMMIT_RECORD,
                    None => &scripts::FINISH_RECORD,
                };
                let mut inv = self.turn_script(script, id);
                for k in self.result_keys(update) {
                    inv.key(k);
                }
                match &data {
                    Some(d) => self.push_commit_args(&mut inv, token, &header, d, ttl_secs, now),
                    None => self.push_finish_args(&mut inv, token, &header),
                }
                Self::push_transcript_args(&mut inv, writes.transcript, log_due)?;
                self.push_result_args(&mut inv, update, retention, ensure, seq)?;
                self.push_tail_args(&mut inv, writes.answer, writes.execution)?;
                return applied(self.script("save_turn", &inv).await?);
            }
            // On a cluster the session, transcript and result keys live in different slots:
            // one call each.
            let script = match &data {
                Some(_) => &scripts::COMMIT,
                None => &scripts::FINISH,
            };
            let mut inv = self.session_script(script, id);
            match &data {
                Some(d) => self.push_commit_args(&mut inv, token, &header, d, ttl_secs, now),
                None => self.push_finish_args(&mut inv, token, &header),
            }
            // The answer, when its record is in the session's slot (else the caller settles it).
            let answer = writes.answer.filter(|a| self.answer_in_slot(id, a));
            self.push_tail_args(&mut inv, answer, None)?;
            applied(self.script("save_turn", &inv).await?)?;
            self.execution_after(writes.execution).await?;
            let recorded = self.record_result_fields(update, retention, seq).await;
            log_lost_result(recorded, update);
            if let Some(t) = writes.transcript {
                log_lost_transcript(self.transcript_append(id, t).await, id);
            }
            Ok(())
        })
    }

    fn peek(&self, id: &str) -> BoxFuture<'_, Result<Option<Vec<u8>>, StoreError>> {
        let [state, _, _] = self.keys.session(id);
        Box::pin(async move {
            let cmd = ::redis::cmd("GET").arg(state).clone();
            let raw: Option<Vec<u8>> = self.read("peek", &cmd).await?;
            match raw.map(parse_state).transpose()? {
                Some(State::Active(_, data)) => Ok(Some(data)),
                Some(State::Finished(_)) | None => Ok(None),
            }
        })
    }

    fn abort_turn(&self, id: &str, leased: &Leased) -> BoxFuture<'_, Result<(), StoreError>> {
        let [state, lease, _] = self.keys.session(id);
        let mut inv = scripts::ABORT.prepare_invoke();
        inv.key(state)
            .key(lease)
            .arg(Header::from_lease(leased).0)
            .arg(leased.version);
        // Like the memory store, releasing a lease that is no longer ours is not an error.
        Box::pin(async move { self.script::<i64>("abort_turn", &inv).await.map(|_| ()) })
    }

    fn health(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(self.ping())
    }

    fn active_sessions(&self) -> BoxFuture<'_, Result<Option<u64>, StoreError>> {
        Box::pin(self.estimate_sessions())
    }

    fn kind(&self) -> &'static str {
        match self.conn {
            Conn::Single(_) => "redis",
            Conn::Cluster(_) => "redis-cluster",
        }
    }
}

mod create;
mod save_args;
#[cfg(test)]
mod tests;
