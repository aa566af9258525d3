//! Where the engine finds flows: a session names a flow revision, a typebot link names a
//! published flow. Stores of published flows implement [`FlowSource`].

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};

use super::EngineError;
use crate::flow::CompiledFlow;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A lookup's answer: the flow (None: there is no such flow), or
/// [`EngineError::FlowsUnavailable`] when the flows cannot be read right now (a store outage is
/// never reported as a missing flow).
pub type Lookup = Result<Option<Arc<CompiledFlow>>, EngineError>;

/// Read access to compiled flows.
pub trait FlowSource: Send + Sync {
    /// A specific revision (sessions keep running on the revision they started on).
    fn revision<'a>(&'a self, id: &'a str, rev: &'a str) -> BoxFuture<'a, Lookup>;
    /// The currently published revision of a flow, by its id.
    fn published<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Lookup>;
}

/// An in-process set of flows: every revision ever added stays available, so that publishing a
/// new version never breaks a session running on an older one.
#[derive(Default)]
pub struct MemoryFlows {
    inner: RwLock<Inner>,
}

#[derive(Default)]
struct Inner {
    revisions: HashMap<(String, String), Arc<CompiledFlow>>,
    published: HashMap<String, Arc<CompiledFlow>>,
}

impl MemoryFlows {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a revision and makes it the published one for its id.
    pub fn publish(&self, flow: Arc<CompiledFlow>) {
        if let Ok(mut g) = self.inner.write() {
            g.revisions
                .insert((flow.id.clone(), flow.revision.clone()), flow.clone());
            g.published.insert(flow.id.clone(), flow);
        }
    }

    /// Removes the published pointer (revisions stay for running sessions).
    pub fn unpublish(&self, id: &str) -> bool {
        self.inner
            .write()
            .map(|mut g| g.published.remove(id).is_some())
            .unwrap_or(false)
    }

    pub fn get_published(&self, id: &str) -> Option<Arc<CompiledFlow>> {
        self.inner.read().ok()?.published.get(id).cloned()
    }

    pub fn get_revision(&self, id: &str, rev: &str) -> Option<Arc<CompiledFlow>> {
        self.inner
            .read()
            .ok()?
            .revisions
            .get(&(id.to_string(), rev.to_string()))
            .cloned()
    }

    /// Every published flow.
    pub fn list(&self) -> Vec<Arc<CompiledFlow>> {
        self.inner
            .read()
            .map(|g| g.published.values().cloned().collect())
            .unwrap_or_default()
    }
}

impl FlowSource for MemoryFlows {
    fn revision<'a>(&'a self, id: &'a str, rev: &'a str) -> BoxFuture<'a, Lookup> {
        let f = self.get_revision(id, rev);
        Box::pin(async move { Ok(f) })
    }
    fn published<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Lookup> {
        let f = self.get_published(id);
        Box::pin(async move { Ok(f) })
    }
}
