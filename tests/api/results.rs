//! Results: answers, variables and completion recorded, pages newest first, the CSV export,
//! and answers of a linked bot kept on its own result.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::app::{TOKEN, spawn_app};
use crate::common::bots::{bot, input, text, three_questions, var};
use crate::common::http::into_json;
use crate::common::replies::{assert_error, session_id};
use crate::support::{cont, get, greeter, publish, results, start};

#[tokio::test]
async fn results_record_answers_variables_and_completion() {
    let app = spawn_app().await;
    publish(&app, &greeter("recorded")).await;
    let (_, s) = start(&app, "recorded", json!({})).await;
    let sid = session_id(&s);
    let r = results(&app, "recorded").await;
    assert_eq!(r["results"][0]["hasStarted"], false);
    cont(&app, &sid, json!({"message": "Ann"})).await;
    cont(&app, &sid, json!({"message": "ann@example.com"})).await;
    let r = results(&app, "recorded").await;
    let result = &r["results"][0];
    assert_eq!(result["id"], s["resultId"]);
    assert_eq!(result["flowId"], "recorded");
    assert_eq!(result["isCompleted"], true);
    assert_eq!(result["hasStarted"], true);
    let keys: Vec<&str> = result["answers"]
        .as_array()
        .expect("answers")
        .iter()
        .filter_map(|a| a["key"].as_str())
        .collect();
    assert_eq!(keys, ["Name", "Email"]);
    assert_eq!(
        result["variables"],
        json!({"Name": "Ann", "Email": "ann@example.com"})
    );
}

