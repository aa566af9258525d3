//! The Typebot corpus and the project's own bots, run through the engine directly (no HTTP).
//!
//! - every corpus bot (templates, fixtures, linked fixtures) parses and compiles;
//! - each of the 22 templates is walked from its start along one scripted path (replies taken
//!   from Typebot's recorded answers), asserting per turn the first text bubble, the input shown
//!   (type and block id), the logs and client actions expected, and how the walk ends; templates
//!   whose entry group only says "add your credentials" are also walked from their real first
//!   group, to show the skipped AI / email / payment integrations;
//! - the serialized session state stays under 2048 bytes on every walk;
//! - every bot of `flows/` is walked along at least one path.
//!
//! The expected data below is written out per template on purpose: the turn-by-turn comparison
//! with Typebot's own answers lives in the golden replay test.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use common::engine::{EMAIL_RETRY, GENERIC_RETRY as RETRY, texts};
use serde_json::Value;
use tessera::engine::{
    Engine, EngineConfig, EngineError, MemoryFlows, Message, SessionState, StartFrom, StartParams,
    TextFormat, TurnOutput, TurnStatus,
};
use tessera::flow::{self, CompiledFlow};

const STATE_LIMIT: usize = 2048;
const CHOICE: &str = "choice input";
const OPENAI_SKIPPED: &str = "Could not find credentials for block openai";
const SMTP_SKIPPED: &str =
    "No credentials found, make sure to configure your SMTP provider properly";

/// One turn of a scripted walk.
#[derive(Debug, Clone)]
struct Step {
    /// The reply sent. The first step of a walk is the start turn and sends nothing; a later
    /// step with `None` resumes without a message (skipping an optional file input).
    send: Option<&'static str>,
    /// First line of the first text bubble of the turn ("" when the turn shows no text).
    first: &'static str,
    /// The input the turn ends on (type, block id); None when it shows none.
    input: Option<(&'static str, &'static str)>,
    /// Log descriptions (prefixes) the turn must contain, in order.
    logs: &'static [&'static str],
    /// Client-side action types the turn must contain, in order.
    actions: &'static [&'static str],
    /// Texts that must appear in some text bubble of the turn.
    says: &'static [&'static str],
    /// The exact sequence of message types of the turn, when given.
    bubbles: Option<&'static [&'static str]>,
    /// The turn must fail with this engine error instead.
    error: Option<EngineError>,
}

fn step(
    send: Option<&'static str>,
    first: &'static str,
    input: Option<(&'static str, &'static str)>,
) -> Step {
    Step {
        send,
        first,
        input,
        logs: &[],
        actions: &[],
        says: &[],
        bubbles: None,
        error: None,
    }
}

impl Step {
    fn logs(mut self, logs: &'static [&'static str]) -> Self {
        self.logs = logs;
        self
    }
    fn actions(mut self, actions: &'static [&'static str]) -> Self {
        self.actions = actions;
        self
    }
    fn says(mut self, says: &'static [&'static str]) -> Self {
        self.says = says;
        self
    }
    fn bubbles(mut self, kinds: &'static [&'static str]) -> Self {
        self.bubbles = Some(kinds);
        self
    }
    fn fails(mut self, e: EngineError) -> Self {
        self.error = Some(e);
        self
    }
}

/// A scripted path through one bot.
struct Walk {
    bot: &'static str,
    /// Start from the group with this title instead of the start event.
    from_group: Option<&'static str>,
    steps: Vec<Step>,
}

fn walk(bot: &'static str, steps: Vec<Step>) -> Walk {
    Walk {
        bot,
        from_group: None,
        steps,
    }
}

fn walk_from(bot: &'static str, group: &'static str, steps: Vec<Step>) -> Walk {
    Walk {
        bot,
        from_group: Some(group),
        steps,
    }
}

/// First line of the first text bubble.
fn first_text(out: &TurnOutput) -> String {
    texts(out)
        .first()
        .and_then(|t| t.lines().next())
        .unwrap_or_default()
        .to_string()
}

/// `expected` ending with "…" only fixes the beginning (the rest is random, e.g. an id).
fn same_text(actual: &str, expected: &str) -> bool {
    match expected.strip_suffix('…') {
        Some(prefix) => actual.starts_with(prefix),
        None => actual == expected,
    }
}

/// "/command NAME" sends a command; anything else is a text reply.
fn message(send: &str) -> Message {
    match send.strip_prefix("/command ") {
        Some(command) => Message::Command {
            command: command.to_string(),
        },
        None => Message::text(send),
    }
}

fn check_turn(label: &str, step: &Step, out: &TurnOutput) {
    let first = first_text(out);
    assert!(
        same_text(&first, step.first),
        "{label}: first bubble is {first:?}, expected {:?}",
        step.first
    );
    // An expected id of "*" accepts any block id (the project's bots are checked by type).
    let input = out.input.as_ref().map(|i| {
        let id = i["id"].as_str().unwrap_or_default();
        (
            i["type"].as_str().unwrap_or_default().to_string(),
            match step.input {
                Some((_, "*")) => "*".to_string(),
                _ => id.to_string(),
            },
        )
    });
    let expected = step.input.map(|(t, id)| (t.to_string(), id.to_string()));
    assert_eq!(input, expected, "{label}: input");
    let all = texts(out);
    for want in step.says {
        assert!(
            all.iter().any(|t| t.contains(want)),
            "{label}: no bubble says {want:?} in {all:?}"
        );
    }
    if let Some(kinds) = step.bubbles {
        let got: Vec<&str> = out
            .messages
            .iter()
            .filter_map(|m| m["type"].as_str())
            .collect();
        assert_eq!(got, kinds, "{label}: message types");
    }
    let mut logs = out.logs.iter();
    for want in step.logs {
        assert!(
            logs.any(|l| l.description.starts_with(want)),
            "{label}: log {want:?} missing from {:?}",
            out.logs
        );
    }
    let kinds: Vec<&str> = out
        .actions
        .iter()
        .filter_map(|a| a["type"].as_str())
        .collect();
    let mut it = kinds.iter();
    for want in step.actions {
        assert!(
            it.any(|k| k == want),
            "{label}: action {want} missing from {kinds:?}"
        );
    }
    if step.input.is_some() {
        assert_eq!(out.status, TurnStatus::WaitingInput, "{label}: status");
    }
}

fn group_id(flow: &CompiledFlow, title: &str) -> String {
    let ix = flow
        .group_by_title(title)
        .unwrap_or_else(|| panic!("{}: no group titled {title:?}", flow.id));
    flow.group(ix).id.clone()
}

