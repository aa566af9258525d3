//! The project's own bots (`flows/`), each walked along at least one path.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;
use tessera::engine::{EngineError, MemoryFlows};
use tessera::flow;

use crate::common::engine::{EMAIL_RETRY, GENERIC_RETRY as RETRY};
use crate::walker::{
    CHOICE, OPENAI_SKIPPED, Walk, assert_state_size, engine_with, flow_of, run, step, walk,
};

/// The project's own bots, each along at least one path (ids are checked by type: "*").
#[rustfmt::skip]
pub fn project_walks() -> Vec<Walk> {
    const TEXT: (&str, &str) = ("text input", "*");
    const EMAIL: (&str, &str) = ("email input", "*");
    const PICK: (&str, &str) = (CHOICE, "*");
    const FILE: (&str, &str) = ("file input", "*");
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
        walk("document-upload", vec![
            step(None, "Hi! Please send your CV as a PDF or a text file (1 MB at most).", Some(FILE)),
            step(Some("https://files.example.com/cv.exe"), RETRY, Some(FILE)),
            step(Some("https://files.example.com/cv.pdf"), "Thanks, we have your CV: https://files.example.com/cv.pdf", Some(FILE))
                .says(&["Anything else to add? Certificates, a cover letter... (optional)"]),
            step(Some("https://files.example.com/a.pdf, https://files.example.com/b.png"), "Other documents: https://files.example.com/a.pdf, https://files.example.com/b.png", None)
                .says(&["Your application is complete. We'll be in touch!"]),
        ]),
        walk("document-upload", vec![
            step(None, "Hi! Please send your CV as a PDF or a text file (1 MB at most).", Some(FILE)),
            step(Some("https://files.example.com/cv.txt"), "Thanks, we have your CV: https://files.example.com/cv.txt", Some(FILE)),
            // No reply to the optional file input: skipped.
            step(None, "Your application is complete. We'll be in touch!", None),
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
        let f = flow::load_str(&text).unwrap_or_else(|e| panic!("{stem}: {e}"));
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
