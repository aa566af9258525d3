//! The timer loop: resumes executions paused on a Wait block when their time is up. Every
//! server process runs one; timers are claimed atomically from the store (an in-process set
//! on memory, one sorted set on Redis), so each fires in exactly one process, and a timer
//! claimed by a process that died is claimed again after the lease. Firing goes through the
//! execution's wait token, so a timer that fired twice still resumes its pause once.

use std::sync::Arc;
use std::time::Duration;

use super::timer_metrics::{self, Fired};
use crate::conversation::{Conversations, ServiceError};

/// How often the store is asked for due timers.
const POLL: Duration = Duration::from_millis(5);
/// Timers claimed per poll.
const BATCH: usize = 500;
/// How long a claimed timer is kept from other processes.
const LEASE_MS: u64 = 30_000;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0)
}

/// The timer of one pause: the execution and the pause's wait token.
pub fn timer_id(execution_id: &str, token: &str) -> String {
    format!("{execution_id}:{token}")
}

/// Runs the timer loop until the runtime stops (its queue reported by /metrics as `timers`),
/// resuming at most `concurrency` executions at once (the rest wait for a permit, under
/// their claim's lease; `timer_concurrency`, 256 by default).
pub fn spawn(core: Arc<Conversations>, concurrency: usize) -> tokio::task::JoinHandle<()> {
    timer_metrics::register(core.stores.timers.clone());
    tokio::spawn(async move {
        let permits = Arc::new(tokio::sync::Semaphore::new(concurrency.clamp(1, 4096)));
        loop {
            let claimed = core
                .stores
                .timers
                .timer_claim(now_ms(), LEASE_MS, BATCH)
                .await;
            let full = match claimed {
                Ok(ids) => {
                    let full = ids.len() == BATCH;
                    for id in ids {
                        let Ok(permit) = permits.clone().acquire_owned().await else {
                            return;
                        };
                        let core = core.clone();
                        tokio::spawn(async move {
                            core.fire_timer(&id).await;
                            drop(permit);
                        });
                    }
                    full
                }
                Err(e) => {
                    tracing::warn!(error = %e, "could not claim due timers");
                    false
                }
            };
            if !full {
                tokio::time::sleep(POLL).await;
            }
        }
    })
}

impl Conversations {
    /// Resumes the pause a claimed timer belongs to, then forgets the timer (kept when the
    /// session was busy or the store failed: it is claimed again after its lease). A fire is
    /// the token taken with the record (one store call), the turn, the record written with
    /// the next pause's token, and the timer removed by the resume.
    pub async fn fire_timer(&self, id: &str) {
        let Some((execution_id, token)) = id.split_once(':') else {
            let _ = self.stores.timers.timer_cancel(id).await;
            return;
        };
        let mut due = None;
        let outcome = match self.take_pause(execution_id, token).await {
            Ok((true, Some(r))) if r.record.envelope.status == "waiting_time" => {
                let at = r.record.envelope.metadata.get("resume_at");
                due = timer_metrics::due_ms(at.and_then(|v| v.as_str()));
                self.resume_record(r, token, None, None)
                    .await
                    .map(|_| Fired::Resumed)
            }
            // Not this timer's pause any more (resumed, aborted, expired): nothing to run.
            Ok((true, _)) => self
                .give_token_back(execution_id, token)
                .await
                .map(|()| Fired::Dropped),
            Ok((false, _)) => Ok(Fired::Dropped),
            Err(e) => Err(e),
        };
        match outcome {
            Err(ServiceError::Busy | ServiceError::Store(_)) => {
                timer_metrics::fired(Fired::Retried, None);
            }
            Err(e) => {
                tracing::debug!(timer = id, error = %e, "timer found nothing to resume");
                timer_metrics::fired(Fired::Dropped, None);
                let _ = self.stores.timers.timer_cancel(id).await;
            }
            Ok(Fired::Resumed) => timer_metrics::fired(Fired::Resumed, due),
            Ok(fired) => {
                timer_metrics::fired(fired, due);
                let _ = self.stores.timers.timer_cancel(id).await;
            }
        }
    }
}
