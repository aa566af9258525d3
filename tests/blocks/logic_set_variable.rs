//! Set variable: custom code, literals, lists (append, pop, shift, map), environment values,
//! dates, transcript, client-side evaluation.

use serde_json::{Value, json};
use tessera::engine::TurnStatus;
use tessera::flow::VarValue;

use crate::chat::Chat;
use crate::flows::{custom, input, linear, set_var, text, vid, with_values};

/// Runs `blocks` then shows `{{Out}}`-style bubbles; returns the chat.
async fn run(blocks: Value, vars: &[&str], values: &[(&str, Value)]) -> Chat {
    Chat::start(with_values(linear(blocks, vars), values)).await
}

fn parse_time(s: &str) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

#[tokio::test]
async fn set_variable_custom_evaluates_code_with_typed_variables() {
    let c = run(
        json!([custom("s1", "Score", "{{Score}} + 5")]),
        &["Score"],
        &[("Score", json!("10"))],
    )
    .await;
    assert_eq!(c.var_str("Score").as_deref(), Some("15"));
    let c = run(
        json!([custom(
            "s1",
            "Out",
            "{{Name}}.length > 2 ? 'long' : 'short'"
        )]),
        &["Out", "Name"],
        &[("Name", json!("Ada"))],
    )
    .await;
    assert_eq!(c.var_str("Out").as_deref(), Some("long"));
    let c = run(
        json!([custom(
            "s1",
            "Out",
            "const x = [1, 2, 3]; return x.map(n => n * 2)"
        )]),
        &["Out"],
        &[],
    )
    .await;
    assert_eq!(
        c.var("Out"),
        Some(VarValue::List(vec![
            Some("2".into()),
            Some("4".into()),
            Some("6".into())
        ]))
    );
}

#[tokio::test]
async fn set_variable_custom_falls_back_to_text_when_the_code_fails() {
    let c = run(
        json!([custom("s1", "Segment", "Promoter")]),
        &["Segment"],
        &[],
    )
    .await;
    assert_eq!(c.var_str("Segment").as_deref(), Some("Promoter"));
    let c = run(
        json!([custom("s1", "Url", "https://example.com/{{Id}}")]),
        &["Url", "Id"],
        &[("Id", json!("42"))],
    )
    .await;
    assert_eq!(c.var_str("Url").as_deref(), Some("https://example.com/42"));
    assert!(c.logs().is_empty(), "not code: no log {:?}", c.logs());
}

#[tokio::test]
async fn set_variable_custom_code_errors_are_logged_and_saved_when_marked_as_code() {
    let b = set_var(
        "s1",
        "Out",
        "Custom",
        json!({"expressionToEvaluate": "missingFunction()",
        "isCode": true, "saveErrorInVariableId": vid("Err")}),
    );
    let c = run(json!([b]), &["Out", "Err"], &[]).await;
    assert!(
        c.logs()
            .iter()
            .any(|l| l.starts_with("Error while evaluating")),
        "{:?}",
        c.logs()
    );
    assert!(
        c.var_str("Err")
            .is_some_and(|e| e.contains("missingFunction")),
        "{:?}",
        c.var("Err")
    );
    // The value falls back to the substituted expression text.
    assert_eq!(c.var_str("Out").as_deref(), Some("missingFunction()"));
}

