//! The [`Store`] contract on Redis: sessions through the Lua scripts of `redis_scripts.rs` (one
//! round trip per step), idempotency records as plain keys (`SET NX EX`: the first writer
//! wins), results handed to `redis_results.rs`.

use ::redis::Value;

use super::conn::Conn;
use super::{RedisStore, corrupt, ms, scripts, secs_ms};
use crate::session::{
    BoxFuture, Leased, Loaded, ResultRecord, ResultUpdate, ResultsPage, Store, StoreError,
    StoredResponse, save_turn_in_steps,
};

/// Maps a "did the compare-and-set apply" script answer.
fn applied(n: i64) -> Result<(), StoreError> {
    if n == 1 {
        Ok(())
    } else {
        Err(StoreError::Busy)
    }
}

impl Store for RedisStore {
    fn create(
        &self,
        id: &str,
        data: Vec<u8>,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let mut inv = self.session_script(&scripts::CREATE, id);
        inv.arg(data)
            .arg(secs_ms(ttl_secs))
            .arg(self.seen_ms(ttl_secs));
        Box::pin(async move { applied(self.script("create", &inv).await?) })
    }

    fn create_finished(&self, id: &str) -> BoxFuture<'_, Result<(), StoreError>> {
        let mut inv = self.session_script(&scripts::CREATE_FINISHED, id);
        inv.arg(ms(self.opts.finished_marker));
        Box::pin(async move {
            self.script::<i64>("create_finished", &inv)
                .await
                .map(|_| ())
        })
    }

    fn begin_turn(&self, id: &str, lease_ms: u64) -> BoxFuture<'_, Result<Loaded, StoreError>> {
        let token = crate::ids::new_id();
        let mut inv = self.session_script(&scripts::BEGIN, id);
        inv.arg(&token).arg(lease_ms.max(1));
        let [state_key, lease_key, _] = self.keys.session(id);
        Box::pin(async move {
            let answer = self.script::<(i64, u64, Vec<u8>)>("begin_turn", &inv).await;
            if let Err(StoreError::Unavailable(_)) = &answer {
                // The script was sent and may still run when a hung Redis answers again, taking
                // a lease nobody will use: queue its release right behind it.
                let mut con = self.con();
                let release = ::redis::cmd("EVAL")
                    .arg(scripts::RELEASE_SRC)
                    .arg(2)
                    .arg(state_key)
                    .arg(lease_key)
                    .arg(&token)
                    .clone();
                tokio::spawn(async move {
                    let _ = release.query_async::<::redis::Value>(&mut con).await;
                });
            }
            let (code, version, data) = answer?;
            match code {
                3 => Ok(Loaded::Active(Leased {
                    data,
                    version,
                    lease: token,
                })),
                2 => Ok(Loaded::Finished),
                1 => Ok(Loaded::Expired),
                0 => Ok(Loaded::Missing),
                -1 => Err(StoreError::Busy),
                other => Err(StoreError::Other(format!(
                    "redis begin_turn: unexpected answer {other}"
                ))),
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
        inv.arg(&leased.lease)
            .arg(leased.version)
            .arg(data)
            .arg(secs_ms(ttl_secs))
            .arg(self.seen_ms(ttl_secs));
        Box::pin(async move { applied(self.script("commit_turn", &inv).await?) })
    }

    fn finish_turn(&self, id: &str, leased: &Leased) -> BoxFuture<'_, Result<(), StoreError>> {
        let mut inv = self.session_script(&scripts::FINISH, id);
        inv.arg(&leased.lease)
            .arg(leased.version)
            .arg(ms(self.opts.finished_marker));
        Box::pin(async move { applied(self.script("finish_turn", &inv).await?) })
    }

    fn save_turn<'a>(
        &'a self,
        id: &'a str,
        data: Option<Vec<u8>>,
        leased: &'a Leased,
        ttl_secs: u64,
        result: Option<(&'a ResultUpdate, u64)>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        // On a cluster the session and result keys live in different slots: two round trips.
        let (Some((update, retention)), Conn::Single(_)) = (result, &self.conn) else {
            return save_turn_in_steps(self, id, data, leased, ttl_secs, result);
        };
        Box::pin(async move {
            let mut inv = match &data {
                Some(_) => self.session_script(&scripts::COMMIT_RECORD, id),
                None => self.session_script(&scripts::FINISH_RECORD, id),
            };
            for k in self.result_keys(update) {
                inv.key(k);
            }
            inv.arg(&leased.lease).arg(leased.version);
            match data {
                Some(d) => {
                    inv.arg(d)
                        .arg(secs_ms(ttl_secs))
                        .arg(self.seen_ms(ttl_secs));
                }
                None => {
                    inv.arg(ms(self.opts.finished_marker));
                }
            }
            self.push_result_args(&mut inv, update, retention)?;
            applied(self.script("save_turn", &inv).await?)
        })
    }

    fn peek(&self, id: &str) -> BoxFuture<'_, Result<Option<Vec<u8>>, StoreError>> {
        let [state, _, _] = self.keys.session(id);
        Box::pin(async move {
            // A finished marker has no `v`: only a versioned state is an active session.
            let cmd = ::redis::cmd("HMGET").arg(state).arg("v").arg("d").clone();
            let (version, data): (Option<u64>, Option<Vec<u8>>) = self.query("peek", &cmd).await?;
            Ok(version.and(data))
        })
    }

    fn abort_turn(&self, id: &str, leased: &Leased) -> BoxFuture<'_, Result<(), StoreError>> {
        let [state, lease, _] = self.keys.session(id);
        let mut inv = scripts::ABORT.prepare_invoke();
        inv.key(state)
            .key(lease)
            .arg(&leased.lease)
            .arg(leased.version);
        // Like the memory store, releasing a lease that is no longer ours is not an error.
        Box::pin(async move { self.script::<i64>("abort_turn", &inv).await.map(|_| ()) })
    }

    fn idempotency_get(
        &self,
        key: &str,
    ) -> BoxFuture<'_, Result<Option<StoredResponse>, StoreError>> {
        let cmd = ::redis::cmd("GET").arg(self.keys.idempotency(key)).clone();
        Box::pin(async move {
            let raw: Option<String> = self.query("idempotency_get", &cmd).await?;
            raw.map(|s| serde_json::from_str(&s).map_err(|e| corrupt("idempotency_get", e)))
                .transpose()
        })
    }

    fn idempotency_put(
        &self,
        key: &str,
        response: &StoredResponse,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        let key = self.keys.idempotency(key);
        let json = serde_json::to_string(response);
        Box::pin(async move {
            if ttl_secs == 0 {
                return Ok(false); // Would expire at once, as in the memory store.
            }
            let json = json.map_err(|e| StoreError::Other(format!("idempotency_put: {e}")))?;
            // First writer wins: SET NX leaves an existing record untouched (and answers nil).
            let cmd = ::redis::cmd("SET")
                .arg(key)
                .arg(json)
                .arg("NX")
                .arg("EX")
                .arg(ttl_secs)
                .clone();
            let answer = self.query::<Value>("idempotency_put", &cmd).await?;
            Ok(!matches!(answer, Value::Nil))
        })
    }

    fn idempotency_replace(
        &self,
        key: &str,
        response: &StoredResponse,
        ttl_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let key = self.keys.idempotency(key);
        let json = serde_json::to_string(response);
        Box::pin(async move {
            let json = json.map_err(|e| StoreError::Other(format!("idempotency_replace: {e}")))?;
            let cmd = ::redis::cmd("SET")
                .arg(key)
                .arg(json)
                .arg("EX")
                .arg(ttl_secs.max(1))
                .clone();
            self.query::<Value>("idempotency_replace", &cmd)
                .await
                .map(|_| ())
        })
    }

    fn idempotency_release(&self, key: &str) -> BoxFuture<'_, Result<(), StoreError>> {
        let key = self.keys.idempotency(key);
        Box::pin(async move {
            let cmd = ::redis::cmd("DEL").arg(key).clone();
            self.query::<Value>("idempotency_release", &cmd)
                .await
                .map(|_| ())
        })
    }

    fn record_result(
        &self,
        update: &ResultUpdate,
        retention_secs: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let update = update.clone();
        Box::pin(async move { self.record_result_fields(&update, retention_secs).await })
    }

    fn list_results(
        &self,
        flow_id: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> BoxFuture<'_, Result<ResultsPage, StoreError>> {
        let (flow_id, cursor) = (flow_id.to_string(), cursor.map(str::to_string));
        Box::pin(async move {
            self.list_results_page(&flow_id, cursor.as_deref(), limit)
                .await
        })
    }

    fn get_result(
        &self,
        flow_id: &str,
        result_id: &str,
    ) -> BoxFuture<'_, Result<Option<ResultRecord>, StoreError>> {
        let (flow_id, result_id) = (flow_id.to_string(), result_id.to_string());
        Box::pin(async move { self.read_result(&flow_id, &result_id).await })
    }

    fn health(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(self.ping())
    }

    fn kind(&self) -> &'static str {
        match self.conn {
            Conn::Single(_) => "redis",
            Conn::Cluster(_) => "redis-cluster",
        }
    }
}
