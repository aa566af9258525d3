//! The conversation core without any surface: a conversation started and resumed through
//! typed calls, with typed errors for a finished session and an unknown bot.

mod common;

use common::core::core;
use tessera::conversation::{Caller, FlowChoice, ServiceError, StartOptions};
use tessera::engine::{Message, TextFormat, TurnStatus};

#[tokio::test]
async fn a_conversation_starts_and_resumes_through_typed_calls_and_ends_finished() {
    let core = core().await;
    let caller = Caller::default();
    let start = core
        .start(
            FlowChoice::Published("core".into()),
            StartOptions::default(),
            &caller,
        )
        .await
        .expect("starts");
    assert_eq!(start.status(), TurnStatus::WaitingInput);
    assert!(start.result_id.is_some());
    assert_eq!(start.published_at.as_deref().map(str::len), Some(24));
    let sid = start.session_id.clone();
    let next = core
        .resume(
            &sid,
            Some(Message::text("Ada")),
            TextFormat::Markdown,
            &caller,
        )
        .await
        .expect("resumes");
    assert_eq!(next.status(), TurnStatus::Completed);
    assert_eq!(next.output.messages[0]["content"]["markdown"], "Hi Ada");
    let again = core.resume(&sid, None, TextFormat::Markdown, &caller).await;
    assert_eq!(again.err(), Some(ServiceError::Finished));
    let unknown = core
        .start(
            FlowChoice::Published("nope".into()),
            StartOptions::default(),
            &caller,
        )
        .await;
    assert_eq!(unknown.err(), Some(ServiceError::FlowNotFound));
}
