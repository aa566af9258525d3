//! Typebot links: another flow with inherited variables (merged back or not), the current flow,
//! an unknown flow.

use serde_json::{Value, json};
use tessera::engine::{StartParams, TurnStatus};

use crate::chat::Chat;
use crate::flows::{block, custom, flow_def, group, input, linear, text, with_values};

fn child_flow() -> Value {
    let mut def = flow_def(
        json!([group(
            "c-main",
            "Child",
            json!([
                text("c1", "Hi {{Name}}, in the child"),
                input("c-in", "text input", "Color", json!({})),
                custom("c-set", "Shared", "\"from child: \" + {{Color}}"),
            ])
        )]),
        json!([]),
        &["Name", "Color", "Shared"],
    );
    def["id"] = json!("child-flow");
    def["events"][0]["id"] = json!("child-start");
    def["edges"][0]["from"] = json!({"eventId": "child-start"});
    def
}

fn parent_flow(options: Value) -> Value {
    with_values(
        linear(
            json!([
                block("link", "Typebot link", options),
                text("p2", "Back: {{Shared}} / {{Color}}"),
            ]),
            &["Name", "Shared"],
        ),
        &[("Name", json!("Ada"))],
    )
}

#[tokio::test]
async fn typebot_link_runs_another_flow_with_inherited_variables_and_merges_back() {
    let def = parent_flow(json!({"typebotId": "child-flow", "mergeResults": true}));
    let mut c = Chat::start_with(def, StartParams::default(), &[child_flow()]).await;
    assert_eq!(
        c.texts(),
        vec!["Hi Ada, in the child"],
        "parent variables are inherited by name"
    );
    assert_eq!(c.state().frames.len(), 2);
    c.say("blue").await;
    assert_eq!(
        c.texts(),
        vec!["Back: from child: blue / "],
        "merged by name; child-only variables stay out"
    );
    assert_eq!(c.state().frames.len(), 1);
    assert_eq!(c.out.status, TurnStatus::Completed);
}

#[tokio::test]
async fn typebot_link_without_merge_keeps_the_parent_variables_untouched() {
    let def = parent_flow(json!({"typebotId": "child-flow", "mergeResults": false}));
    let mut c = Chat::start_with(def, StartParams::default(), &[child_flow()]).await;
    c.say("blue").await;
    assert_eq!(c.texts(), vec!["Back:  / "]);
}

#[tokio::test]
async fn typebot_link_to_the_current_flow_runs_a_group_and_returns() {
    let def = flow_def(
        json!([
            group(
                "g-main",
                "Main",
                json!([
                    block(
                        "link",
                        "Typebot link",
                        json!({"typebotId": "current", "groupId": "g-sub", "mergeResults": false})
                    ),
                    text("t2", "back with {{X}}"),
                ])
            ),
            group(
                "g-sub",
                "Sub",
                json!([custom("s1", "X", "40 + 2"), text("t1", "in sub")])
            ),
        ]),
        json!([]),
        &["X"],
    );
    let c = Chat::start(def).await;
    assert_eq!(
        c.texts(),
        vec!["in sub", "back with 42"],
        "same-flow links always merge"
    );
}

#[tokio::test]
async fn typebot_link_to_an_unknown_flow_logs_and_goes_on() {
    let def = linear(
        json!([
            block("link", "Typebot link", json!({"typebotId": "nope"})),
            text("t", "still here")
        ]),
        &[],
    );
    let c = Chat::start(def).await;
    assert_eq!(c.texts(), vec!["still here"]);
    assert!(
        c.logs()
            .iter()
            .any(|l| l.contains("Linked typebot not found")),
        "{:?}",
        c.logs()
    );
}
