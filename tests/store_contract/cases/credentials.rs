//! Credentials: one record per id, replaced whole, deleted once.

use tessera::store::StoredCredential;

use crate::backends::Backend;

pub async fn credentials_are_replaced_whole_and_deleted_once(b: &Backend) {
    let id = format!("cred-{}", tessera::ids::new_id());
    let record = |kind: &str, sealed: &str| StoredCredential {
        id: id.clone(),
        kind: kind.into(),
        name: "Main".into(),
        sealed: sealed.into(),
        updated_at: 1,
    };
    let c = &b.credentials;
    assert_eq!(c.get_credential(&id).await, Ok(None));
    c.put_credential(&record("openai", "v1:aa"))
        .await
        .expect("put");
    assert_eq!(
        c.get_credential(&id).await,
        Ok(Some(record("openai", "v1:aa")))
    );
    c.put_credential(&record("groq", "v1:bb"))
        .await
        .expect("replace");
    assert_eq!(
        c.get_credential(&id).await,
        Ok(Some(record("groq", "v1:bb")))
    );
    assert_eq!(c.delete_credential(&id).await, Ok(true));
    assert_eq!(c.delete_credential(&id).await, Ok(false));
    assert_eq!(c.get_credential(&id).await, Ok(None));
}
