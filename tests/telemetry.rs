//! The per-turn tracing span: every turn runs in a `turn` span carrying the flow id, the
//! session id, the revision and the number of blocks run. A test binary of its own: tracing's
//! callsite interest is cached process-wide, and other tests hitting the span first in the same
//! process made this check flaky.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::core::core;
use tessera::conversation::{Caller, FlowChoice, StartOptions};

/// Collects what the subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut g) = self.0.lock() {
            g.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn every_turn_runs_in_a_span_with_flow_session_revision_and_blocks() {
    let core = core().await;
    let out = Captured::default();
    let writer = out.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let start = core
        .start(
            FlowChoice::Published("core".into()),
            StartOptions::default(),
            &Caller::default(),
        )
        .await
        .expect("starts");
    let logged =
        String::from_utf8(out.0.lock().map(|g| g.clone()).unwrap_or_default()).unwrap_or_default();
    let line = logged
        .lines()
        .find(|l| l.contains("turn{"))
        .unwrap_or_else(|| panic!("no turn span in {logged:?}"));
    assert!(line.contains("flow_id=core-bot"), "{line}");
    assert!(
        line.contains(&format!("session_id={}", start.session_id)),
        "{line}"
    );
    assert!(
        line.contains(&format!("revision={}", start.flow.revision)),
        "{line}"
    );
    assert!(line.contains("blocks=2"), "{line}");
}
