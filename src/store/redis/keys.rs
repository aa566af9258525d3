//! Key names of the Redis store (the layout is documented in `docs/REDIS.md`).

use crate::store::BESIDE;

/// Builds every key name. All keys of one session, one flow's results or the flow pointers
/// share a hash tag (`{...}`), so the scripts over them stay within one cluster slot.
pub(super) struct Keys {
    pub(super) prefix: String,
}

impl Keys {
    /// `<prefix>:{<tag>}` followed by `rest`, built without the formatting machinery (these
    /// names are built on every store call).
    fn tagged(&self, tag: &str, id: &str, rest: &str) -> String {
        let mut k =
            String::with_capacity(self.prefix.len() + tag.len() + id.len() + rest.len() + 4);
        k.push_str(&self.prefix);
        k.push_str(":{");
        k.push_str(tag);
        k.push_str(id);
        k.push('}');
        k.push_str(rest);
        k
    }

    /// State, lease and seen keys of a session. The state key is `st` (a string); the
    /// earlier layout's `state` (a hash) is never read, so sessions saved by an older version
    /// are reported expired instead of failing on a wrong type.
    pub(super) fn session(&self, id: &str) -> [String; 3] {
        let base = self.tagged("s:", id, ":");
        let key = |name: &str| {
            let mut k = String::with_capacity(base.len() + name.len());
            k.push_str(&base);
            k.push_str(name);
            k
        };
        [key("st"), key("lease"), key("seen")]
    }

    /// A session's transcript: its entries (a list) and the status of its latest turn. Their
    /// own hash tag (`{t:<id>}`): the save scripts that write them with the session run on a
    /// single Redis only.
    pub(super) fn transcript(&self, session_id: &str) -> [String; 2] {
        [
            self.tagged("t:", session_id, ":log"),
            self.tagged("t:", session_id, ":meta"),
        ]
    }

    /// A stored `Idempotency-Key` response (the caller scopes the key). A continueChat key
    /// (`continue:<session id>:<key>`) carries its session's hash tag, so its turn's save
    /// writes the answer in the session's slot on a cluster too, as does a start's answer kept
    /// beside its session (`beside:<session id>`); the others have their own.
    pub(super) fn idempotency(&self, key: &str) -> String {
        match session_of_key(key) {
            Some(id) => self.tagged("s:", id, &format!(":i:{key}")),
            None => format!("{}:{{i:{key}}}", self.prefix),
        }
    }

    /// A claim owner's liveness record (a server process; see `IdempotencyStore`).
    pub(super) fn owner(&self, owner: &str) -> String {
        self.tagged("o:", owner, "")
    }

    /// The record of one result.
    pub(super) fn result(&self, flow_id: &str, result_id: &str) -> String {
        let mut k = self.tagged("r:", flow_id, ":res:");
        k.push_str(result_id);
        k
    }

    /// The four keys a result update writes: record, its logs, the created and expiry indexes.
    pub(super) fn result_update(&self, flow_id: &str, result_id: &str) -> [String; 4] {
        let record = self.result(flow_id, result_id);
        let mut logs = String::with_capacity(record.len() + 5);
        logs.push_str(&record);
        logs.push_str(":logs");
        let [idx, exp] = self.result_indexes(flow_id);
        [record, logs, idx, exp]
    }

    /// The created-time index and the expiry index of a flow's results.
    pub(super) fn result_indexes(&self, flow_id: &str) -> [String; 2] {
        [
            self.tagged("r:", flow_id, ":idx"),
            self.tagged("r:", flow_id, ":exp"),
        ]
    }

    /// The published-pointer hash, the public-id hash and the pointers by public id.
    pub(super) fn flows(&self) -> [String; 3] {
        [
            format!("{}:{{flows}}:pub", self.prefix),
            format!("{}:{{flows}}:public", self.prefix),
            format!("{}:{{flows}}:bypublic", self.prefix),
        ]
    }

    /// One integration credential (sealed).
    pub(super) fn credential(&self, id: &str) -> String {
        format!("{}:{{cred}}:{id}", self.prefix)
    }

    /// The JSON of one flow revision.
    pub(super) fn revision(&self, flow_id: &str, revision: &str) -> String {
        format!("{}:{{rev:{flow_id}}}:{revision}", self.prefix)
    }
}

/// The session a scoped idempotency key belongs to (continueChat's scope names it, and the
/// copy of a start's answer kept beside its session: `crate::store::BESIDE`).
pub(super) fn session_of_key(key: &str) -> Option<&str> {
    if let Some(id) = key.strip_prefix(BESIDE) {
        return Some(id);
    }
    let (id, _) = key.strip_prefix("continue:")?.split_once(':')?;
    Some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_one_session_share_a_hash_tag() {
        let keys = Keys { prefix: "t".into() };
        assert_eq!(
            keys.session("abc"),
            [
                "t:{s:abc}:st".to_string(),
                "t:{s:abc}:lease".into(),
                "t:{s:abc}:seen".into()
            ]
        );
        assert_eq!(keys.result("f", "r"), "t:{r:f}:res:r");
        assert_eq!(
            keys.result_update("f", "r"),
            [
                "t:{r:f}:res:r".to_string(),
                "t:{r:f}:res:r:logs".into(),
                "t:{r:f}:idx".into(),
                "t:{r:f}:exp".into()
            ]
        );
        assert_eq!(
            keys.transcript("abc"),
            ["t:{t:abc}:log".to_string(), "t:{t:abc}:meta".into()]
        );
        assert_eq!(keys.flows()[1], "t:{flows}:public");
        assert_eq!(keys.flows()[2], "t:{flows}:bypublic");
        assert_eq!(keys.revision("f", "9"), "t:{rev:f}:9");
        // A continueChat answer lives in its session's slot; a start's in its own.
        assert_eq!(
            keys.idempotency("continue:abc:k1"),
            "t:{s:abc}:i:continue:abc:k1"
        );
        assert_eq!(keys.idempotency("start:bot:k1"), "t:{i:start:bot:k1}");
        // The copy of a start's answer kept beside its new session is in the session's slot.
        assert_eq!(keys.idempotency("beside:abc"), "t:{s:abc}:i:beside:abc");
    }
}
