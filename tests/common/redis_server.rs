//! A private `redis-server` for fault tests: a free loopback port in 7200-7999 and an
//! append-only file (fsync always) in its own temp dir, so data survives a restart. Killed
//! (SIGKILL also ends a SIGSTOPped process) and its directory removed on drop (the process
//! first: `Drop` runs before the fields are dropped).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::redis_env::raw_connect;
use super::temp::TempDir;

pub struct PrivateRedis {
    pub port: u16,
    dir: TempDir,
    child: Option<Child>,
    /// `requirepass`, if any.
    password: Option<String>,
}

impl PrivateRedis {
    /// A server on a free port, not started yet (see [`PrivateRedis::launch`]). `None` (skip)
    /// when redis-server is not installed and `required` is false; a failure when it is true.
    pub fn new(password: Option<&str>, required: bool) -> Option<PrivateRedis> {
        Self::new_from(password, required, 0)
    }

    /// Starts one. Another test may take the port between the check and redis-server's bind,
    /// so a server that exits at once is tried again on another port.
    pub fn start(password: Option<&str>, required: bool) -> Option<PrivateRedis> {
        for attempt in 0..10u32 {
            let mut redis = Self::new_from(password, required, attempt * 97)?;
            if redis.launch() {
                return Some(redis);
            }
        }
        panic!("could not start a redis-server on a free port in 7200-7999");
    }

    fn new_from(password: Option<&str>, required: bool, offset: u32) -> Option<PrivateRedis> {
        if Command::new("redis-server")
            .arg("--version")
            .output()
            .is_err()
        {
            assert!(
                !required,
                "redis-server is not installed: Redis tests never skip in CI"
            );
            eprintln!("skipping: redis-server is not installed");
            return None;
        }
        let id = tessera::ids::new_id();
        let seed = id
            .bytes()
            .fold(0u32, |a, b| a.wrapping_mul(31).wrapping_add(u32::from(b)));
        let port = (0..800)
            .map(|i| 7200 + ((seed + offset + i) % 800) as u16)
            .find(|p| TcpListener::bind(("127.0.0.1", *p)).is_ok())
            .expect("a free port in 7200-7999");
        let dir = TempDir::new(&format!("private-redis-{port}"));
        Some(PrivateRedis {
            port,
            dir,
            child: None,
            password: password.map(str::to_string),
        })
    }

    pub fn url(&self) -> String {
        match &self.password {
            Some(p) => format!("redis://:{p}@127.0.0.1:{}", self.port),
            None => format!("redis://127.0.0.1:{}", self.port),
        }
    }

    /// A plain connection to it.
    pub fn raw(&self) -> redis::RedisResult<redis::Connection> {
        raw_connect(&self.url())
    }

    /// Starts the process and waits until it answers; false when it exited (port taken).
    pub fn launch(&mut self) -> bool {
        let dir = self.dir.path().to_str().expect("utf-8 temp dir");
        let mut cmd = Command::new("redis-server");
        cmd.args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--dir", dir, "--save", ""])
            .args(["--appendonly", "yes", "--appendfsync", "always"]);
        if let Some(p) = &self.password {
            cmd.args(["--requirepass", p]);
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-server");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if self.raw().is_ok() {
                return true;
            }
            let exited = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
                .is_some();
            if exited {
                self.child = None;
                return false;
            }
            assert!(
                Instant::now() < deadline,
                "redis-server on {} did not start",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts it, the first time or after [`PrivateRedis::shutdown`], on the same port and
    /// directory (the append-only file is replayed).
    pub fn boot(&mut self) {
        assert!(self.launch(), "redis-server did not start on {}", self.port);
    }

    /// SHUTDOWN (flushes the append-only file), then waits for the process to exit.
    pub fn shutdown(&mut self) {
        if let Ok(mut con) = self.raw() {
            let _: redis::RedisResult<()> = redis::cmd("SHUTDOWN").query(&mut con);
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.wait();
        }
        assert!(self.raw().is_err(), "Redis is still up");
    }

    /// SIGKILL (no flush: what the append-only file holds is what survives), then waits for
    /// the process to exit.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends a signal (`-STOP`, `-CONT`) to the process.
    pub fn signal(&self, sig: &str) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        let ok = Command::new("kill")
            .args([sig, &pid])
            .status()
            .expect("kill")
            .success();
        assert!(ok, "kill {sig} {pid}");
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
