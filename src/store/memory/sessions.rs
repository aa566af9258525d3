//! The in-memory [`SessionStore`]: sessions as entries of the shared map, with their lease,
//! version and expiry.

use std::time::Duration;

use super::super::sessions::{record_in_steps, save_turn_in_steps};
use super::super::{
    AnswerWrite, BoxFuture, ExecutionWrite, Leased, Loaded, SessionStore, StoreError, Transcript,
    TranscriptAppend, TranscriptStore, TurnWrites, ready,
};
use super::{Entry, Inner, MemoryStore, Tick, check_lease, secs};

impl MemoryStore {
    fn create_with_mark(
        &self,
        id: &str,
        data: Vec<u8>,
        ttl_secs: u64,
        mark: u64,
    ) -> Result<(), StoreError> {
        self.with(|g, now| create_locked(g, now, id, data, ttl_secs, mark))
    }
}

/// Creates a session under a lock already held (`Busy` when an active one has the id).
fn create_locked(
    g: &mut Inner,
    now: Tick,
    id: &str,
    data: Vec<u8>,
    ttl_secs: u64,
    mark: u64,
) -> Result<(), StoreError> {
    if matches!(g.sessions.get(id), Some(Entry::Active { expires, .. }) if *expires > now) {
        return Err(StoreError::Busy);
    }
    g.sessions.insert(
        id.into(),
        Entry::Active {
            data: data.into_boxed_slice(),
            version: 1,
            lease: None,
            expires: now + secs(ttl_secs),
            mark,
        },
    );
    Ok(())
}

impl MemoryStore {
    /// `commit_turn` (`data` Some) or `finish_turn` under a lock already held.
    fn save_locked(
        &self,
        g: &mut Inner,
        now: Tick,
        id: &str,
        data: Option<Vec<u8>>,
        leased: &Leased,
        ttl_secs: u64,
    ) -> Result<(), StoreError> {
        let entry = check_lease(g.sessions.get_mut(id), leased, now)?;
        match data {
            Some(data) => {
                *entry = Entry::Active {
                    data: data.into_boxed_slice(),
                    version: leased.version + 1,
                    lease: None,
                    expires: now + secs(ttl_secs),
                    mark: leased.mark,
                }
            }
            None => g.finish(id, now + self.finished_marker, leased.mark),
        }
        Ok(())
    }
}

impl SessionStore for MemoryStore {
    fn create(
        &self,
        id: &str,
        data: Vec<u8>,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        ready(self.create_with_mark(id, data, ttl_secs, 0))
    }

