//! Scale-out (scenario 1): two processes on one Redis share conversations and published bots.

use std::time::Instant;

use serde_json::json;

use crate::common::bots::text;
use crate::common::replies::{
    assert_error_code, input_id, result_id, said_by_paragraph, session_id,
};
use crate::server::Server;
use crate::shared_redis::SharedRedis;
use crate::support::{
    answer, answers, assert_step, authed, bot, client, ids, input, pairs, publish, result_of,
    results, start,
};

/// The bundled lead-capture bot (flows/lead-capture.json).
pub const LEAD_FLOW: &str = "juidohpu487reae74a8wbrr8";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_conversations_and_published_bots() {
    let Some(redis) = SharedRedis::get() else {
        return;
    };
    let t0 = Instant::now();
    let a = Server::with_bundled_bots("A", &redis.url, &[]);
    let b = Server::with_bundled_bots("B", &redis.url, &[]);
    let c = client();
    eprintln!("scale-out: two servers up in {:?}", t0.elapsed());

    // The bundled lead-capture bot, started on A and continued on B, A, B, A, B.
    let started = start(&c, &a, "lead-capture").await;
    assert_eq!(started.0, 200, "{}", started.1);
    let sid = session_id(&started.1);
    let rid = result_id(&started.1);
    redis.forget_session(&sid);
    redis.forget_result(LEAD_FLOW, &rid);
    assert_eq!(started.1["typebot"]["id"], LEAD_FLOW);
    assert_eq!(
        said_by_paragraph(&started.1).last().map(String::as_str),
        Some("What brings you here today?")
    );
    assert_eq!(input_id(&started.1), Some("x0i1c0q4afhx8i31yo1zljxd"));

    let step = answer(&c, &b, &sid, "Book a demo").await;
    assert_step(
        &step,
        &["Great choice! What's your first name?"],
        Some("p4qhk8jrdbc3ber8h12eij12"),
    );
    let step = answer(&c, &a, &sid, "Ada").await;
    assert_step(
        &step,
        &[
            "Nice to meet you, Ada! 🙌",
            "What's the best email to reach you at?",
        ],
        Some("avn9t97whytomxgw4i7txqjk"),
    );
    let step = answer(&c, &b, &sid, "ada@example.com").await;
    assert_step(
        &step,
        &["How many people work at your company?"],
        Some("jee2swdfxthmo6uouarto0xb"),
    );
    let step = answer(&c, &a, &sid, "2 to 50").await;
    assert_step(
        &step,
        &[
            "Perfect, Ada. A product specialist will email you at ada@example.com within one business day.",
            "Meanwhile, pick a slot that suits you — I'm opening our calendar for you.",
        ],
        None,
    );
    assert_eq!(step.1["clientSideActions"][0]["type"], "redirect");
    assert_eq!(
        step.1["clientSideActions"][0]["redirect"]["url"],
        "https://example.com/demo?email=ada@example.com"
    );
    assert_error_code(
        &answer(&c, &b, &sid, "again").await,
        404,
        "session_finished",
    );
    assert_error_code(
        &answer(&c, &a, &sid, "again").await,
        404,
        "session_finished",
    );

    // Every turn was recorded once, whichever instance ran it.
    for s in [&a, &b] {
        let page = results(&c, s, LEAD_FLOW).await;
        let r = result_of(&page, &rid);
        assert_eq!(r["isCompleted"], true, "{r}");
        assert_eq!(
            answers(r),
            pairs(&[
                ("Interest", "Book a demo"),
                ("Name", "Ada"),
                ("Email", "ada@example.com"),
                ("Team size", "2 to 50"),
            ])
        );
    }

    // A bot published on A is served by B; republished on A, B serves the new revision while
    // sessions keep theirs; unpublished on A, B no longer starts it.
    let (flow, public) = ids("scale");
    redis.forget_flow(&flow, &public);
    let version = |n: u32| {
        bot(
            &flow,
            &public,
            json!([
                text("hello", &format!("Version {n}")),
                input("q1", "v-A"),
                text("bye", &format!("v{n} thanks {{{{A}}}}"))
            ]),
            &["A"],
        )
    };
    let v1 = publish(&c, &a, &version(1)).await;
    let on_b = start(&c, &b, &public).await;
    assert_step(&on_b, &["Version 1"], Some("q1"));
    let old = session_id(&on_b.1);
    redis.forget_session(&old);

    let v2 = publish(&c, &a, &version(2)).await;
    assert_ne!(v1["revision"], v2["revision"]);
    let (status, listed) = authed(
        &c,
        reqwest::Method::GET,
        b.url(&format!("/api/v1/flows/{flow}")),
        None,
    )
    .await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(
        (&listed["publicId"], &listed["revision"]),
        (&json!(public), &v2["revision"])
    );
    let on_b = start(&c, &b, &public).await;
    assert_step(&on_b, &["Version 2"], Some("q1"));
    let new = session_id(&on_b.1);
    redis.forget_session(&new);
    assert_step(&answer(&c, &a, &old, "x").await, &["v1 thanks x"], None);
    assert_step(&answer(&c, &a, &new, "y").await, &["v2 thanks y"], None);

    let (status, body) = authed(
        &c,
        reqwest::Method::DELETE,
        a.url(&format!("/api/v1/flows/{flow}")),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_error_code(&start(&c, &b, &public).await, 404, "flow_not_found");
    assert_error_code(&start(&c, &a, &public).await, 404, "flow_not_found");
    eprintln!("scale-out: done in {:?}", t0.elapsed());
}
