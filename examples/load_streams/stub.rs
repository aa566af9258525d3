//! The stand-in LLM of the load client: OpenAI's chat-completions SSE, one chunk every `gap`
//! carrying the instant it was written (`t=<µs>`); the model `endless` never ends, and the
//! instant its client closes the connection is noted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::now_us;

/// When the stand-in saw each endless stream's connection close, by stream name.
pub type Closes = Arc<Mutex<HashMap<String, u64>>>;

/// Reads a request's head and body (by content-length).
async fn read_request(sock: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = sock.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let n = sock.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        body.extend_from_slice(&chunk[..n]);
    }
    Some(body)
}

/// One streamed completion: chunks at a fixed cadence from the request's arrival (the model
/// `endless` never ends), racing a read that sees the client close.
pub async fn serve(mut sock: TcpStream, gap: Duration, chunks: usize, closes: Closes) {
    let Some(body) = read_request(&mut sock).await else {
        return;
    };
    let start = tokio::time::Instant::now();
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let endless = body["model"] == "endless";
    let name = body["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_string();
    let (mut rd, mut wr) = sock.into_split();
    let writing = async {
        let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n";
        wr.write_all(head.as_bytes()).await?;
        let mut i = 0;
        while endless || i < chunks {
            i += 1;
            tokio::time::sleep_until(start + gap * i as u32).await;
            // Formatted by hand: cheap enough to leave the stand-in's cost out of the figures.
            let chunk = format!(
                "data: {{\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"t={} \"}}}}]}}\n\n",
                now_us()
            );
            wr.write_all(chunk.as_bytes()).await?;
        }
        wr.write_all(b"data: [DONE]\n\n").await
    };
    let closed = async {
        let mut b = [0u8; 64];
        while matches!(rd.read(&mut b).await, Ok(n) if n > 0) {}
    };
    tokio::select! {
        _ = writing => {}
        () = closed => {
            if endless {
                closes.lock().expect("closes").insert(name, now_us());
            }
        }
    }
}
