//! The trigger integration (seed 002) end to end on the real server: every route and error on
//! the in-memory store and on a private Redis; then, on Redis with real `tessera serve`
//! processes, durability across a `kill -9` and two processes sharing the work.

/// Two tests of each scenario `async fn(TestApp)`: on the in-memory store and on a private
/// Redis (skipped when redis-server is missing, unless Redis tests are required).
macro_rules! on_both_stores {
    ($($scenario:ident),* $(,)?) => {
        $(mod $scenario {
            #[tokio::test]
            async fn memory() {
                super::$scenario(crate::support::app_on(None).await).await;
            }
            #[tokio::test]
            async fn redis() {
                let Some(redis) = crate::support::private_redis() else {
                    return;
                };
                super::$scenario(crate::support::app_on(Some(&redis.url())).await).await;
            }
        })*
    };
}

#[path = "../common/mod.rs"]
mod common;

mod events;
mod manage;
mod processes;
mod support;
mod transcripts;