/// Runs a walk and returns the largest serialized state seen.
async fn run(engine: &Engine, flow: Arc<CompiledFlow>, w: &Walk) -> usize {
    let name = match w.from_group {
        Some(g) => format!("{} (from {g})", w.bot),
        None => w.bot.to_string(),
    };
    let params = StartParams {
        start_from: w.from_group.map(|g| StartFrom::Group(group_id(&flow, g))),
        ..StartParams::default()
    };
    let mut max_state = 0;
    let mut state: Option<SessionState> = None;
    for (n, step) in w.steps.iter().enumerate() {
        let label = format!("{name}, step {n} ({:?})", step.send);
        let result = match state.take() {
            None => {
                assert_eq!(n, 0, "{label}: the walk ended early");
                engine
                    .start(flow.clone(), params.clone(), "corpus-result".into())
                    .await
            }
            Some(s) => {
                engine
                    .resume(s, step.send.map(message), TextFormat::RichText)
                    .await
            }
        };
        if let Some(e) = &step.error {
            assert_eq!(result.as_ref().err(), Some(e), "{label}: expected error");
            assert_eq!(n + 1, w.steps.len(), "{label}: an error ends the walk");
            return max_state;
        }
        let (s, out) = result.unwrap_or_else(|e| panic!("{label}: {e}"));
        check_turn(&label, step, &out);
        max_state = max_state.max(s.encoded_len());
        if n + 1 == w.steps.len() {
            match step.input {
                None => assert_eq!(out.status, TurnStatus::Completed, "{label}: the walk ends"),
                Some(_) => assert!(!s.done, "{label}: the session goes on"),
            }
        }
        state = Some(s);
    }
    max_state
}

fn flow_of(by_stem: &HashMap<String, Arc<CompiledFlow>>, stem: &str) -> Arc<CompiledFlow> {
    by_stem
        .get(stem)
        .unwrap_or_else(|| panic!("no bot {stem}"))
        .clone()
}

/// Sessions stay small: under [`STATE_LIMIT`] bytes. Flows that build a Transcript keep the
/// conversation in the state, which grows with it (a known engine issue, see the ignored
/// `session_state_stays_under_2048_bytes_even_with_a_transcript`); they get a looser bound.
fn assert_state_size(_flow: &CompiledFlow, name: &str, max: usize) {
    let limit = STATE_LIMIT;
    assert!(
        max < limit,
        "{name}: the session state grew to {max} bytes (limit {limit})"
    );
}

fn engine_with(flows: Arc<MemoryFlows>) -> Engine {
    Engine::new(flows, None, EngineConfig::default())
}

/// Every corpus bot compiled and published on an engine, and each by its public id.
fn corpus_engine(dir: &Path) -> (Engine, HashMap<String, Arc<CompiledFlow>>) {
    let flows = Arc::new(MemoryFlows::new());
    let mut by_stem = HashMap::new();
    for (stem, json) in common::corpus::corpus_bots(dir) {
        let f = flow::load_str(&json.to_string(), "").expect("compiles");
        flows.publish(f.clone());
        by_stem.insert(stem, f);
    }
    (engine_with(flows), by_stem)
}