#[tokio::test]
async fn results_are_paginated_newest_first_with_a_cursor() {
    let app = spawn_app().await;
    publish(&app, &three_questions("paged")).await;
    let mut ids = Vec::new();
    for answer in ["one", "two", "three"] {
        let (_, s) = start(&app, "paged", json!({"message": answer})).await;
        ids.push(s["resultId"].as_str().expect("resultId").to_string());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let r = get(&app, "/api/v1/flows/paged/results?limit=2", Some(TOKEN)).await;
    let page1: Value = r.json().await.expect("json");
    let first: Vec<&str> = page1["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["variables"]["A"].as_str())
        .collect();
    assert_eq!(first, ["three", "two"], "newest first");
    let cursor = page1["nextCursor"].as_str().expect("nextCursor");
    let encoded: String = cursor
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let r = get(
        &app,
        &format!("/api/v1/flows/paged/results?limit=2&cursor={encoded}"),
        Some(TOKEN),
    )
    .await;
    let page2: Value = r.json().await.expect("json");
    assert_eq!(page2["results"].as_array().map(Vec::len), Some(1));
    assert_eq!(page2["results"][0]["variables"]["A"], "one");
    assert_eq!(page2["results"][0]["id"], json!(ids[0]));
    assert!(page2.get("nextCursor").is_none(), "last page");
}

#[tokio::test]
async fn results_csv_escapes_cells_that_would_start_a_formula() {
    let app = spawn_app().await;
    publish(&app, &three_questions("csv")).await;
    let (_, s) = start(&app, "csv", json!({"message": "=1+1"})).await;
    cont(&app, &session_id(&s), json!({"message": "@SUM(A1)"})).await;
    let r = get(&app, "/api/v1/flows/csv/results.csv", Some(TOKEN)).await;
    assert_eq!(r.status().as_u16(), 200);
    let ctype = r.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(ctype.starts_with("text/csv"), "{ctype}");
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(disposition.contains("csv-results.csv"), "{disposition}");
    let csv = r.text().await.expect("text");
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(lines[0], "Submitted at,Result ID,A,B");
    let row: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(row[1], s["resultId"].as_str().expect("resultId"));
    assert_eq!(&row[2..], ["'=1+1", "'@SUM(A1)"]);
}

#[tokio::test]
async fn results_with_a_non_numeric_limit_return_the_json_400() {
    let app = spawn_app().await;
    let got = into_json(get(&app, "/api/v1/flows/any/results?limit=abc", Some(TOKEN)).await).await;
    assert_error(&got, 400, "invalid_request");
}

/// Found by the API fuzzer (scripts/api-fuzz.sh): `limit` is any integer, clamped to 1..500
/// as the spec says (0, negative and huge ones were a 400 or a 200 outside the spec).
#[tokio::test]
async fn results_clamp_any_integer_limit_to_one_to_five_hundred() {
    let app = spawn_app().await;
    publish(&app, &three_questions("clamped")).await;
    for answer in ["one", "two"] {
        start(&app, "clamped", json!({"message": answer})).await;
    }
    for (limit, shown) in [("0", 1), ("-5", 1), ("175940573491767", 2), ("2", 2)] {
        let path = format!("/api/v1/flows/clamped/results?limit={limit}");
        let got = into_json(get(&app, &path, Some(TOKEN)).await).await;
        assert_eq!(got.0, 200, "limit={limit}: {}", got.1);
        assert_eq!(
            got.1["results"].as_array().map(Vec::len),
            Some(shown),
            "limit={limit}"
        );
    }
}

/// Found by the API fuzzer: an id that names no published bot is 404 `flow_not_found` on
/// both results routes (now in the spec), whatever its characters (an id with a quote or
/// non-ASCII characters must never reach the `Content-Disposition` header: it was a 500).
#[tokio::test]
async fn results_of_an_unknown_or_odd_id_are_404_flow_not_found_never_500() {
    let app = spawn_app().await;
    for id in ["nobody", "%22x%C3%AE%0D%0A", "a%22b", &"0".repeat(129)] {
        for route in ["results", "results.csv"] {
            let path = format!("/api/v1/flows/{id}/{route}");
            let got = into_json(get(&app, &path, Some(TOKEN)).await).await;
            assert_error(&got, 404, "flow_not_found");
        }
    }
}

#[tokio::test]
async fn answers_given_in_a_linked_bot_without_merging_go_to_its_own_result() {
    let app = spawn_app().await;
    let child = bot(
        "child-bot",
        json!([
            input("cin", "text input", "v-secret"),
            text("c-bye", "Child done")
        ]),
        json!([var("v-secret", "Secret")]),
    );
    let parent = bot(
        "parent-bot",
        json!([
            input("pin", "text input", "v-name"),
            {"id": "link", "type": "Typebot link", "options": {"typebotId": "child-bot", "mergeResults": false}},
            text("p-bye", "Parent done")
        ]),
        json!([var("v-name", "Name")]),
    );
    publish(&app, &child).await;
    publish(&app, &parent).await;
    let (_, body) = start(&app, "parent-bot", json!({})).await;
    let sid = session_id(&body);
    cont(&app, &sid, json!({"message": "Ada"})).await;
    let (status, body) = cont(&app, &sid, json!({"message": "hunter2"})).await;
    assert_eq!(status, 200, "{body}");
    let parent_results = results(&app, "parent-bot").await;
    let parent_answers = parent_results["results"][0]["answers"].to_string();
    assert!(
        parent_answers.contains("Ada") && !parent_answers.contains("hunter2"),
        "{parent_results}"
    );
    let child_results = results(&app, "child-bot").await;
    assert!(
        child_results["results"][0]["answers"]
            .to_string()
            .contains("hunter2"),
        "{child_results}"
    );
}

#[tokio::test]
async fn results_name_a_flow_by_id_or_public_id_and_an_unknown_flow_is_404() {
    let app = spawn_app().await;
    let mut b = greeter("named-by-id");
    b["publicId"] = json!("named-publicly");
    publish(&app, &b).await;
    let (status, s) = start(&app, "named-publicly", json!({})).await;
    assert_eq!(status, 200, "{s}");
    for key in ["named-publicly", "named-by-id"] {
        let got =
            into_json(get(&app, &format!("/api/v1/flows/{key}/results"), Some(TOKEN)).await).await;
        assert_eq!(got.0, 200, "{key}: {}", got.1);
        assert_eq!(got.1["results"][0]["id"], s["resultId"], "{key}");
        let shown = into_json(get(&app, &format!("/api/v1/flows/{key}"), Some(TOKEN)).await).await;
        assert_eq!(shown.0, 200, "{key}: {}", shown.1);
    }
    for path in [
        "/api/v1/flows/no-such-bot/results",
        "/api/v1/flows/no-such-bot/results.csv",
    ] {
        let got = into_json(get(&app, path, Some(TOKEN)).await).await;
        assert_error(&got, 404, "flow_not_found");
    }
}

#[tokio::test]
async fn the_memory_store_keeps_at_most_memory_max_results_the_newest() {
    let app = crate::common::app::spawn_app_with(|c| c.memory_max_results = 2).await;
    publish(&app, &greeter("capped")).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (_, s) = start(&app, "capped", json!({})).await;
        ids.push(s["resultId"].as_str().expect("resultId").to_string());
    }
    let r = results(&app, "capped").await;
    let mut kept: Vec<&str> = r["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    kept.sort_unstable();
    let mut newest = vec![ids[1].as_str(), ids[2].as_str()];
    newest.sort_unstable();
    assert_eq!(kept, newest, "the oldest result went first");
}
