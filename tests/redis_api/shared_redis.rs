//! The shared Redis (`TESSERA_TEST_REDIS_URL`, logical database [`TEST_DB`]) and what a test
//! created there, deleted when the test ends ([`SharedRedis`]).

use std::sync::Mutex;

use crate::common::redis_env::{
    SHARED_REDIS_VAR, raw_connect, required_by, scan, shared_redis_url,
};

/// The (fixed) key prefix of the server's Redis store.
pub const PREFIX: &str = "tessera";

/// The logical database used on the shared Redis (see the module docs).
pub const TEST_DB: u32 = 15;

/// A missing Redis fails these tests in CI or when `TESSERA_TEST_REDIS_URL` is set.
pub fn required() -> bool {
    required_by(SHARED_REDIS_VAR)
}

/// `url` with database [`TEST_DB`], unless it already names one.
pub fn with_db(url: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    let (scheme, rest) = url.split_once("://").unwrap_or(("redis", url));
    if rest.split_once('/').is_some_and(|(_, db)| !db.is_empty()) {
        url.to_string()
    } else {
        format!("{scheme}://{rest}/{TEST_DB}")
    }
}

pub fn session_keys(sid: &str) -> [String; 3] {
    ["st", "lease", "seen"].map(|k| format!("{PREFIX}:{{s:{sid}}}:{k}"))
}

/// The shared Redis (`TESSERA_TEST_REDIS_URL`, database [`TEST_DB`]) and what a test created
/// there, deleted on drop (panics included).
pub struct SharedRedis {
    pub url: String,
    /// Sessions (state, lease, seen, idempotency records).
    pub sessions: Mutex<Vec<String>>,
    /// Flows published by the test: (flow id, public id); everything of them goes.
    pub flows: Mutex<Vec<(String, String)>>,
    /// Results recorded on a flow the test does not own: (flow id, result id).
    pub results: Mutex<Vec<(String, String)>>,
}

impl SharedRedis {
    /// Connects; fails when Redis is required, skips (None) otherwise.
    pub fn get() -> Option<SharedRedis> {
        let base = shared_redis_url();
        let url = with_db(&base);
        if let Err(e) = raw_connect(&url) {
            assert!(
                !required(),
                "TESSERA_TEST_REDIS_URL={base} ({url}) is required (CI or the variable is set) but Redis is unreachable: {e}"
            );
            eprintln!(
                "skipping: no Redis at {url} ({e}); set TESSERA_TEST_REDIS_URL to make this a failure"
            );
            return None;
        }
        Some(SharedRedis {
            url,
            sessions: Mutex::default(),
            flows: Mutex::default(),
            results: Mutex::default(),
        })
    }

    pub fn con(&self) -> redis::Connection {
        raw_connect(&self.url).unwrap_or_else(|e| panic!("raw connection to {}: {e}", self.url))
    }

    pub fn pttl(&self, key: &str) -> i64 {
        redis::cmd("PTTL")
            .arg(key)
            .query(&mut self.con())
            .expect("PTTL")
    }

    pub fn get_key(&self, key: &str) -> Option<String> {
        redis::cmd("GET")
            .arg(key)
            .query(&mut self.con())
            .expect("GET")
    }

    pub fn forget_session(&self, sid: &str) {
        self.sessions.lock().unwrap().push(sid.to_string());
    }

    pub fn forget_flow(&self, flow_id: &str, public_id: &str) {
        self.flows
            .lock()
            .unwrap()
            .push((flow_id.to_string(), public_id.to_string()));
    }

    pub fn forget_result(&self, flow_id: &str, result_id: &str) {
        self.results
            .lock()
            .unwrap()
            .push((flow_id.to_string(), result_id.to_string()));
    }
}

impl Drop for SharedRedis {
    fn drop(&mut self) {
        let Ok(mut con) = raw_connect(&self.url) else {
            return;
        };
        let mut doomed: Vec<String> = Vec::new();
        for sid in self.sessions.get_mut().unwrap().iter() {
            doomed.extend(session_keys(sid));
            doomed.extend(scan(&mut con, &format!("{PREFIX}:{{s:{sid}}}:i:*")));
        }
        for (flow, public) in self.flows.get_mut().unwrap().iter() {
            doomed.extend(scan(&mut con, &format!("{PREFIX}:{{r:{flow}}}:*")));
            doomed.extend(scan(&mut con, &format!("{PREFIX}:{{rev:{flow}}}:*")));
            doomed.extend(scan(&mut con, &format!("{PREFIX}:{{i:start:{public}:*")));
            let _: redis::RedisResult<i64> = redis::cmd("HDEL")
                .arg(format!("{PREFIX}:{{flows}}:pub"))
                .arg(flow)
                .query(&mut con);
            let _: redis::RedisResult<i64> = redis::cmd("HDEL")
                .arg(format!("{PREFIX}:{{flows}}:public"))
                .arg(public)
                .query(&mut con);
        }
        for (flow, result) in self.results.get_mut().unwrap().iter() {
            doomed.push(format!("{PREFIX}:{{r:{flow}}}:res:{result}"));
            for index in ["idx", "exp"] {
                let _: redis::RedisResult<i64> = redis::cmd("ZREM")
                    .arg(format!("{PREFIX}:{{r:{flow}}}:{index}"))
                    .arg(result)
                    .query(&mut con);
            }
        }
        for key in doomed {
            let _: redis::RedisResult<i64> = redis::cmd("DEL").arg(key).query(&mut con);
        }
    }
}