#[test]
fn every_corpus_bot_parses_and_compiles() {
    let Some(dir) = common::corpus::corpus_dir() else {
        return;
    };
    let bots = common::corpus::corpus_bots(&dir);
    let templates = std::fs::read_dir(dir.join("templates"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(templates, 22, "the corpus has the 22 Typebot templates");
    assert!(bots.len() > 22, "fixtures are read too");
    for (public_id, json) in &bots {
        let text = json.to_string();
        let compiled = flow::load_str(&text, "")
            .unwrap_or_else(|e| panic!("{public_id} does not compile: {e}"));
        assert!(!compiled.groups.is_empty(), "{public_id} has groups");
    }
}

#[tokio::test]
async fn every_template_walks_along_a_scripted_path() {
    let Some(dir) = common::corpus::corpus_dir() else {
        return;
    };
    let (engine, by_stem) = corpus_engine(&dir);
    let walks = template_walks();
    let mut walked = std::collections::BTreeSet::new();
    for w in &walks {
        let flow = flow_of(&by_stem, w.bot);
        let max = run(&engine, flow.clone(), w).await;
        eprintln!(
            "{}{}: {} turns, largest session state {max} bytes",
            w.bot,
            w.from_group
                .map(|g| format!(" (from {g})"))
                .unwrap_or_default(),
            w.steps.len()
        );
        assert_state_size(&flow, w.bot, max);
        walked.insert(w.bot);
    }
    let templates: Vec<String> = std::fs::read_dir(dir.join("templates"))
        .expect("templates dir")
        .flatten()
        .filter_map(|e| {
            e.path()
                .file_stem()
                .and_then(|s| s.to_str())
                .map(str::to_string)
        })
        .collect();
    for t in &templates {
        assert!(walked.contains(t.as_str()), "template {t} is not walked");
    }
}

/// One scripted path per template (replies from Typebot's recorded transcripts), plus the
/// extra paths that reach the integrations this server cannot run.
#[rustfmt::skip]
fn template_walks() -> Vec<Walk> {
    vec![
        walk("audio-chat-gpt", vec![
            step(None, "You need to add your OpenAI credentials to make this bot work. 🪄", None),
        ]),
        walk("basic-chat-gpt", vec![
            step(None, "You need to add your OpenAI credentials to make this bot work. 🪄", None),
        ]),
        walk("chat-gpt-personas", vec![
            step(None, "You need to add your OpenAI credentials to make this bot work. 🪄", None),
        ]),
        walk("customer-support", vec![
            step(None, "Hey friend 👋", Some(("choice input", "s6kp2Z4igeY3kL7B64qBdUg"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "s6kp2Z4igeY3kL7B64qBdUg"))),
            step(Some("I have a feature request ✨"), "Awesome!", Some(("choice input", "cl16lb3b300092e6dh4h01vxw"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cl16lb3b300092e6dh4h01vxw"))),
            step(Some("Restart"), "Hey friend 👋", Some(("choice input", "s6kp2Z4igeY3kL7B64qBdUg"))),
            step(Some("There is a bug 🐛"), "Shoot! 🤪", Some(("text input", "s3LYyyYtjdQ88jkMMV5DSW7"))),
            step(Some("John"), "On which email can I contact you?", Some(("email input", "s5Fh7zHUw3j4zDM5xjzwsXB"))),
            step(Some("not an email"), "This email doesn't seem to be valid. Can you type it again?", Some(("email input", "s5Fh7zHUw3j4zDM5xjzwsXB"))),
            step(Some("john@example.com"), "Thank you so much for your submission 💙", Some(("choice input", "s4JATFkBxzmcqqEKQB2xFfa"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "s4JATFkBxzmcqqEKQB2xFfa"))),
            step(Some("Restart"), "Hey friend 👋", Some(("choice input", "s6kp2Z4igeY3kL7B64qBdUg"))),
            step(Some("I have a question 💭"), "First, don't forget to check out the Documentation 🙏", Some(("text input", "sjd4qACugMarB7gJC8nMhb3"))),
        ]),
        walk("digital-product-payment", vec![
            step(None, "Hi there 👋", Some(("text input", "cl3u45f0n000a2e6gci2xgmph"))),
            step(Some("John"), "Cool, nice to meet you John", Some(("choice input", "cl3u4id67000l2e6gahw4v1ny"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cl3u4id67000l2e6gahw4v1ny"))),
            step(Some("Hell yes!"), "That's awesome!", Some(("email input", "cl3u4l2et000z2e6gjlmh45jp"))),
            step(Some("not an email"), "This email doesn't seem to be valid. Can you type it again?", Some(("email input", "cl3u4l2et000z2e6gjlmh45jp"))),
            step(Some("john@example.com"), "You need to add your Stripe credentials in the next Payment block.", None),
        ]),
        walk("dog-insurance-offer", vec![
            step(None, "Hey 👋", Some(("choice input", "dtvbio4qytr3iojc7tq2quvy"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "dtvbio4qytr3iojc7tq2quvy"))),
            step(Some("Let's go!"), "What breed is your dog?", Some(("choice input", "f2902yy6o00fwe5h4xihrntj"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "f2902yy6o00fwe5h4xihrntj"))),
            step(Some("Crossbreed"), "Is it a male or a female?", Some(("choice input", "zuza6om08ubafgqhbadwv60i"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "zuza6om08ubafgqhbadwv60i"))),
            step(Some("♂️ Male"), "What's his name?", Some(("text input", "kxzi32ioxwqpdy9yy0ktoavu"))),
            step(Some("John"), "How cute 😊", Some(("picture choice input", "y2fcko12ha5n9zjxickaakxt"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("picture choice input", "y2fcko12ha5n9zjxickaakxt"))),
            step(Some("Less than 1 year"), "Is he spayed or neutered", Some(("choice input", "w8l8qekmkjwdct0f73f64yke"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "w8l8qekmkjwdct0f73f64yke"))),
            step(Some("❌ No"), "Thank you for all this information.", Some(("email input", "ouu081yxvf9raf522k08vr6g"))),
            step(Some("not an email"), "This email doesn't seem to be valid. Can you type it again?", Some(("email input", "ouu081yxvf9raf522k08vr6g"))),
            step(Some("john@example.com"), "Perfect 👌", None),
        ]),
        walk("faq", vec![
            step(None, "Hey there 👋", Some(("choice input", "cl96nv877000b3b6i7p69ss2o"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cl96nv877000b3b6i7p69ss2o"))),
            step(Some("What's Analyzr?"), "Analyzr is a simple and privacy-friendly analytics tool for your website", Some(("choice input", "cl96o55z3000x3b6ikq14g2tu"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cl96o55z3000x3b6ikq14g2tu"))),
            step(Some("Sounds good!"), "", Some(("choice input", "cl96nv877000b3b6i7p69ss2o"))),
            step(Some("Can I use your tool for free?"), "You can!", Some(("choice input", "cl96o6a2700153b6il1wj2aev"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cl96o6a2700153b6il1wj2aev"))),
            step(Some("Awesome!"), "", Some(("choice input", "cl96nv877000b3b6i7p69ss2o"))),
            step(Some("Tell me about the company"), "The company was founded in 2020 by Josh Corn", Some(("choice input", "cl96oftnv001r3b6ixen8g0bv"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cl96oftnv001r3b6ixen8g0bv"))),
            step(Some("Cool!"), "", Some(("choice input", "cl96nv877000b3b6i7p69ss2o"))),
            step(Some("I have another question"), "Sure, no problem!", Some(("text input", "cl96ogmjx001y3b6iwfosloet"))),
            step(Some("John"), "Alright, we'll reach out to you very soon. Thank you so much 💙", None),
        ]),
        walk("high-ticket-lead-follow-up", vec![
            step(None, "You need to add your Mistral AI credentials to make this bot work. 🪄", None),
        ]),
        walk("lead-gen-ai", vec![
            step(None, "Hey 👋", Some(("choice input", "sbjZWLJGVkHAkDqS4JQeGow"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "sbjZWLJGVkHAkDqS4JQeGow"))),
            step(Some("Yes!"), "What company do you work for?", Some(("text input", "sqEsMo747LTDnY9FjQcEwUv"))),
            step(Some("John"), "What's the best email we can reach you at?", Some(("email input", "snbsad18Bgry8yZ8DZCfdFD"))),
            step(Some("not an email"), "This email doesn't seem to be valid. Can you type it again?", Some(("email input", "snbsad18Bgry8yZ8DZCfdFD"))),
            step(Some("john@example.com"), "What services are you interested in?", Some(("choice input", "s5VQGsVF4hQgziQsXVdwPDW"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "s5VQGsVF4hQgziQsXVdwPDW"))),
            step(Some("Website dev, Content Marketing"), "You need to add your OpenAI credentials to make this bot work. 🪄", None),
        ]),
        walk("lead-gen", vec![
            step(None, "Welcome to AA (Awesome Agency)", Some(("choice input", "sbjZWLJGVkHAkDqS4JQeGow"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "sbjZWLJGVkHAkDqS4JQeGow"))),
            step(Some("Hi!"), "What's your name?", Some(("text input", "sqEsMo747LTDnY9FjQcEwUv"))),
            step(Some("John"), "Great! Nice to meet you John", Some(("email input", "snbsad18Bgry8yZ8DZCfdFD"))),
            step(Some("not an email"), "This email doesn't seem to be valid. Can you type it again?", Some(("email input", "snbsad18Bgry8yZ8DZCfdFD"))),
            step(Some("john@example.com"), "What services are you interested in?", Some(("choice input", "s5VQGsVF4hQgziQsXVdwPDW"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "s5VQGsVF4hQgziQsXVdwPDW"))),
            step(Some("Website dev"), "Can you tell me a bit more about your needs?", Some(("text input", "sqFy2G3C1mh9p6s3QBdSS5x"))),
            step(Some("John"), "Perfect!", None),
        ]),
        walk("lead-magnet", vec![
            step(None, "Hi there! 👋", Some(("text input", "uocaxxtg26btl2zytwy09jh9"))),
            step(Some("John"), "Ok, John. What email would you like to sign up with?", Some(("email input", "nu9ibw4r4q9piwl3b308bezp"))),
            step(Some("not an email"), "This email doesn't seem to be valid. Can you type it again?", Some(("email input", "nu9ibw4r4q9piwl3b308bezp"))),
            step(Some("john@example.com"), "What's your goal with the community?", Some(("choice input", "wq7yofni4bqr9rt5qrzk6928"))).logs(&["No credentials found, make sure to configure your SMTP provider properly"]),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "wq7yofni4bqr9rt5qrzk6928"))),
            step(Some("Win loyal fans"), "Perfect, your bundle will be emailed to you right away 🚀", None),
        ]),
        walk("lead-scoring", vec![
            step(None, "Hi! 👋", Some(("choice input", "cl1ses31000222e6ebrb4wxo0"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cl1ses31000222e6ebrb4wxo0"))),
            step(Some("Yes"), "Which company?", Some(("text input", "cl1sezlw700282e6eozkzmed0"))),
            step(Some("John"), "How many employees is your team composed of?", Some(("number input", "cl1sf1er7002f2e6eakhc25yy"))),
            step(Some("abc"), "Invalid message. Please, try again.", Some(("number input", "cl1sf1er7002f2e6eakhc25yy"))),
            step(Some("42"), "What's your job role?", Some(("choice input", "cl1sfbbw3003t2e6e16ec9w29"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cl1sfbbw3003t2e6e16ec9w29"))),
            step(Some("UI/UX Designer"), "Where are you based?", Some(("text input", "cl1sf4z8n00352e6ejypaeinl"))),
            step(Some("John"), "Thank you for answering these questions", None),
        ]),
        walk("movie-recommendation", vec![
            step(None, "Welcome to our film recommendation bot 👋", Some(("choice input", "tzf45bvd8iquoxz7qgta8v94"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "tzf45bvd8iquoxz7qgta8v94"))),
            step(Some("Select a genre 💅"), "Sure!", Some(("choice input", "nwuk2clo78hmnh4d0g31u9xg"))).logs(&["Security validation failed"]),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "nwuk2clo78hmnh4d0g31u9xg"))),
            step(Some("Click to edit"), "Here are trending movies for the Click to edit genre", Some(("choice input", "tr5y76tx9ca336f8ob9odfa6"))).logs(&["Security validation failed"]),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "tr5y76tx9ca336f8ob9odfa6"))),
            step(Some("Click to edit"), "Excellent choice 🔥", Some(("choice input", "yifjhiamifo1y4ay7vols0mm"))).logs(&["Security validation failed"]),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "yifjhiamifo1y4ay7vols0mm"))),
            step(Some("Watch the movie"), "", None).actions(&["redirect"]),
        ]),
        walk("nps", vec![
            step(None, "Hey! 👋", Some(("choice input", "d3asw3zs2gahpxs3usun6lm5"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "d3asw3zs2gahpxs3usun6lm5"))),
            step(Some("Sure!"), "How likely will you recommend our product to a friend or colleague?", Some(("rating input", "bfvv74k8oz57kaqeqek3uen7"))),
            step(Some("99"), "Invalid message. Please, try again.", Some(("rating input", "bfvv74k8oz57kaqeqek3uen7"))),
            step(Some("8"), "Could you tell us why?", Some(("text input", "ro6a6dt7j3x99unduh5jm6an"))),
            step(Some("John"), "Thank you for taking the time to answer!", None),
        ]),
        walk("onboarding", vec![
            step(None, "Welcome 👋", Some(("text input", "cl126820m000g2e6dfleq78bt"))),
            step(Some("John"), "Welcome John 👋", Some(("choice input", "cl126jb2q000r2e6dgqlnxnt8"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cl126jb2q000r2e6dgqlnxnt8"))),
            step(Some("Yes"), "", Some(("text input", "cl126jioz000v2e6dwrk1f2cb"))),
            step(Some("John"), "What type of bots are you planning to build with Typebot?", Some(("choice input", "cl126lb8v00142e6duv5qe08l"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cl126lb8v00142e6duv5qe08l"))),
            step(Some("Lead qualification, Customer support"), "Thank you for answering those questions!", None),
        ]),
        walk("openai-assistant-chat", vec![
            step(None, "You need to add your OpenAI credentials to make this bot work.", None),
        ]),
        walk("openai-conditions", vec![
            step(None, "You need to add your OpenAI credentials to make this bot work. 🪄", None),
        ]),
        walk("product-recommendation", vec![
            step(None, "Let's determine what Näak's products suit you best. 💪", Some(("text input", "xobx3g928f9zj220n5qe1ih6"))),
            step(Some("John"), "Ok John", Some(("choice input", "lwtynqjykiem5zdtns3fwhu2"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "lwtynqjykiem5zdtns3fwhu2"))),
            step(Some("North America"), "What's your sport?", Some(("picture choice input", "zesp4ro7ltjmh64sn8d4912c"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("picture choice input", "zesp4ro7ltjmh64sn8d4912c"))),
            step(Some("Running"), "Nice! 😎", Some(("choice input", "mfz600vwgfjcisahf5tdnz7l"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "mfz600vwgfjcisahf5tdnz7l"))),
            step(Some("♂️ Men"), "How can Näak help you achieve your goals?", Some(("picture choice input", "cx2v8nfb4kxvk58bbu6w85uy"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("picture choice input", "cx2v8nfb4kxvk58bbu6w85uy"))),
            step(Some("Energy, Hydration"), "What protein source are you interested in?", Some(("choice input", "ogy9ng7q9jglxg2ivb39tzeh"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "ogy9ng7q9jglxg2ivb39tzeh"))),
            step(Some("Cricket-based, Plant-based"), "What are flavors do you enjoy?", Some(("choice input", "p71conb1ln7f3m41ca6pxetz"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "p71conb1ln7f3m41ca6pxetz"))),
            step(Some("Chocolate, Vanilla"), "Great choice 😋", Some(("choice input", "cbcz08dj67rkx8k1cbj2ybz8"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cbcz08dj67rkx8k1cbj2ybz8"))),
            step(Some("Non GMO"), "Alright John, I think we know exactly what you need.", Some(("email input", "vdzzxwdocfxdvqnqwwvjymzw"))),
            step(Some("not an email"), "This email doesn't seem to be valid. Can you type it again?", Some(("email input", "vdzzxwdocfxdvqnqwwvjymzw"))),
            step(Some("john@example.com"), "Let's talk about Energy. ⚡", Some(("picture choice input", "r5hq4sr8iovxqyixejparma7"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("picture choice input", "r5hq4sr8iovxqyixejparma7"))),
            step(Some("Chocolate Energy Waffle, Vanilla Energy Waffle"), "About Hydration. 💧", Some(("picture choice input", "ph2jgb8r0lyui0j6v3jtifo2"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("picture choice input", "ph2jgb8r0lyui0j6v3jtifo2"))),
            step(Some("Watermelon Energy Drink Mix"), "", None),
        ]),
        walk("quick-carb-calculator", vec![
            step(None, "You need to add your OpenAI credentials to make this bot work. 🪄", None),
        ]),
        walk("quiz", vec![
            step(None, "Hi there!", Some(("choice input", "cl1r176e900692e6d8u3k6sdq"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cl1r176e900692e6d8u3k6sdq"))),
            step(Some("Go!"), "What does SEO stand for?", Some(("choice input", "cl1r09dl9000j2e6dhkc2h97y"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cl1r09dl9000j2e6dhkc2h97y"))),
            step(Some("Send Email Out"), "WRONG!", Some(("choice input", "cl1r0b3x5000r2e6dqk8gzoim"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cl1r0b3x5000r2e6dqk8gzoim"))),
            step(Some("The visible text that is hyperlinked to another page"), "Well done!", Some(("choice input", "cl1r0eril001f2e6dk0fd0qpw"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cl1r0eril001f2e6dk0fd0qpw"))),
            step(Some("Your target audience"), "WRONG!", Some(("choice input", "cl1r0j8u200202e6dun2d04gu"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cl1r0j8u200202e6dun2d04gu"))),
            step(Some("Consequence To Advert"), "WRONG!", Some(("choice input", "cl1r0nt85002s2e6dloupnhdq"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cl1r0nt85002s2e6dloupnhdq"))),
            step(Some("Yes!"), "What does SEO stand for?", Some(("choice input", "cl1r09dl9000j2e6dhkc2h97y"))),
            step(Some("Serial Editorial Output"), "WRONG!", Some(("choice input", "cl1r0b3x5000r2e6dqk8gzoim"))),
            step(Some("The text in the top left of a webpage"), "WRONG!", Some(("choice input", "cl1r0eril001f2e6dk0fd0qpw"))),
            step(Some("Someone who joins your mailing list"), "WRONG!", Some(("choice input", "cl1r0j8u200202e6dun2d04gu"))),
            step(Some("Call To Action"), "Aouch, you need to improve your Digital Marketing game.", Some(("choice input", "cl1r0nt85002s2e6dloupnhdq"))),
            step(Some("No, bye!"), "", None),
        ]),
        walk("savings-estimator", vec![
            step(None, "Hi there! Are you curious to see how much you can save by switching to reusable sponges and paper towels? 🌱", Some(("choice input", "rpf1u0bigv1v1z9x2q7m7g27"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "rpf1u0bigv1v1z9x2q7m7g27"))),
            step(Some("Yes, let's go!"), "Where do you typically use sponges in your house?", Some(("choice input", "dufhivf25jztks3a52hdyo6s"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "dufhivf25jztks3a52hdyo6s"))),
            step(Some("Kitchen - for dishes, counter, and appliances, Bathroom - for sinks, showers, and tubs"), "How often would you say that you are throwing a sponge away?", Some(("choice input", "qiayx3hjmo5ef1n3w3uxux4g"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "qiayx3hjmo5ef1n3w3uxux4g"))),
            step(Some("Once a week"), "", None),
        ]),
        walk("skin-typology", vec![
            step(None, "What’s your top skin concern?", Some(("choice input", "o9twf6rt9lvgv6vzue8wt8b3"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "o9twf6rt9lvgv6vzue8wt8b3"))),
            step(Some("Pimples"), "When do you break out?", Some(("choice input", "a0czqnu2wrlsty9isaof3mn3"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "a0czqnu2wrlsty9isaof3mn3"))),
            step(Some("Every day or most days"), "What kind of blemishes are they?", Some(("choice input", "avph27ix78gojvnf670pxvr6"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "avph27ix78gojvnf670pxvr6"))),
            step(Some("Small red or pink bumps, Red and inflamed with a whitehead"), "Do you have a second concern?", Some(("choice input", "o9twf6rt9lvgv6vzue8wt8b3"))),
            step(Some("Visible pores"), "Do you have another concern?", Some(("choice input", "o9twf6rt9lvgv6vzue8wt8b3"))),
            step(Some("Hyperpigmentation (dark spots/marks)"), "Your pigmentation marks occur…", Some(("choice input", "zqy1p2pa6cmmj5574axlm605"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "zqy1p2pa6cmmj5574axlm605"))),
            step(Some("On areas exposed to the sun"), "Where do you have sun spots?", Some(("choice input", "tqdnlx1r3gc1rrwimbe9sexw"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "tqdnlx1r3gc1rrwimbe9sexw"))),
            step(Some("I have a few, just on my face"), "Has a dermatologist diagnosed any of the following skin concerns?", Some(("choice input", "qcev9xsh8ucgngc8g04zsktk"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "qcev9xsh8ucgngc8g04zsktk"))),
            step(Some("Eczema/atopic dermatitis"), "How do you describe yourself?", Some(("choice input", "a3ucpz37jr9af6etzwrgpxwa"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "a3ucpz37jr9af6etzwrgpxwa"))),
            step(Some("A woman"), "How does your skin feel throughout the day if you haven't applied any skincare products or makeup?", Some(("choice input", "txhrcc5ii8wfidw0lj7hhvcx"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "txhrcc5ii8wfidw0lj7hhvcx"))),
            step(Some("If I don't apply a mattifying product, my skin is shiny from the middle of the day onwards"), "What do you see when you look in the mirror?", Some(("choice input", "zse327o8uf7v2vgjefzhmhzw"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "zse327o8uf7v2vgjefzhmhzw"))),
            step(Some("No wrinkles. My skin is supple and firm"), "How does your skin react to cosmetic products?", Some(("choice input", "r8p3bllvh6902cn9l6wfzjg2"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "r8p3bllvh6902cn9l6wfzjg2"))),
            step(Some("I've never had a bad reaction"), "Do you wear makeup?", Some(("choice input", "czxq9ogv5t309zwvqf06c0lh"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "czxq9ogv5t309zwvqf06c0lh"))),
            step(Some("No, never"), "Tell us about where you live.", Some(("choice input", "ffo7dzm08uapuawzp1rbe44a"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "ffo7dzm08uapuawzp1rbe44a"))),
            step(Some("There's a lot of pollution"), "Do you smoke?", Some(("choice input", "lajq4bpdwcoyjek8hy5o9hhs"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "lajq4bpdwcoyjek8hy5o9hhs"))),
            step(Some("No"), "Select the skin tone that best represents you:", Some(("choice input", "wmysi2qtw69ggq94fx5qnrog"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "wmysi2qtw69ggq94fx5qnrog"))),
            step(Some("Fair with some freckles. Doesn’t really tan, gets red in the sun"), "How often do you get strong sun exposure?", Some(("choice input", "pujmgbezgnf3xgdmpymhs565"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "pujmgbezgnf3xgdmpymhs565"))),
            step(Some("Almost never"), "To keep a record of your skin diagnostic result, please provide your e-mail address :", Some(("email input", "xc63yyy5eobay5msj26t4dpe"))),
            step(Some("not an email"), "This email doesn't seem to be valid. Can you type it again?", Some(("email input", "xc63yyy5eobay5msj26t4dpe"))),
            step(Some("john@example.com"), "", Some(("choice input", "s10p30kymib9np9wbs3gqwyq"))).logs(&["Could not find credentials for block openai", "No credentials found, make sure to configure your SMTP provider properly"]),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "s10p30kymib9np9wbs3gqwyq"))),
            step(Some("Go shopping"), "", None).actions(&["redirect"]),
        ]),

        // Templates whose start event leads to an "add your credentials" note: from their real
        // first group, the AI, email and payment blocks are met and skipped (or refused).
        walk_from("audio-chat-gpt", "Intro", vec![
            step(None, "", Some(("text input", "ovgk70u0kfxrbtz9dy4e040o")))
                .logs(&[OPENAI_SKIPPED])
                .bubbles(&["audio"]),
            step(Some("Hello there"), "", Some(("text input", "ovgk70u0kfxrbtz9dy4e040o")))
                .logs(&[OPENAI_SKIPPED, OPENAI_SKIPPED]),
        ]),
        walk_from("basic-chat-gpt", "Intro", vec![
            step(None, "Hi there 👋", Some(("text input", "ovgk70u0kfxrbtz9dy4e040o"))),
            step(Some("Hello"), "", Some(("text input", "ovgk70u0kfxrbtz9dy4e040o")))
                .logs(&[OPENAI_SKIPPED]),
        ]),
        walk_from("chat-gpt-personas", "Menu", vec![
            step(None, "Who would you want to talk to?", Some((CHOICE, "ohh19koa7up0nbke3146hnjp"))),
            step(Some("Copywriter"), "Hi 👋", Some(("text input", "emii43mtihiuy35gpp6b91d8"))),
            step(Some("A slogan for a bakery"), "", Some((CHOICE, "u4jdl0gwv8965o2etxjk12w0")))
                .logs(&[OPENAI_SKIPPED]),
            step(Some("Back to menu"), "Who would you want to talk to?", Some((CHOICE, "ohh19koa7up0nbke3146hnjp"))),
        ]),
        walk_from("high-ticket-lead-follow-up", "Welcome", vec![
            step(None, "Hey there 👋", Some((CHOICE, "nq6t2hj5fnokmtjnse65hbtg"))),
            step(Some("Sure!"), "Awesome!", Some(("text input", "aaxyzry2gknzkb3n1vy19vh3"))),
            step(Some("I run a bakery"), "", Some(("text input", "aaxyzry2gknzkb3n1vy19vh3"))).logs(&[
                "Could not find credentials for block mistral",
                "Could not find credentials for block mistral",
            ]),
        ]),
        // Its legacy OpenAI block names credentials that this server does not hold.
        walk_from("lead-gen-ai", "[AI] Additional information", vec![
            step(None, "", Some(("text input", "sqFy2G3C1mh9p6s3QBdSS5x")))
                .logs(&["Could not find credentials for block OpenAI"]),
            step(Some("A new website"), "", Some(("text input", "sqFy2G3C1mh9p6s3QBdSS5x")))
                .logs(&["Could not find credentials for block OpenAI"]),
            step(Some("Next month"), "", Some(("text input", "sqFy2G3C1mh9p6s3QBdSS5x")))
                .logs(&["Could not find credentials for block OpenAI"]),
            // The dialogue list now has 6 items: "Greater than 5" compares its length.
            step(Some("That's all"), "Perfect!", None),
        ]),
        walk_from("openai-assistant-chat", "AI loop", vec![
            step(None, "", Some(("text input", "us3drnvz2uw6ws3spubulsqn"))),
            step(Some("Hello"), "", Some(("text input", "us3drnvz2uw6ws3spubulsqn")))
                .logs(&[OPENAI_SKIPPED]),
        ]),
        walk_from("openai-conditions", "User input", vec![
            step(None, "How can we help?", Some(("text input", "ovgk70u0kfxrbtz9dy4e040o"))),
            step(Some("I forgot my password"), "Else", None).logs(&[OPENAI_SKIPPED]),
        ]),
        walk_from("quick-carb-calculator", "Sport", vec![
            step(None, "Welcome to the Quick Carb Calculator!", Some((CHOICE, "yura2cvzxy8qea4x1m71ulcy"))),
            step(Some("Run 🏃"), "Great! How long will you be doing this activity?", Some(("text input", "je03xo9p9vipnvw07y859ng7"))),
            step(Some("2 hours"), "Understood! Now, how hard will you be going?", Some(("rating input", "zxvlig3wytb4n7s81prfszau"))),
            step(Some("8"), RETRY, Some(("rating input", "zxvlig3wytb4n7s81prfszau"))),
            step(Some("6"), "To keep a record of your carb calculations…", Some(("email input", "prd6ni8tnjoi62tj29dnthlj"))),
            step(Some("john@example.com"), "", Some((CHOICE, "g0nd8jfs64h90lxy41ztufkf")))
                .logs(&[OPENAI_SKIPPED, SMTP_SKIPPED]),
            step(Some("Go shopping"), "", None).actions(&["redirect"]),
        ]),
        // Another path of the savings estimator reaches its AI block.
        walk("savings-estimator", vec![
            step(None, "Hi there! Are you curious to see how much you can save by switching to reusable sponges and paper towels? 🌱", Some((CHOICE, "rpf1u0bigv1v1z9x2q7m7g27"))),
            step(Some("Yes, let's go!"), "Where do you typically use sponges in your house?", Some((CHOICE, "dufhivf25jztks3a52hdyo6s"))),
            step(Some("2"), "How often would you say that you are throwing a sponge away?", Some((CHOICE, "qiayx3hjmo5ef1n3w3uxux4g"))),
            step(Some("Once a month"), "Did you know that used sponges can harbor…", Some((CHOICE, "yimucmlyxmz85pjsmm9953z8"))),
            step(Some("Every 2 weeks"), "To keep a record of your carb calculations…", Some(("email input", "xwpzbigjxduvrno7e21f84wh"))),
            step(Some("john@example.com"), "", Some((CHOICE, "ticb2wd6zydjn27p6r0m80vo"))).logs(&[OPENAI_SKIPPED]),
            step(Some("Hygiene"), "Thanks for sharing. 🙏", Some(("text input", "n8qrxik30fxrh9dxa3xu5yvf"))),
            step(Some("They smell"), "That's super clear, thank you", Some((CHOICE, "z95sfiyhk4mk3y693ku9ugud"))),
            step(Some("Go shopping"), "", None),
        ]),
        // Reaching a payment input without credentials fails the whole turn.
        walk_from("digital-product-payment", "Payment", vec![
            step(None, "", None).fails(EngineError::MissingCredentials),
        ]),
    ]
}

/// The project's own bots, each along at least one path (ids are checked by type: "*").
#[rustfmt::skip]
fn project_walks() -> Vec<Walk> {
    const TEXT: (&str, &str) = ("text input", "*");
    const EMAIL: (&str, &str) = ("email input", "*");
    const PICK: (&str, &str) = (CHOICE, "*");
    vec![
        walk("lead-capture", vec![
            step(None, "Hi there 👋 I'm Tessa, the assistant of Acme Analytics.", Some(PICK))
                .says(&["What brings you here today?"]),
            step(Some("Book a demo"), "Great choice! What's your first name?", Some(TEXT)),
            step(Some("Ada"), "Nice to meet you, Ada! 🙌", Some(EMAIL)),
            step(Some("ada@"), EMAIL_RETRY, Some(EMAIL)),
            step(Some("Ada@Example.com"), "How many people work at your company?", Some(PICK)),
            step(Some("51 to 500"), "Perfect, Ada. A product specialist will email you at ada@example.com within one business day.", None)
                .actions(&["redirect"]),
        ]),
        walk("lead-capture", vec![
            step(None, "Hi there 👋 I'm Tessa, the assistant of Acme Analytics.", Some(PICK)),
            step(Some("See pricing"), "Great choice! What's your first name?", Some(TEXT)),
            step(Some("Bo"), "Nice to meet you, Bo! 🙌", Some(EMAIL)),
            step(Some("bo@example.com"), "How many people work at your company?", Some(PICK)),
            step(Some("2 to 50"), "Our plans start at $29 per month, with a 14-day free trial.", None)
                .says(&["Every detail is on the pricing page."])
                .actions(&["redirect"]),
        ]),
        walk("lead-capture", vec![
            step(None, "Hi there 👋 I'm Tessa, the assistant of Acme Analytics.", Some(PICK)),
            step(Some("Just looking around"), "Great choice! What's your first name?", Some(TEXT)),
            step(Some("Cy"), "Nice to meet you, Cy! 🙌", Some(EMAIL)),
            step(Some("cy@example.com"), "How many people work at your company?", Some(PICK)),
            step(Some("More than 500"), "Thanks Cy! We'll send a few resources to cy@example.com.", None),
        ]),
        walk("browser-demo", vec![
            step(None, "Hi! I'm the Tessera demo bot.", Some(TEXT)).says(&["What's your name?"]),
            step(Some("Ada"), "Nice to meet you Ada!", Some(PICK)).says(&["Pick a plan"]),
            step(Some("Pro"), "Your email?", Some(EMAIL)),
            step(Some("nope"), EMAIL_RETRY, Some(EMAIL)),
            step(Some("ada@example.com"), "How likely are you to recommend us?", Some(("rating input", "*"))),
            step(Some("5"), "Thanks Ada, redirecting you now…", None).actions(&["redirect"]),
        ]),
        walk("payment-demo", vec![
            step(None, "Welcome to the Tessera checkout demo 🧾", Some(PICK)),
            step(Some("Just browsing"), "No problem — come back any time 👋", None),
        ]),
        walk("payment-demo", vec![
            step(None, "Welcome to the Tessera checkout demo 🧾", Some(PICK)),
            step(Some("Pay now"), "", None).fails(EngineError::MissingCredentials),
        ]),
        walk("linked-checkout", vec![
            step(None, "Just a few details to confirm your booking.", Some(TEXT)),
            step(Some("Ada Lovelace"), "And your email?", Some(EMAIL)),
            step(Some("ada@example.com"), "Which phone number can we text on the day?", Some(("phone number input", "*"))),
            step(Some("12"), "That number doesn't look right. Try something like 06 12 34 56 78.", Some(("phone number input", "*"))),
            step(Some("06 12 34 56 78"), "Thanks Ada Lovelace — we'll text +33612345678 if anything changes.", None),
        ]),
        walk("booking", vec![
            step(None, "Welcome to Le Hub, a coworking space in the heart of Lyon ☕", Some(("cards", "*")))
                .bubbles(&["text", "image", "text"]),
            step(Some("quiet room"), "Good pick: the Quiet room. How many people are coming?", Some(("number input", "*"))),
            step(Some("13"), RETRY, Some(("number input", "*"))),
            step(Some("3"), "Which day?", Some(("date input", "*"))),
            step(Some("2026-12-01"), "At what time will you arrive?", Some(("time input", "*"))),
            step(Some("9:30"), "Just a few details to confirm your booking.", Some(TEXT)),
            step(Some("Ada Lovelace"), "And your email?", Some(EMAIL)),
            step(Some("ada@example.com"), "Which phone number can we text on the day?", Some(("phone number input", "*"))),
            // The linked bot ends; its variables are merged back into the booking.
            step(Some("0612345678"), "Thanks Ada Lovelace — we'll text +33612345678 if anything changes.", None)
                .says(&["All set, Ada Lovelace! Quiet room for 3 on 01/12/2026 at 09:30.", "A confirmation is on its way to ada@example.com."]),
        ]),
        walk("survey", vec![
            step(None, "Hi 👋 Could you give us 60 seconds to tell us how we're doing?", Some(PICK)),
            step(Some("Sure, let's go"), "How likely are you to recommend Acme to a friend or colleague?", Some(("rating input", "*"))),
            step(Some("11"), RETRY, Some(("rating input", "*"))),
            step(Some("10"), "Amazing! 🎉 What do you love most? Pick as many as you like.", Some(PICK)),
            step(Some("speed and support"), "Anything else you'd like to tell us?", Some(TEXT)),
            step(Some("Keep it up"), "Last one, just for fun: which mascot should we adopt?", Some(("picture choice input", "*"))),
            step(Some("Owl"), "Thank you for your feedback! 💙 You're one of our Promoters, and the Owl thanks you too.", None),
        ]),
        walk("survey", vec![
            step(None, "Hi 👋 Could you give us 60 seconds to tell us how we're doing?", Some(PICK)),
            step(Some("Sure, let's go"), "How likely are you to recommend Acme to a friend or colleague?", Some(("rating input", "*"))),
            step(Some("3"), "We're sorry to hear that. What went wrong?", Some(PICK)),
            step(Some("1, 3"), "Anything else you'd like to tell us?", Some(TEXT)),
            step(Some("Faster please"), "Last one, just for fun: which mascot should we adopt?", Some(("picture choice input", "*"))),
            step(Some("Fox"), "Thank you for your feedback! 💙 You're one of our Detractors, and the Fox thanks you too.", None),
        ]),
        walk("survey", vec![
            step(None, "Hi 👋 Could you give us 60 seconds to tell us how we're doing?", Some(PICK)),
            step(Some("Sure, let's go"), "How likely are you to recommend Acme to a friend or colleague?", Some(("rating input", "*"))),
            step(Some("7"), "Thanks! What would make it a 10?", Some(TEXT)),
        ]),
        walk("survey", vec![
            step(None, "Hi 👋 Could you give us 60 seconds to tell us how we're doing?", Some(PICK)),
            step(Some("Not now"), "No worries — have a lovely day!", None),
        ]),
        walk("support-triage", vec![
            step(None, "Hi, I'm the Acme support assistant 🤖", Some(PICK)),
            step(Some("Something is broken"), "Sorry about that! On which page did it happen?", Some(("url input", "*"))),
            step(Some("not a page"), "Please paste the address of the page, e.g. app.acme.example/settings", Some(("url input", "*"))),
            step(Some("app.acme.example/settings"), "Can you describe what happened?", Some(TEXT)),
            step(Some("The save button does nothing"), "A screenshot helps a lot (optional).", Some(("file input", "*"))),
            step(Some("https://example.com/screen.png"), "What's your email so we can follow up?", Some(EMAIL))
                .logs(&[OPENAI_SKIPPED]),
            step(Some("ada@example.com"), "Thanks! We've logged your request and will reply to ada@example.com within 24 hours.", None)
                .logs(&["Security validation failed"]),
        ]),
        // The reply event sees every reply: asking for an agent hands over at once.
        walk("support-triage", vec![
            step(None, "Hi, I'm the Acme support assistant 🤖", Some(PICK)),
            step(Some("Billing"), "Which plan are you on?", Some(PICK)),
            step(Some("Enterprise"), "As an Enterprise customer you have a dedicated account manager: they will call you today.", Some(EMAIL)),
            step(Some("I want to talk to an AGENT"), "Connecting you with a human… 🙋 Our team answers Monday to Friday, 9:00 to 18:00 CET.", None)
                .actions(&["redirect"]),
        ]),
        walk("support-triage", vec![
            step(None, "Hi, I'm the Acme support assistant 🤖", Some(PICK)),
            step(Some("Another question"), "Ask away, I'm listening.", Some(TEXT)),
            step(Some("/command restart"), "What can I help you with?", Some(PICK)),
        ]),
        walk("inputs-showcase", vec![
            step(None, "Let's plan your next trip ✈️ I'll ask one question of every kind: invalid answers get a friendly retry.", Some(TEXT)),
            step(Some("Globetrotter"), "Tell me about your last trip — take your time.", Some(TEXT)),
            step(Some("Rome, in spring"), "How many countries have you visited?", Some(("number input", "*"))),
            step(Some("abc"), RETRY, Some(("number input", "*"))),
            step(Some("42"), "Your email, to send you the itinerary?", Some(EMAIL)),
            step(Some("me@example.com"), "Do you have a travel blog? Paste its address.", Some(("url input", "*"))),
            step(Some("not a url"), "Hmm, that doesn't look like a web address. Try something like example.com", Some(("url input", "*"))),
            step(Some("example.com"), "A phone number for flight alerts?", Some(("phone number input", "*"))),
            step(Some("123"), RETRY, Some(("phone number input", "*"))),
            step(Some("06 12 34 56 78"), "When did you last travel?", Some(("date input", "*"))),
            step(Some("not a date"), RETRY, Some(("date input", "*"))),
            step(Some("2026-01-15"), "When does your next flight leave?", Some(("date input", "*"))),
            step(Some("2026-12-01 10:30"), "Which dates are you off next?", Some(("date input", "*"))),
            step(Some("2026-07-01"), RETRY, Some(("date input", "*"))),
            step(Some("2026-07-01 to 2026-07-15"), "What time do you usually wake up on holiday?", Some(("time input", "*"))),
            step(Some("8am"), "Window or aisle?", Some(PICK)),
            step(Some("Window"), "Window it is: enjoy the view! 🌄", Some(PICK)),
            step(Some("Asia and Europe"), "Pick your home airport.", Some(PICK)),
            step(Some("Lyon Saint-Exupéry"), "Which view do you prefer?", Some(("picture choice input", "*"))),
            step(Some("Sea"), "How was your last flight?", Some(("rating input", "*"))),
            step(Some("4"), "Share a photo from your last trip (optional).", Some(("file input", "*"))),
            // No reply to the optional file input: skipped.
            step(None, "Finally, where should we send you next?", Some(("cards", "*"))),
            step(Some("kyoto"), "Here's your travel card, Globetrotter:", None).says(&[
                "• 42 countries, last trip on 15/01/2026, next flight 01/12/2026 10:30",
                "• Holidays: 01/07/2026 to 15/07/2026, waking up at 08:00",
                "• Seat: Window, home airport LYS, favourite view Sea",
                "• Continents: Asia, Europe",
                "• Next stop: Kyoto ✨",
            ]),
        ]),
        walk("logic-showcase", vec![
            // "Moment of the day" is evaluated by the client: the turn waits for its answer.
            step(None, "Welcome to the pizza night planner 🍕 Everything I say here is computed by the engine.", None)
                .actions(&["setVariable"]),
            step(Some("evening"), "Good evening! You're on the web channel; order number …", Some(TEXT)),
            step(Some("Jo"), "Ciao Jo! Your name has 2 letters.", Some(("number input", "*"))),
            step(Some("11"), RETRY, Some(("number input", "*"))),
            step(Some("9"), "A big party! Plan 32 slices.", Some(PICK))
                .says(&["Tonight's menu: [\"Margherita\",\"Pepperoni\",\"Veggie\"]. Which one is your favourite?"]),
            step(Some("Veggie"), "A Veggie costs 10 €.", None)
                .says(&[
                    "We ran out of Veggie and Margherita; still available: [\"Pepperoni\"].",
                    "Dessert idea: tiramisù for everyone 🍮",
                    "Back from dessert thanks to a Return block ↩️",
                    "Playlist tonight: ",
                    "The server-side script says: JO IS THE BEST HOST",
                    "Here's our conversation so far:",
                    "User: \"Veggie\"",
                    "That's the plan, Jo. Buon appetito!",
                ])
                .actions(&["scriptToExecute", "wait"]),
        ]),
        walk("logic-showcase", vec![
            step(None, "Welcome to the pizza night planner 🍕 Everything I say here is computed by the engine.", None),
            step(Some("morning"), "Good morning! You're on the web channel; order number …", Some(TEXT)),
            step(Some("Jane"), "Ciao Jane! Your name has 4 letters.", Some(("number input", "*"))),
            step(Some("7"), "Lucky night, Jane 🍀 — 26 slices should do.", Some(PICK)),
        ]),
        walk("logic-showcase", vec![
            step(None, "Welcome to the pizza night planner 🍕 Everything I say here is computed by the engine.", None),
            step(Some("afternoon"), "Good afternoon! You're on the web channel; order number …", Some(TEXT)),
            step(Some("Bob"), "Ciao Bob! Your name has 3 letters.", Some(("number input", "*"))),
            step(Some("2"), "A cosy evening: 11 slices, door code 007, mood: Festive.", Some(PICK)),
            step(Some("Margherita"), "A Margherita costs 9 €.", None),
        ]),
        walk("welcome", vec![
            step(None, "Welcome to Tessera 👋 — a fast, self-hostable engine for Typebot bots.", Some(PICK))
                .bubbles(&["text", "image", "text", "video", "audio", "embed", "text"])
                .actions(&["wait"]),
            // Linked bot (by id): the survey runs, then the tour goes on.
            step(Some("Give feedback"), "Hi 👋 Could you give us 60 seconds to tell us how we're doing?", Some(PICK)),
            step(Some("Not now"), "No worries — have a lovely day!", Some(PICK))
                .says(&["What would you like to try?"]),
            step(Some("Nothing for now"), "See you soon 👋", None),
        ]),
    ]
}

#[tokio::test]
async fn every_project_bot_walks_along_a_scripted_path() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("flows");
    let flows = Arc::new(MemoryFlows::new());
    let mut by_stem = HashMap::new();
    for entry in std::fs::read_dir(&dir).expect("flows/").flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        let json: Value = serde_json::from_str(&text).expect("json");
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        assert_eq!(
            json["publicId"],
            stem.as_str(),
            "{stem}: publicId is the file stem"
        );
        let f = flow::load_str(&text, "").unwrap_or_else(|e| panic!("{stem}: {e}"));
        assert!(f.warnings.is_empty(), "{stem}: {:?}", f.warnings);
        flows.publish(f.clone());
        by_stem.insert(stem, f);
    }
    let engine = engine_with(flows);
    let walks = project_walks();
    for stem in by_stem.keys() {
        assert!(
            walks.iter().any(|w| w.bot == stem),
            "flows/{stem}.json is not walked"
        );
    }
    for w in &walks {
        let flow = flow_of(&by_stem, w.bot);
        let max = run(&engine, flow.clone(), w).await;
        assert_state_size(&flow, w.bot, max);
    }
}

#[tokio::test]
async fn session_state_stays_under_2048_bytes_even_with_a_transcript() {
    let Some(dir) = common::corpus::corpus_dir() else {
        return;
    };
    let (engine, by_stem) = corpus_engine(&dir);
    for w in template_walks() {
        let flow = flow_of(&by_stem, w.bot);
        if !tessera::blocks::needs_trail(&flow) {
            continue;
        }
        let max = run(&engine, flow, &w).await;
        assert!(
            max < STATE_LIMIT,
            "{}: the session state grew to {max} bytes",
            w.bot
        );
    }
}
