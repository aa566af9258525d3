//! The engine API (executions of a tenant's intents, resumed by wait token) and the workflow
//! API (a user's runs with their transcripts), end to end on the real server: every route and
//! error, on the in-memory store and (where it matters: idempotency, timers, several
//! processes) on Redis.

/// Two tests of each scenario `async fn(TestApp)`: on the in-memory store and on a private
/// Redis (skipped when redis-server is missing, unless Redis tests are required).
macro_rules! on_both_stores {
    ($($scenario:ident),* $(,)?) => {
        $(mod $scenario {
            #[tokio::test]
            async fn memory() {
                super::$scenario(crate::support::app().await).await;
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

mod auth;
mod executions;
mod races;
mod restart;
#[allow(dead_code)]
#[path = "../redis_api/server.rs"]
mod server;
mod support;
mod tenants;
mod variables;
mod waits;
mod workflow_start;
mod workflows;
