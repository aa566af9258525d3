//! The bots published when `tessera serve` starts: every `*.json` of the `--flows` directory,
//! or the bundled examples.
//!
//! - **Every bad file is reported.** A file that cannot be read, is not JSON, is not a
//!   Typebot export or has errors is logged with all its problems and left out; the good ones
//!   are served. With `strict` (`--strict`, `TESSERA_STRICT`) start-up is refused instead,
//!   naming every bad file, before anything is published.
//! - **Start-up does not wait for the store.** When the store is unavailable (Redis not up
//!   yet), the bots are published in the background as soon as it answers; until then
//!   [`Startup::pending`] is set and `/readyz` answers 503.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use serde_json::Value;

use crate::registry::{self, Prepared, PublishError, Registry};
use crate::store::StoreError;

/// A bot to publish at start-up, checked and compiled.
#[derive(Debug, Clone)]
pub struct StartupBot {
    /// How logs name it: its path, or "bundled bot NAME".
    pub label: String,
    pub bot: Prepared,
    /// Shown in logs next to its problems: how to see them again.
    pub validate_hint: Option<String>,
}

/// A file left out, with every problem found.
#[derive(Debug, Clone)]
pub struct BadFile {
    pub label: String,
    pub problems: Vec<String>,
    pub validate_hint: Option<String>,
}

/// Whether the start-up bots are all published (shared with `/readyz`).
#[derive(Debug, Default)]
pub struct Startup {
    pending: AtomicBool,
}

impl Startup {
    /// True while start-up bots wait for the store.
    pub fn pending(&self) -> bool {
        self.pending.load(Ordering::Acquire)
    }
}

/// Reads every `*.json` of a directory (sorted): the bots that compile, and every bad file.
/// Only a directory that cannot be listed is an error. The files are read and compiled on
/// every core (each bot is compiled once: publishing takes the compiled flow).
pub fn read_dir(dir: &Path) -> anyhow::Result<(Vec<StartupBot>, Vec<BadFile>)> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read flows directory {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let checked = in_parallel(&paths, |p| {
        let label = p.display().to_string();
        let name = p.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        let checked = std::fs::read_to_string(p)
            .map_err(|e| vec![format!("cannot read it: {e}")])
            .and_then(|text| check(&text, name));
        (label, checked)
    });
    let (mut good, mut bad) = (Vec::new(), Vec::new());
    for (label, checked) in checked {
        match checked {
            Ok(bot) => good.push(StartupBot {
                validate_hint: Some(format!("tessera validate {label}")),
                label,
                bot,
            }),
            Err(problems) => bad.push(BadFile {
                validate_hint: Some(format!("tessera validate {label}")),
                label,
                problems,
            }),
        }
    }
    Ok((good, bad))
}

