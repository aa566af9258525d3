//! Published flows on Redis. Three hashes under the `{flows}` hash tag hold the pointers
//! (`pub`: flow id -> [`Published`] JSON, `public`: public id -> flow id, `bypublic`: public
//! id -> the same JSON, so a startChat resolves its bot with one plain `HGET`) and are changed
//! together by one script, so a public id never points at two flows. Revisions are plain
//! strings without TTL: sessions may keep running on an old revision for as long as they live.

use std::sync::LazyLock;

use ::redis::Script;

use super::{RedisStore, corrupt};
use crate::store::flows::{FlowStore, Published};
use crate::store::{BoxFuture, StoreError};

fn parse(what: &str, json: &str) -> Result<Published, StoreError> {
    serde_json::from_str(json).map_err(|e| corrupt(what, e))
}

impl FlowStore for RedisStore {
    fn put_revision(
        &self,
        flow_id: &str,
        revision: &str,
        json: &str,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let cmd = ::redis::cmd("SET")
            .arg(self.keys.revision(flow_id, revision))
            .arg(json)
            .clone();
        Box::pin(async move { self.query::<()>("put_revision", &cmd).await })
    }

    fn get_revision(
        &self,
        flow_id: &str,
        revision: &str,
    ) -> BoxFuture<'_, Result<Option<String>, StoreError>> {
        let cmd = ::redis::cmd("GET")
            .arg(self.keys.revision(flow_id, revision))
            .clone();
        Box::pin(async move { self.read("get_revision", &cmd).await })
    }

    fn publish(&self, entry: &Published) -> BoxFuture<'_, Result<(), StoreError>> {
        let json = serde_json::to_string(entry);
        let entry = entry.clone();
        Box::pin(async move {
            let json = json.map_err(|e| StoreError::Other(format!("publish: {e}")))?;
            let [published, public, by_public] = self.keys.flows();
            let mut inv = PUBLISH.prepare_invoke();
            inv.key(published)
                .key(public)
                .key(by_public)
                .arg(&entry.flow_id)
                .arg(&entry.public_id)
                .arg(json);
            let owner: String = self.script("publish", &inv).await?;
            if owner.is_empty() {
                Ok(())
            } else {
                Err(StoreError::Conflict(format!(
                    "public id {} is used by flow {owner}",
                    entry.public_id
                )))
            }
        })
    }

    fn unpublish(&self, flow_id: &str) -> BoxFuture<'_, Result<Option<Published>, StoreError>> {
        let [published, public, by_public] = self.keys.flows();
        let mut inv = UNPUBLISH.prepare_invoke();
        inv.key(published).key(public).key(by_public).arg(flow_id);
        Box::pin(async move {
            let old: String = self.script("unpublish", &inv).await?;
            if old.is_empty() {
                Ok(None)
            } else {
                parse("unpublish", &old).map(Some)
            }
        })
    }

    fn by_flow_id(&self, flow_id: &str) -> BoxFuture<'_, Result<Option<Published>, StoreError>> {
        let [published, _, _] = self.keys.flows();
        let cmd = ::redis::cmd("HGET").arg(published).arg(flow_id).clone();
        Box::pin(async move {
            let json: Option<String> = self.read("by_flow_id", &cmd).await?;
            json.map(|j| parse("by_flow_id", &j)).transpose()
        })
    }

    fn by_public_id(
        &self,
        public_id: &str,
    ) -> BoxFuture<'_, Result<Option<Published>, StoreError>> {
        let public_id = public_id.to_string();
        Box::pin(async move {
            let [published, public, by_public] = self.keys.flows();
            let get = ::redis::cmd("HGET").arg(&by_public).arg(&public_id).clone();
            let json = match self.read::<Option<String>>("by_public_id", &get).await? {
                Some(json) => json,
                // Not there: unknown, or published by an older version (the script copies it).
                None => {
                    let mut inv = BY_PUBLIC_ID.prepare_invoke();
                    inv.key(published)
                        .key(public)
                        .key(by_public)
                        .arg(&public_id);
                    self.script("by_public_id", &inv).await?
                }
            };
            if json.is_empty() {
                return Ok(None);
            }
            // The scripts keep the hashes in step; the check only guards against a stale pointer.
            Ok(Some(parse("by_public_id", &json)?).filter(|p| p.public_id == public_id))
        })
    }

    fn list(&self) -> BoxFuture<'_, Result<Vec<Published>, StoreError>> {
        let [published, _, _] = self.keys.flows();
        let cmd = ::redis::cmd("HVALS").arg(published).clone();
        Box::pin(async move {
            let all: Vec<String> = self.read("list_flows", &cmd).await?;
            let mut list = all
                .iter()
                .map(|j| parse("list_flows", j))
                .collect::<Result<Vec<_>, _>>()?;
            list.sort_by(|a, b| a.public_id.cmp(&b.public_id));
            Ok(list)
        })
    }
}

/// `KEYS`: published hash, public-id hash, pointers by public id. `ARGV`: flow id, public id,
/// Published JSON. Returns '' when published, or the id of the flow that already owns the
/// public id.
static PUBLISH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local owner = redis.call('HGET', KEYS[2], ARGV[2])
if owner and owner ~= ARGV[1] then
  local other = redis.call('HGET', KEYS[1], owner)
  if other and cjson.decode(other).publicId == ARGV[2] then return owner end
end
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  local oldp = cjson.decode(old).publicId
  if oldp ~= ARGV[2] and redis.call('HGET', KEYS[2], oldp) == ARGV[1] then
    redis.call('HDEL', KEYS[2], oldp)
    redis.call('HDEL', KEYS[3], oldp)
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
return ''
",
    )
});

/// `KEYS`: as PUBLISH. `ARGV`: flow id. Returns the removed JSON or ''.
static UNPUBLISH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return '' end
redis.call('HDEL', KEYS[1], ARGV[1])
local p = cjson.decode(old).publicId
if redis.call('HGET', KEYS[2], p) == ARGV[1] then
  redis.call('HDEL', KEYS[2], p)
  redis.call('HDEL', KEYS[3], p)
end
return old
",
    )
});

/// `KEYS`: as PUBLISH. `ARGV`: public id. Returns the Published JSON or ''. Only for pointers
/// published before the `bypublic` hash existed (a plain `HGET` of it answers every other
/// lookup): copies the pointer there, so the next lookup is plain too.
static BY_PUBLIC_ID: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local f = redis.call('HGET', KEYS[2], ARGV[1])
if not f then return '' end
local json = redis.call('HGET', KEYS[1], f)
if not json then return '' end
redis.call('HSET', KEYS[3], ARGV[1], json)
return json
",
    )
});
