//! What the conversation core records: every turn it runs, by the surface that asked for it
//! ([`Surface`], from the [`super::Caller`]) and how it ended (`tessera_turns_total`), and the
//! time it took in the core (`tessera_turn_duration_seconds`: leasing, the engine, saving).
//! The handles are resolved at start-up; a turn pays two clock reads and two atomic adds.

use std::sync::LazyLock;
use std::time::Instant;

use crate::engine::TurnStatus;
use crate::telemetry::metrics::{self, Counter, Histogram};

/// Who asked for a turn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Surface {
    /// The Typebot chat API (and the web player, which speaks it).
    #[default]
    ChatApi,
    /// The engine API (triggers and resumes, the timer loop's resumes included).
    EngineApi,
    /// The workflow API's triggers.
    Workflows,
    /// `tessera chat`.
    Cli,
}

impl Surface {
    const ALL: [Surface; 4] = [
        Surface::ChatApi,
        Surface::EngineApi,
        Surface::Workflows,
        Surface::Cli,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Surface::ChatApi => "chat_api",
            Surface::EngineApi => "engine_api",
            Surface::Workflows => "workflows",
            Surface::Cli => "cli",
        }
    }
}

/// How a turn ended: its status, or `error` (the core refused or failed it: the HTTP error
/// codes are in `tessera_http_errors_total`).
const OUTCOMES: [&str; 7] = [
    "waiting_input",
    "waiting_action",
    "waiting_time",
    "completed",
    "failed",
    "aborted",
    "error",
];

fn outcome(status: Option<TurnStatus>) -> usize {
    match status {
        Some(TurnStatus::WaitingInput) => 0,
        Some(TurnStatus::WaitingAction) => 1,
        Some(TurnStatus::WaitingTime) => 2,
        Some(TurnStatus::Completed) => 3,
        Some(TurnStatus::Failed) => 4,
        Some(TurnStatus::Aborted) => 5,
        None => 6,
    }
}

struct TurnMetrics {
    /// Surface-major: `surface * OUTCOMES.len() + outcome`.
    turns: Vec<Counter>,
    /// One per surface.
    durations: Vec<Histogram>,
}

static TURNS: LazyLock<TurnMetrics> = LazyLock::new(|| TurnMetrics {
    turns: metrics::counters(
        "tessera_turns",
        "Turns run by the conversation core, per surface and outcome",
        Surface::ALL.iter().flat_map(|s| {
            OUTCOMES
                .iter()
                .map(move |o| [("surface", s.as_str()), ("outcome", *o)])
        }),
    ),
    durations: metrics::histograms(
        "tessera_turn_duration_seconds",
        "Time of a turn in the conversation core (lease, engine, save), per surface",
        Histogram::latency,
        Surface::ALL.iter().map(|s| [("surface", s.as_str())]),
    ),
});

/// Registers the turn metrics (every series present from the first scrape).
pub fn init() {
    LazyLock::force(&TURNS);
}

/// Records a turn that started at `started` and ended with `status` (None: it failed).
pub(super) fn record_status(surface: Surface, started: Instant, status: Option<TurnStatus>) {
    if !metrics::recording() {
        return;
    }
    let m = &*TURNS;
    let s = surface as usize;
    if let Some(h) = m.durations.get(s) {
        h.observe(started.elapsed());
    }
    if let Some(c) = m.turns.get(s * OUTCOMES.len() + outcome(status)) {
        c.inc();
    }
}