#[tokio::test]
async fn set_variable_keeps_a_single_variable_and_leading_zero_literals_as_text() {
    let c = run(
        json!([
            custom("s1", "Copy", "{{List}}"),
            custom("s2", "Code", "007"),
            custom("s3", "Zero", "0")
        ]),
        &["Copy", "List", "Code", "Zero"],
        &[("List", json!(["a", "b"]))],
    )
    .await;
    assert_eq!(c.var_str("Copy").as_deref(), Some(r#"["a","b"]"#));
    assert_eq!(c.var_str("Code").as_deref(), Some("007"));
    assert_eq!(c.var_str("Zero").as_deref(), Some("0"));
}

#[tokio::test]
async fn set_variable_empty_clears_a_variable() {
    let c = run(
        json!([set_var("s1", "X", "Empty", json!({}))]),
        &["X"],
        &[("X", json!("something"))],
    )
    .await;
    assert_eq!(c.var("X"), None);
}

#[tokio::test]
async fn set_variable_append_builds_lists() {
    let append = |id: &str, var: &str, item: &str| {
        set_var(id, var, "Append value(s)", json!({"item": item}))
    };
    let c = run(
        json!([
            append("s1", "New", "a"),
            append("s2", "New", "{{Name}}"),
            append("s3", "Old", "b")
        ]),
        &["New", "Old", "Name"],
        &[("Name", json!("Ada")), ("Old", json!("a"))],
    )
    .await;
    assert_eq!(
        c.var("New"),
        Some(VarValue::List(vec![Some("a".into()), Some("Ada".into())]))
    );
    assert_eq!(
        c.var("Old"),
        Some(VarValue::List(vec![Some("a".into()), Some("b".into())]))
    );
}

#[tokio::test]
async fn set_variable_pop_and_shift_remove_items_and_save_them() {
    let c = run(
        json!([
            set_var(
                "s1",
                "L",
                "Pop",
                json!({"saveItemInVariableId": vid("Last")})
            ),
            set_var(
                "s2",
                "L",
                "Shift",
                json!({"saveItemInVariableId": vid("First")})
            ),
            set_var(
                "s3",
                "Unset",
                "Pop",
                json!({"saveItemInVariableId": vid("Nothing")})
            ),
        ]),
        &["L", "Last", "First", "Unset", "Nothing"],
        &[("L", json!(["a", "b", "c", "d"]))],
    )
    .await;
    assert_eq!(c.var_str("Last").as_deref(), Some("d"));
    assert_eq!(c.var_str("First").as_deref(), Some("a"));
    assert_eq!(
        c.var("L"),
        Some(VarValue::List(vec![Some("b".into()), Some("c".into())]))
    );
    assert_eq!(
        c.var("Unset"),
        None,
        "popping an unset variable does nothing"
    );
    assert_eq!(c.var("Nothing"), None);
}

#[tokio::test]
async fn set_variable_map_item_with_same_index_picks_the_parallel_item() {
    let b = set_var(
        "s1",
        "Price",
        "Map item with same index",
        json!({"mapListItemParams": {
        "baseItemVariableId": vid("Pick"), "baseListVariableId": vid("Names"), "targetListVariableId": vid("Prices")}}),
    );
    let values = |pick: &str| {
        vec![
            ("Pick", json!(pick)),
            ("Names", json!(["Tea", "Coffee"])),
            ("Prices", json!(["2", "3"])),
        ]
    };
    let c = run(
        json!([b.clone()]),
        &["Price", "Pick", "Names", "Prices"],
        &values("Coffee"),
    )
    .await;
    assert_eq!(c.var_str("Price").as_deref(), Some("3"));
    let c = run(
        json!([b]),
        &["Price", "Pick", "Names", "Prices"],
        &values("Juice"),
    )
    .await;
    assert_eq!(
        c.var("Price"),
        None,
        "an item not in the list maps to nothing"
    );
}

#[tokio::test]
async fn set_variable_environment_name_user_id_and_result_id() {
    let c = run(
        json!([
            set_var("s1", "Env", "Environment name", json!({})),
            set_var("s2", "User", "User ID", json!({})),
            set_var("s3", "Result", "Result ID", json!({})),
        ]),
        &["Env", "User", "Result"],
        &[],
    )
    .await;
    assert_eq!(c.var_str("Env").as_deref(), Some("web"));
    assert_eq!(c.var_str("User").as_deref(), Some("result-1"));
    assert_eq!(c.var_str("Result").as_deref(), Some("result-1"));
}

#[tokio::test]
async fn set_variable_random_id_gives_a_fresh_id_each_time() {
    let b = json!([
        set_var("s1", "A", "Random ID", json!({})),
        set_var("s2", "B", "Random ID", json!({}))
    ]);
    let c = run(b, &["A", "B"], &[]).await;
    let (a, b) = (
        c.var_str("A").unwrap_or_default(),
        c.var_str("B").unwrap_or_default(),
    );
    assert!(tessera::ids::is_plausible_id(&a), "{a:?}");
    assert!(a.len() >= 20 && a != b, "{a} / {b}");
}

#[tokio::test]
async fn set_variable_dates_are_now_yesterday_and_tomorrow() {
    let c = run(
        json!([
            set_var("s1", "Now", "Now", json!({})),
            set_var("s2", "Today", "Today", json!({})),
            set_var("s3", "Yesterday", "Yesterday", json!({})),
            set_var("s4", "Tomorrow", "Tomorrow", json!({})),
            set_var("s5", "Paris", "Now", json!({"timeZone": "Europe/Paris"})),
        ]),
        &["Now", "Today", "Yesterday", "Tomorrow", "Paris"],
        &[],
    )
    .await;
    let now = c.var_str("Now").unwrap_or_default();
    assert!(now.ends_with('Z'), "UTC ISO-8601: {now}");
    let now_t = parse_time(&now);
    let wall = chrono::Utc::now();
    assert!((wall.timestamp() - now_t.timestamp()).abs() < 60, "{now}");
    let today = parse_time(&c.var_str("Today").unwrap_or_default());
    assert!((today.timestamp() - now_t.timestamp()).abs() <= 1);
    let yesterday = parse_time(&c.var_str("Yesterday").unwrap_or_default());
    let tomorrow = parse_time(&c.var_str("Tomorrow").unwrap_or_default());
    assert_eq!(now_t.timestamp() - yesterday.timestamp(), 86_400);
    assert_eq!(tomorrow.timestamp() - now_t.timestamp(), 86_400);
    let paris = c.var_str("Paris").unwrap_or_default();
    assert!(
        paris.ends_with("+01:00") || paris.ends_with("+02:00"),
        "{paris}"
    );
    assert!((parse_time(&paris).timestamp() - now_t.timestamp()).abs() <= 1);
}

#[tokio::test]
async fn set_variable_transcript_replays_the_conversation() {
    let def = linear(
        json!([
            text("t1", "Hi! Your name?"),
            input("in", "text input", "Name", json!({})),
            set_var("s1", "T", "Transcript", json!({})),
            text("t2", "ok"),
        ]),
        &["Name", "T"],
    );
    let mut c = Chat::start(def).await;
    c.say("Ada").await;
    assert_eq!(
        c.var_str("T").as_deref(),
        Some("Assistant: \"Hi! Your name?\"\n\nUser: \"Ada\"")
    );
}

#[tokio::test]
async fn set_variable_moment_of_the_day_is_asked_to_the_client() {
    let def = linear(
        json!([
            set_var("s1", "Moment", "Moment of the day", json!({})),
            text("t", "Good {{Moment}}")
        ]),
        &["Moment"],
    );
    let mut c = Chat::start(def).await;
    assert_eq!(c.out.status, TurnStatus::WaitingAction);
    let action = c.action("setVariable").cloned().unwrap_or_default();
    assert_eq!(action["expectsDedicatedReply"], true);
    assert!(
        action["setVariable"]["scriptToExecute"]["content"]
            .as_str()
            .is_some_and(|s| s.contains("getHours"))
    );
    c.say("evening").await;
    assert_eq!(c.texts(), vec!["Good evening".to_string()]);
}

#[tokio::test]
async fn set_variable_executed_on_client_stores_the_parsed_reply() {
    let b = set_var(
        "s1",
        "Href",
        "Custom",
        json!({"expressionToEvaluate": "window.location.href + {{Id}}", "isExecutedOnClient": true}),
    );
    let mut c = run(
        json!([b, text("t", "{{Href}}")]),
        &["Href", "Id"],
        &[("Id", json!("7"))],
    )
    .await;
    let script = c
        .action("setVariable")
        .map(|a| a["setVariable"]["scriptToExecute"].clone())
        .unwrap_or_default();
    assert_eq!(
        script["content"], "window.location.href + vId",
        "variables are passed by id"
    );
    assert_eq!(script["args"], json!([{"id": "vId", "value": 7}]));
    c.say("[\"a\",\"b\"]").await;
    assert_eq!(
        c.var("Href"),
        Some(VarValue::List(vec![Some("a".into()), Some("b".into())]))
    );
}
