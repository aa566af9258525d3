//! Published flows as stored data: the JSON of every revision, and which revision each flow id
//! and public id currently points to. Shared by all server instances through the store, so a
//! bot published on one instance is served by all, and sessions keep running on the revision
//! they started on. Compiled flows are cached per process by [`crate::registry::Registry`].

use serde::{Deserialize, Serialize};

use super::{BoxFuture, StoreError};

/// The published pointer of one flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Published {
    pub flow_id: String,
    pub public_id: String,
    pub revision: String,
    pub published_at: String,
    pub name: String,
}

pub trait FlowStore: Send + Sync {
    /// Stores the JSON of a revision (idempotent: revisions are content hashes).
    fn put_revision(
        &self,
        flow_id: &str,
        revision: &str,
        json: &str,
    ) -> BoxFuture<'_, Result<(), StoreError>>;
    fn get_revision(
        &self,
        flow_id: &str,
        revision: &str,
    ) -> BoxFuture<'_, Result<Option<String>, StoreError>>;
    /// Points the flow id and its public id at a revision. Fails with
    /// [`StoreError::Conflict`] if the public id already belongs to another flow.
    fn publish(&self, entry: &Published) -> BoxFuture<'_, Result<(), StoreError>>;
    /// Removes the published pointers (revisions stay for running sessions).
    fn unpublish(&self, flow_id: &str) -> BoxFuture<'_, Result<Option<Published>, StoreError>>;
    fn by_flow_id(&self, flow_id: &str) -> BoxFuture<'_, Result<Option<Published>, StoreError>>;
    fn by_public_id(&self, public_id: &str)
    -> BoxFuture<'_, Result<Option<Published>, StoreError>>;
    fn list(&self) -> BoxFuture<'_, Result<Vec<Published>, StoreError>>;
}
