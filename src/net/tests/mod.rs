//! Tests of the outbound client, and the tiny HTTP/1.1 servers on 127.0.0.1 they talk to.

mod blocking;
mod http;
mod redirects;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{OutboundError, OutboundPolicy, OutboundRequest, SafeClient};

const LOOPBACK: &str =
    "Access to loopback addresses (127.0.0.0/8) is not allowed for security reasons.";
const LOCALHOST: &str = "Access to localhost is not allowed for security reasons.";
const METADATA: &str = "Access to cloud metadata endpoints is not allowed for security reasons.";

fn blocked(message: &str) -> Result<(), OutboundError> {
    Err(OutboundError::Blocked(message.to_owned()))
}

fn range(label: &str, range: &str) -> String {
    format!("Access to {label} ({range}) is not allowed for security reasons.")
}

fn client_with(policy: OutboundPolicy) -> SafeClient {
    SafeClient::new(policy).expect("client builds")
}

fn client(allowed: &[&str]) -> SafeClient {
    let allowed_hosts = allowed.iter().map(|h| (*h).to_owned()).collect();
    client_with(OutboundPolicy {
        allowed_hosts,
        ..OutboundPolicy::default()
    })
}

fn request(method: &str, url: &str, headers: &[(&str, &str)]) -> OutboundRequest {
    OutboundRequest {
        method: method.to_owned(),
        url: url.to_owned(),
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        body: None,
        timeout: None,
    }
}

async fn send_status(c: &SafeClient, url: &str) -> Result<(), OutboundError> {
    c.send(request("GET", url, &[])).await.map(drop)
}

/// A one-response-per-connection HTTP/1.1 server. `respond` gets the raw request text and
/// returns the raw response; every request received is recorded.
struct Server {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
    fn seen(&self) -> Vec<String> {
        self.seen.lock().expect("lock").clone()
    }
}

async fn serve(respond: impl Fn(&str) -> Vec<u8> + Send + Sync + 'static) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (log, respond) = (Arc::clone(&seen), Arc::new(respond));
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let (log, respond) = (Arc::clone(&log), Arc::clone(&respond));
            tokio::spawn(async move {
                let req = read_request(&mut stream).await;
                log.lock().expect("lock").push(req.clone());
                let _ = stream.write_all(&respond(&req)).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    Server { addr, seen }
}

async fn read_request(stream: &mut TcpStream) -> String {
    let (mut buf, mut chunk) = (Vec::new(), [0u8; 4096]);
    loop {
        let n = stream.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                break;
            }
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

fn reply(status: &str, headers: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn redirect_to(
    status: &'static str,
    location: String,
) -> impl Fn(&str) -> Vec<u8> + Send + Sync + 'static {
    move |_: &str| reply(status, &format!("Location: {location}\r\n"), "")
}