/// `f` of every item, in order, spread over the machine's cores.
fn in_parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = items.len().div_ceil(threads).max(1);
    if items.len() <= chunk {
        return items.iter().map(&f).collect();
    }
    std::thread::scope(|s| {
        let f = &f;
        let parts: Vec<_> = items
            .chunks(chunk)
            .map(|c| s.spawn(move || c.iter().map(f).collect::<Vec<R>>()))
            .collect();
        parts
            .into_iter()
            // A panic in `f` is a bug: it is re-raised here as it would be without threads.
            .flat_map(|p| p.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// The example bots built into the binary.
pub fn bundled() -> anyhow::Result<Vec<StartupBot>> {
    crate::bundled::BUNDLED
        .iter()
        .map(|(name, text)| {
            let bot = check(text, name)
                .map_err(|p| anyhow::anyhow!("bundled bot {name}: {}", p.join("; ")))?;
            Ok(StartupBot {
                label: format!("bundled bot {name}"),
                bot,
                validate_hint: None,
            })
        })
        .collect()
}

/// The bot compiled for publishing (`name`, the file's, is its public id when it has none),
/// or its problems (every error and warning).
fn check(text: &str, name: &str) -> Result<Prepared, Vec<String>> {
    let json: Value =
        serde_json::from_str(text).map_err(|e| vec![format!("invalid flow JSON: {e}")])?;
    registry::prepare(json, None, Some(name)).map_err(|e| match e {
        PublishError::Invalid(issues) => issues.iter().map(|i| i.to_string()).collect(),
        other => vec![other.to_string()],
    })
}

/// Publishes the start-up bots. Bad files are logged (or, when `strict`, refuse start-up); when
/// the store is unavailable the bots are published in the background once it answers, with
/// [`Startup::pending`] set until then.
pub async fn publish(
    registry: Arc<Registry>,
    bots: Vec<StartupBot>,
    mut bad: Vec<BadFile>,
    strict: bool,
    source: &str,
) -> anyhow::Result<Arc<Startup>> {
    refuse_if_strict(strict, &bad)?;
    let (published, waiting, newly_bad, store_error) = publish_some(&registry, bots).await;
    bad.extend(newly_bad);
    refuse_if_strict(strict, &bad)?;
    for b in &bad {
        log_bad(b);
    }
    let startup = Arc::new(Startup::default());
    let left_out = if bad.is_empty() {
        String::new()
    } else {
        format!(
            "; {} file(s) left out (errors above; --strict refuses to start instead)",
            bad.len()
        )
    };
    match store_error {
        None => {
            tracing::info!(
                "published {} bot(s) from {source}: {}{left_out}",
                published.len(),
                published.join(", ")
            );
        }
        Some(e) => {
            tracing::warn!(
                "waiting for the store to publish {} bot(s) from {source} ({e}); /readyz answers 503 until they are published{left_out}",
                waiting.len()
            );
            startup.pending.store(true, Ordering::Release);
            tokio::spawn(retry(
                registry,
                waiting,
                startup.clone(),
                source.to_string(),
            ));
        }
    }
    Ok(startup)
}

/// Publishes until the store answers (every 250 ms at first, then at most every 5 s).
async fn retry(
    registry: Arc<Registry>,
    mut waiting: Vec<StartupBot>,
    startup: Arc<Startup>,
    source: String,
) {
    let n = waiting.len();
    let mut delay = Duration::from_millis(250);
    while !waiting.is_empty() {
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
        let (_, still, bad, _) = publish_some(&registry, std::mem::take(&mut waiting)).await;
        for b in &bad {
            log_bad(b);
        }
        waiting = still;
    }
    startup.pending.store(false, Ordering::Release);
    tracing::info!("the store answers: published {n} bot(s) from {source}");
}

/// What publishing a list of bots gave: the public ids published, the bots the store could not
/// take yet (with its error), the refused.
type Published = (
    Vec<String>,
    Vec<StartupBot>,
    Vec<BadFile>,
    Option<StoreError>,
);

/// Publishes each bot (its warnings are logged).
async fn publish_some(registry: &Registry, bots: Vec<StartupBot>) -> Published {
    let (mut published, mut waiting, mut bad, mut store_error) =
        (Vec::new(), Vec::new(), Vec::new(), None);
    for bot in bots {
        if store_error.is_some() {
            // The store is down: the rest waits with this one (no need to ask it again).
            waiting.push(bot);
            continue;
        }
        match registry.publish_prepared(&bot.bot).await {
            Ok(o) => {
                tracing::debug!(flow = %o.id, "published {} as {}", bot.label, o.public_id);
                for w in &o.warnings {
                    tracing::warn!("{}: {w}", bot.label);
                }
                published.push(o.public_id);
            }
            Err(PublishError::Store(e @ StoreError::Unavailable(_))) => {
                store_error = Some(e);
                waiting.push(bot);
            }
            Err(e) => bad.push(BadFile {
                label: bot.label,
                problems: vec![e.to_string()],
                validate_hint: bot.validate_hint,
            }),
        }
    }
    (published, waiting, bad, store_error)
}

fn log_bad(b: &BadFile) {
    for p in &b.problems {
        tracing::error!("{}: {p}", b.label);
    }
    match &b.validate_hint {
        Some(h) => tracing::error!("{} is not served (check it with `{h}`)", b.label),
        None => tracing::error!("{} is not served", b.label),
    }
}

fn refuse_if_strict(strict: bool, bad: &[BadFile]) -> anyhow::Result<()> {
    if !strict || bad.is_empty() {
        return Ok(());
    }
    let mut msg = format!(
        "{} bot file(s) have problems (strict mode: nothing is served)",
        bad.len()
    );
    for b in bad {
        for p in &b.problems {
            msg.push_str(&format!("\n  {}: {p}", b.label));
        }
    }
    anyhow::bail!(msg)
}
