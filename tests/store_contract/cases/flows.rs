//! Contract cases on published flows.

use tessera::store::StoreError;

use crate::backends::Backend;
use crate::support::published;

pub async fn flows_publish_atomically_with_unique_public_ids(b: &Backend) {
    let f = &*b.flows;
    f.put_revision("f1", "rev1", "{\"v\":1}").await.unwrap();
    f.put_revision("f1", "rev1", "{\"v\":1}").await.unwrap();
    assert_eq!(
        f.get_revision("f1", "rev1").await.unwrap().as_deref(),
        Some("{\"v\":1}")
    );
    assert_eq!(f.get_revision("f1", "nope").await.unwrap(), None);
    f.publish(&published("f1", "hello", "rev1")).await.unwrap();
    assert!(
        matches!(f.publish(&published("f2", "hello", "r")).await, Err(StoreError::Conflict(m)) if m.contains("f1"))
    );
    assert_eq!(
        f.by_public_id("hello").await.unwrap(),
        Some(published("f1", "hello", "rev1"))
    );
    // Republishing under a new public id frees the old one.
    f.publish(&published("f1", "hi", "rev2")).await.unwrap();
    assert_eq!(f.by_public_id("hello").await.unwrap(), None);
    assert_eq!(
        f.by_flow_id("f1").await.unwrap(),
        Some(published("f1", "hi", "rev2"))
    );
    f.publish(&published("f2", "hello", "r")).await.unwrap();
    let list: Vec<String> = f
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.public_id)
        .collect();
    assert_eq!(list, ["hello", "hi"]);
    assert_eq!(
        f.unpublish("f1").await.unwrap(),
        Some(published("f1", "hi", "rev2"))
    );
    assert_eq!(f.unpublish("f1").await.unwrap(), None);
    assert_eq!(
        (
            f.by_flow_id("f1").await.unwrap(),
            f.by_public_id("hi").await.unwrap()
        ),
        (None, None)
    );
    assert_eq!(
        f.get_revision("f1", "rev1").await.unwrap().as_deref(),
        Some("{\"v\":1}"),
        "revisions stay"
    );
    assert_eq!(f.list().await.unwrap(), [published("f2", "hello", "r")]);
}
