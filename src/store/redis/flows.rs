//! Published flows on Redis. Three hashes under the `{flows}` hash tag hold the pointers
//! (`pub`: flow id -> [`Published`] JSON, `public`: public id -> flow id, `bypublic`: public
//! id -> the same JSON, so a startChat resolves its bot with one plain `HGET`) and are changed
//! together by one script, so a public id never points at two flows. Revisions are plain
//! strings without TTL: sessions may keep running on an old revision for as long as they live.

use super::{RedisStore, corrupt, scripts};
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
            let mut inv = scripts::PUBLISH.prepare_invoke();
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
        let mut inv = scripts::UNPUBLISH.prepare_invoke();
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
                    let mut inv = scripts::BY_PUBLIC_ID.prepare_invoke();
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
