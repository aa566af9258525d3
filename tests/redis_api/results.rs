//! Results (scenario 6): a finished conversation is listed (bearer token) and exported as CSV.

use std::time::Instant;

use serde_json::json;

use crate::common::bots::text;
use crate::common::replies::{result_id, session_id};
use crate::server::{Server, TOKEN};
use crate::shared_redis::SharedRedis;
use crate::support::{
    answer, answers, assert_step, bot, client, ids, input, pairs, publish, result_of, results,
    start,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_of_a_finished_conversation_are_listed_with_the_bearer_token() {
    let Some(redis) = SharedRedis::get() else {
        return;
    };
    let t0 = Instant::now();
    let server = Server::bare("results", &redis.url, &[]);
    let c = client();
    let (flow, public) = ids("results");
    redis.forget_flow(&flow, &public);
    let greeter = bot(
        &flow,
        &public,
        json!([
            text("hello", "Hello"),
            input("name", "v-Name"),
            text("nice", "Nice to meet you {{Name}}"),
            {"id": "email", "type": "email input", "options": {"variableId": "v-Email"}},
            text("bye", "Bye {{Email}}")
        ]),
        &["Name", "Email"],
    );
    publish(&c, &server, &greeter).await;
    let started = start(&c, &server, &public).await;
    assert_step(&started, &["Hello"], Some("name"));
    let sid = session_id(&started.1);
    let rid = result_id(&started.1);
    redis.forget_session(&sid);
    assert_step(
        &answer(&c, &server, &sid, "Ann").await,
        &["Nice to meet you Ann"],
        Some("email"),
    );
    assert_step(
        &answer(&c, &server, &sid, "ann@example.com").await,
        &["Bye ann@example.com"],
        None,
    );

    let url = server.url(&format!("/api/v1/flows/{flow}/results"));
    let anonymous = c.get(&url).send().await.expect("GET");
    assert_eq!(anonymous.status().as_u16(), 401);

    let page = results(&c, &server, &flow).await;
    assert_eq!(page["results"].as_array().map(Vec::len), Some(1), "{page}");
    let r = result_of(&page, &rid);
    assert_eq!(
        (&r["flowId"], &r["isCompleted"]),
        (&json!(flow), &json!(true))
    );
    assert_eq!(
        answers(r),
        pairs(&[("Name", "Ann"), ("Email", "ann@example.com")])
    );
    assert_eq!(
        r["variables"],
        json!({"Name": "Ann", "Email": "ann@example.com"})
    );
    // The same from the Redis record: the CSV export lists the answers too.
    let csv = c
        .get(format!("{url}.csv"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("GET csv");
    assert_eq!(csv.status().as_u16(), 200);
    let csv = csv.text().await.expect("csv");
    assert!(
        csv.contains("Ann") && csv.contains("ann@example.com"),
        "{csv}"
    );
    eprintln!("results: done in {:?}", t0.elapsed());
}
