//! `tessera serve` child processes ([`Server`]): started hermetically on port 0 (the port read
//! from the JSON "listening" log line), their log kept, killed on drop.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use serde_json::Value;

use crate::common::temp::TempDir;

/// The bearer token of the servers under test.
pub const TOKEN: &str = "redis-api-test-token";

/// A `tessera serve` child process; killed on drop (its log is printed if the test panics).
pub struct Server {
    pub name: String,
    pub base: String,
    pub child: Child,
    pub log: Arc<Mutex<Vec<String>>>,
    /// Holds the empty flows directory of servers started without bundled bots.
    pub _dir: Option<TempDir>,
}

/// Extra settings of a server process (`TESSERA_*` variables).
pub type Env<'a> = &'a [(&'a str, &'a str)];

impl Server {
    /// Starts a server on `store` publishing the bundled bots (`flows/`).
    pub fn with_bundled_bots(name: &str, store: &str, env: Env<'_>) -> Server {
        let flows = Path::new(env!("CARGO_MANIFEST_DIR")).join("flows");
        Server::spawn(name, store, &flows, None, env)
    }

    /// Starts a server on `store` with no bot (bots are published over HTTP).
    pub fn bare(name: &str, store: &str, env: Env<'_>) -> Server {
        let dir = TempDir::new("redis-api");
        let flows = dir.path().to_path_buf();
        Server::spawn(name, store, &flows, Some(dir), env)
    }

    pub fn spawn(
        name: &str,
        store: &str,
        flows: &Path,
        dir: Option<TempDir>,
        env: Env<'_>,
    ) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tessera"));
        cmd.args([
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--store",
            store,
        ])
        .arg("--flows")
        .arg(flows);
        // Hermetic: nothing of the test's environment configures the server.
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("TESSERA_") {
                cmd.env_remove(k);
            }
        }
        cmd.env_remove("RUST_LOG")
            .env("TESSERA_API_TOKEN", TOKEN)
            .env("TESSERA_LOG_FORMAT", "json")
            .env("TESSERA_LOG", "info")
            .env("TESSERA_WORKERS", "2");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn tessera");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        pump(child.stdout.take(), log.clone(), Some(tx));
        pump(child.stderr.take(), log.clone(), None);
        let port = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(port) => port,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "{name} did not report its port ({e}):\n{}",
                    log.lock().unwrap().join("\n")
                );
            }
        };
        Server {
            name: name.to_string(),
            base: format!("http://127.0.0.1:{port}"),
            child,
            log,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = self.log.lock().map(|l| l.join("\n")).unwrap_or_default();
            eprintln!("--- log of {} ({}) ---\n{log}", self.name, self.base);
        }
    }
}

/// Reads a child's output into `log`; reports the port of the "listening" line on `port`.
pub fn pump(
    stream: Option<impl Read + Send + 'static>,
    log: Arc<Mutex<Vec<String>>>,
    port: Option<mpsc::Sender<u16>>,
) {
    let Some(stream) = stream else { return };
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if let Some(tx) = &port
                && let Some(p) = listening_port(&line)
            {
                let _ = tx.send(p);
            }
            if let Ok(mut l) = log.lock() {
                l.push(line);
            }
        }
    });
}

/// `{"fields":{"message":"tessera listening on http://...","port":N}}` -> N.
pub fn listening_port(line: &str) -> Option<u16> {
    let v: Value = serde_json::from_str(line).ok()?;
    let fields = v.get("fields")?;
    if !fields
        .get("message")?
        .as_str()?
        .starts_with("tessera listening on")
    {
        return None;
    }
    u16::try_from(fields.get("port")?.as_u64()?).ok()
}
