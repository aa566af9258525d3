//! The password of the store URL works and never reaches the logs.

use crate::common::redis_server::PrivateRedis;
use crate::server::Server;
use crate::shared_redis::required;
use crate::support::{assert_step, client, publish, start, three_questions};

/// A password in the store URL works, and it never reaches the logs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_redis_password_in_the_store_url_is_not_logged() {
    const PASSWORD: &str = "s3cret-redis-api-password";
    let Some(redis) = PrivateRedis::start(Some(PASSWORD), required()) else {
        return;
    };
    let server = Server::bare("auth", &redis.url(), &[]);
    let c = client();
    let ready = c.get(server.url("/readyz")).send().await.expect("readyz");
    assert_eq!(ready.status().as_u16(), 200, "the password is used");
    publish(&c, &server, &three_questions("auth-bot", "auth")).await;
    assert_step(&start(&c, &server, "auth").await, &[], Some("q1"));
    let log = server.log.lock().unwrap().join("\n");
    let leaks: Vec<&str> = log.lines().filter(|l| l.contains(PASSWORD)).collect();
    assert!(leaks.is_empty(), "the password is in the log: {leaks:#?}");
}
