//! A TCP proxy in front of a Redis for chaos tests: it forwards both ways and can hold every
//! answer back by a latency (a slow Redis) or drop every open connection. It runs on the
//! test's runtime and stops when dropped.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The proxy's switches, shared with its connections.
#[derive(Default)]
struct Switches {
    /// Added before each chunk Redis sends back is passed on (ms).
    latency_ms: AtomicU64,
    /// Bumped to drop every open connection.
    epoch: AtomicU64,
}

pub struct RedisProxy {
    pub port: u16,
    switches: Arc<Switches>,
    task: tokio::task::JoinHandle<()>,
}

impl RedisProxy {
    /// A proxy on a free loopback port forwarding to `127.0.0.1:upstream`.
    pub async fn start(upstream: u16) -> RedisProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let switches = Arc::new(Switches::default());
        let s = switches.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)).await {
                        relay(client, server, s).await;
                    }
                });
            }
        });
        RedisProxy {
            port,
            switches,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Holds every answer back by `latency` from now on (zero: none).
    pub fn set_latency(&self, latency: Duration) {
        let ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
        self.switches.latency_ms.store(ms, Ordering::SeqCst);
    }

    /// Closes every connection open now (new ones are accepted).
    pub fn drop_connections(&self) {
        self.switches.epoch.fetch_add(1, Ordering::SeqCst);
    }
}

impl Drop for RedisProxy {
    fn drop(&mut self) {
        self.task.abort();
        self.drop_connections();
    }
}

/// Forwards both ways until either side closes or the connections are dropped.
async fn relay(client: TcpStream, server: TcpStream, s: Arc<Switches>) {
    let epoch = s.epoch.load(Ordering::SeqCst);
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let up = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = cr.read(&mut buf).await.unwrap_or(0);
            if n == 0 || sw.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    };
    let down = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = sr.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                return;
            }
            let ms = s.latency_ms.load(Ordering::SeqCst);
            if ms > 0 {
                tokio::time::sleep(Duration::from_millis(ms)).await;
            }
            if cw.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    };
    let dropped = async {
        while s.epoch.load(Ordering::SeqCst) == epoch {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::select! {
        () = up => {}
        () = down => {}
        () = dropped => {}
    }
}
