//! A minimal WebSocket client for the tests (RFC 6455 over a plain TCP stream): the upgrade
//! handshake and reading the server's unmasked frames. Enough to stand in for the player's
//! `partysocket` listener without a WebSocket crate.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub struct WsClient {
    stream: TcpStream,
}

/// What the server sent.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    Text(String),
    Close,
}

impl WsClient {
    /// Connects to `ws://{host_port}{path}`; panics unless the server switches protocols.
    pub async fn connect(host_port: &str, path: &str) -> WsClient {
        let mut stream = TcpStream::connect(host_port).await.expect("ws connect");
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {host_port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
             Origin: http://127.0.0.1\r\n\r\n"
        );
        stream
            .write_all(request.as_bytes())
            .await
            .expect("ws write");
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            stream.read_exact(&mut byte).await.expect("ws handshake");
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head).to_string();
        assert!(head.starts_with("HTTP/1.1 101"), "no upgrade: {head}");
        // The accept key of RFC 6455's example nonce.
        assert!(
            head.to_ascii_lowercase()
                .contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="),
            "{head}"
        );
        WsClient { stream }
    }

    /// The next text or close frame (pings skipped), within `wait`; None on time-out.
    pub async fn next(&mut self, wait: Duration) -> Option<Frame> {
        tokio::time::timeout(wait, self.read_frame())
            .await
            .ok()
            .flatten()
    }

    async fn read_frame(&mut self) -> Option<Frame> {
        loop {
            let mut h = [0u8; 2];
            self.stream.read_exact(&mut h).await.ok()?;
            let opcode = h[0] & 0x0f;
            assert_eq!(h[1] & 0x80, 0, "server frames are not masked");
            let len = match h[1] & 0x7f {
                126 => {
                    let mut b = [0u8; 2];
                    self.stream.read_exact(&mut b).await.ok()?;
                    u64::from(u16::from_be_bytes(b))
                }
                127 => {
                    let mut b = [0u8; 8];
                    self.stream.read_exact(&mut b).await.ok()?;
                    u64::from_be_bytes(b)
                }
                n => u64::from(n),
            };
            let mut payload = vec![0u8; len as usize];
            self.stream.read_exact(&mut payload).await.ok()?;
            match opcode {
                1 => return Some(Frame::Text(String::from_utf8(payload).expect("utf-8"))),
                8 => return Some(Frame::Close),
                _ => continue,
            }
        }
    }
}