    fn create_marked<'a>(
        &'a self,
        id: &'a str,
        data: Vec<u8>,
        ttl_secs: u64,
        writes: TurnWrites<'a>,
        mark: u64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        // With an idempotent answer: the session and the answer under one lock.
        let created = self.with(|g, now| {
            Self::answered_locked(g, now, writes.answer, |g| {
                create_locked(g, now, id, data, ttl_secs, mark)
            })
        });
        if created.is_ok() {
            self.records.write_execution(writes.execution);
        }
        Box::pin(async move {
            created?;
            record_in_steps(self, id, writes).await;
            Ok(())
        })
    }

    fn create_finished_marked(&self, id: &str, mark: u64) -> BoxFuture<'_, Result<(), StoreError>> {
        ready(self.with(|g, now| {
            g.finish(id, now + self.finished_marker, mark);
            Ok(())
        }))
    }

    fn create_finished_answered<'a>(
        &'a self,
        id: &'a str,
        mark: u64,
        answer: Option<AnswerWrite<'a>>,
        execution: Option<ExecutionWrite<'a>>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let created = self.with(|g, now| {
            Self::answered_locked(g, now, answer, |g| {
                g.finish(id, now + self.finished_marker, mark);
                Ok(())
            })
        });
        if created.is_ok() {
            self.records.write_execution(execution);
        }
        ready(created)
    }

    /// The execution is written in the same call as the session, right after it (the
    /// records' lock is taken once the sessions' is released; nothing can fail between).
    fn saves_executions(&self) -> bool {
        true
    }

    fn mark(&self, id: &str) -> BoxFuture<'_, Result<u64, StoreError>> {
        ready(self.with(|g, now| {
            Ok(match g.sessions.get(id) {
                Some(Entry::Active { mark, expires, .. }) if *expires > now => *mark,
                Some(Entry::Finished { mark, forget }) if *forget > now => *mark,
                _ => 0,
            })
        }))
    }

    fn begin_turn(&self, id: &str, lease_ms: u64) -> BoxFuture<'_, Result<Loaded, StoreError>> {
        let token = self.new_lease();
        let grace = self.expired_grace;
        ready(self.with(|g, now| {
            let Some(entry) = g.sessions.get_mut(id) else {
                return Ok(Loaded::Missing);
            };
            match entry {
                Entry::Finished { forget, .. } if *forget > now => Ok(Loaded::Finished),
                Entry::Finished { .. } => Ok(Loaded::Missing),
                Entry::Active { expires, .. } if *expires <= now => Ok(if *expires + grace > now {
                    Loaded::Expired
                } else {
                    Loaded::Missing
                }),
                Entry::Active {
                    data,
                    version,
                    lease,
                    mark,
                    ..
                } => {
                    if matches!(lease, Some(l) if l.1 > now) {
                        return Err(StoreError::Busy);
                    }
                    *lease = Some(Box::new((
                        token.clone(),
                        now + Duration::from_millis(lease_ms),
                    )));
                    Ok(Loaded::Active(Leased {
                        data: data.to_vec(),
                        version: *version,
                        lease: token,
                        mark: *mark,
                    }))
                }
            }
        }))
    }

    fn commit_turn(
        &self,
        id: &str,
        data: Vec<u8>,
        leased: &Leased,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        ready(self.with(|g, now| self.save_locked(g, now, id, Some(data), leased, ttl_secs)))
    }

    fn finish_turn(&self, id: &str, leased: &Leased) -> BoxFuture<'_, Result<(), StoreError>> {
        ready(self.with(|g, now| self.save_locked(g, now, id, None, leased, 0)))
    }

    fn save_turn<'a>(
        &'a self,
        id: &'a str,
        data: Option<Vec<u8>>,
        leased: &'a Leased,
        ttl_secs: u64,
        writes: TurnWrites<'a>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        if writes.answer.is_none() && writes.execution.is_none() {
            return save_turn_in_steps(self, id, data, leased, ttl_secs, writes);
        }
        // The session and its idempotent answer under one lock: both or neither.
        let saved = self.with(|g, now| {
            Self::answered_locked(g, now, writes.answer, |g| {
                self.save_locked(g, now, id, data, leased, ttl_secs)
            })
        });
        if saved.is_ok() {
            self.records.write_execution(writes.execution);
        }
        Box::pin(async move {
            saved?;
            record_in_steps(self, id, writes).await;
            Ok(())
        })
    }

    fn peek(&self, id: &str) -> BoxFuture<'_, Result<Option<Vec<u8>>, StoreError>> {
        ready(self.with(|g, now| {
            Ok(match g.sessions.get(id) {
                Some(Entry::Active { data, expires, .. }) if *expires > now => Some(data.to_vec()),
                _ => None,
            })
        }))
    }

    fn abort_turn(&self, id: &str, leased: &Leased) -> BoxFuture<'_, Result<(), StoreError>> {
        ready(self.with(|g, now| {
            if let Ok(Entry::Active { lease, .. }) =
                check_lease(g.sessions.get_mut(id), leased, now)
            {
                *lease = None;
            }
            Ok(())
        }))
    }

    fn health(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        ready(Ok(()))
    }

    /// Exact: one pass over the map under its lock (about a millisecond per 100,000
    /// sessions), at scrape time only.
    fn active_sessions(&self) -> BoxFuture<'_, Result<Option<u64>, StoreError>> {
        ready(self.with(|g, now| {
            let n = g
                .sessions
                .values()
                .filter(|e| matches!(e, Entry::Active { expires, .. } if *expires > now))
                .count();
            Ok(Some(n as u64))
        }))
    }

    fn kind(&self) -> &'static str {
        "memory"
    }
}

/// The transcripts of the sessions are the records' (a turn's save appends through this).
impl TranscriptStore for MemoryStore {
    fn transcript_append(
        &self,
        session_id: &str,
        append: &TranscriptAppend,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        self.records.transcript_append(session_id, append)
    }

    fn transcript_get(
        &self,
        session_id: &str,
    ) -> BoxFuture<'_, Result<Option<Transcript>, StoreError>> {
        self.records.transcript_get(session_id)
    }
}
