//! Key names of the Redis store (the layout is documented in `docs/REDIS.md`).

/// Builds every key name. All keys of one session, one flow's results or the flow pointers
/// share a hash tag (`{...}`), so the scripts over them stay within one cluster slot.
pub(super) struct Keys {
    pub(super) prefix: String,
}

impl Keys {
    /// State, lease and seen keys of a session.
    pub(super) fn session(&self, id: &str) -> [String; 3] {
        let base = format!("{}:{{s:{id}}}", self.prefix);
        [
            format!("{base}:state"),
            format!("{base}:lease"),
            format!("{base}:seen"),
        ]
    }

    /// A stored `Idempotency-Key` response (the caller scopes the key).
    pub(super) fn idempotency(&self, key: &str) -> String {
        format!("{}:{{i:{key}}}", self.prefix)
    }

    /// The record of one result.
    pub(super) fn result(&self, flow_id: &str, result_id: &str) -> String {
        format!("{}:{{r:{flow_id}}}:res:{result_id}", self.prefix)
    }

    /// The created-time index and the expiry index of a flow's results.
    pub(super) fn result_indexes(&self, flow_id: &str) -> [String; 2] {
        let base = format!("{}:{{r:{flow_id}}}", self.prefix);
        [format!("{base}:idx"), format!("{base}:exp")]
    }

    /// The published-pointer hash and the public-id hash.
    pub(super) fn flows(&self) -> [String; 2] {
        [
            format!("{}:{{flows}}:pub", self.prefix),
            format!("{}:{{flows}}:public", self.prefix),
        ]
    }

    /// The JSON of one flow revision.
    pub(super) fn revision(&self, flow_id: &str, revision: &str) -> String {
        format!("{}:{{rev:{flow_id}}}:{revision}", self.prefix)
    }
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
                "t:{s:abc}:state".to_string(),
                "t:{s:abc}:lease".into(),
                "t:{s:abc}:seen".into()
            ]
        );
        assert_eq!(keys.result("f", "r"), "t:{r:f}:res:r");
        assert_eq!(keys.flows()[1], "t:{flows}:public");
        assert_eq!(keys.revision("f", "9"), "t:{rev:f}:9");
    }
}
