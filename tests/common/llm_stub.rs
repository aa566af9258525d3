//! A stand-in AI provider on 127.0.0.1 for the tests: OpenAI's chat completions
//! (`POST …/chat/completions`, JSON or `text/event-stream` chunks exactly like OpenAI's,
//! ending with `data: [DONE]`) and Anthropic's messages API (`POST …/messages`, JSON or its
//! named SSE events). It answers `Echo: <last user message>`, checks the API key, records
//! every request, and notes when a streaming client went away (its side of the connection
//! closed, or a write failed: the cancellation tests).
//! The model `endless` streams until the client disconnects.
//!
//! Usage as the real APIs send it: OpenAI only when the request asks
//! (`stream_options.include_usage`), in a last chunk with no choices before `[DONE]`;
//! Anthropic in `message_start` (input tokens) and `message_delta` (output tokens). The model
//! `no-usage` never reports usage on a stream (a provider that sends none).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const API_KEY: &str = "sk-test-0123456789abcdef";

#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

#[derive(Default)]
pub struct Log {
    pub requests: Mutex<Vec<Recorded>>,
    /// When a streaming client was seen gone (a write failed).
    pub disconnects: Mutex<Vec<Instant>>,
}

pub struct LlmStub {
    /// `http://127.0.0.1:<port>/v1`
    pub base_url: String,
    pub log: Arc<Log>,
}

impl LlmStub {
    pub fn requests(&self) -> Vec<Recorded> {
        self.log.requests.lock().expect("log").clone()
    }
    pub fn disconnects(&self) -> Vec<Instant> {
        self.log.disconnects.lock().expect("log").clone()
    }
}

/// Starts the stand-in; `chunk_delay` is the pause between streamed chunks.
pub async fn start(chunk_delay: Duration) -> LlmStub {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let log = Arc::new(Log::default());
    let shared = log.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let log = shared.clone();
            tokio::spawn(async move { serve(sock, log, chunk_delay).await });
        }
    });
    LlmStub {
        base_url: format!("http://{addr}/v1"),
        log,
    }
}

async fn read_request(sock: &mut TcpStream) -> Option<(String, Vec<(String, String)>, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = sock.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let path = lines.next()?.split(' ').nth(1)?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let n = sock.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        body.extend_from_slice(&chunk[..n]);
    }
    Some((path, headers, body))
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

async fn reply_json(sock: &mut TcpStream, status: &str, body: &Value) {
    let text = body.to_string();
    let reply = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = sock.write_all(reply.as_bytes()).await;
}

async fn serve(mut sock: TcpStream, log: Arc<Log>, delay: Duration) {
    let Some((path, headers, body)) = read_request(&mut sock).await else {
        return;
    };
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    log.requests.lock().expect("log").push(Recorded {
        path: path.clone(),
        headers: headers.clone(),
        body: body.clone(),
    });
    let anthropic = path.ends_with("/messages");
    let key_ok = if anthropic {
        header(&headers, "x-api-key") == Some(API_KEY)
    } else {
        header(&headers, "authorization") == Some(format!("Bearer {API_KEY}").as_str())
    };
    if !key_ok {
        let err = json!({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}});
        return reply_json(&mut sock, "401 Unauthorized", &err).await;
    }
    let model = body["model"].as_str().unwrap_or("model").to_string();
    let last_user = body["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_string();
    let reply = format!("Echo: {last_user}");
    let prompt_tokens = body["messages"].to_string().len() as u64 / 4;
    let words: Vec<String> = reply.split_inclusive(' ').map(str::to_string).collect();
    let completion_tokens = words.len() as u64;
    if body["stream"] != Value::Bool(true) {
        let answer = if anthropic {
            json!({"id": "msg_1", "type": "message", "role": "assistant", "model": model,
                "content": [{"type": "text", "text": reply}], "stop_reason": "end_turn",
                "usage": {"input_tokens": prompt_tokens, "output_tokens": completion_tokens}})
        } else {
            json!({"id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens}})
        };
        return reply_json(&mut sock, "200 OK", &answer).await;
    }
    let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n";
    if sock.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let endless = model == "endless";
    let sends_usage = model != "no-usage";
    let mut events: Vec<String> = Vec::new();
    if anthropic {
        let mut message = json!({"id": "msg_1", "model": model});
        if sends_usage {
            message["usage"] = json!({"input_tokens": prompt_tokens, "output_tokens": 1});
        }
        events.push(format!(
            "event: message_start\ndata: {}\n\n",
            json!({"type": "message_start", "message": message})
        ));
        events.push("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n".into());
    }
    let chunk = |t: &str| {
        if anthropic {
            format!(
                "event: content_block_delta\ndata: {}\n\n",
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": t}})
            )
        } else {
            format!(
                "data: {}\n\n",
                json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": model,
                "choices": [{"index": 0, "delta": {"content": t}, "finish_reason": null}]})
            )
        }
    };
    if !anthropic {
        events.push(format!("data: {}\n\n", json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": model,
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}]})));
    }
    for w in &words {
        events.push(chunk(w));
    }
    // Everything is built before writing; the writes race a read of the socket, which ends
    // (0 bytes) as soon as the client closes the connection: that instant is the disconnect.
    let end = if anthropic {
        let usage = if sends_usage {
            format!(",\"usage\":{{\"output_tokens\":{completion_tokens}}}")
        } else {
            String::new()
        };
        format!(
            "event: content_block_stop\ndata: {{\"type\":\"content_block_stop\",\"index\":0}}\n\nevent: message_delta\ndata: {{\"type\":\"message_delta\",\"delta\":{{\"stop_reason\":\"end_turn\"}}{usage}}}\n\nevent: message_stop\ndata: {{\"type\":\"message_stop\"}}\n\n"
        )
    } else {
        let asked = body["stream_options"]["include_usage"] == Value::Bool(true);
        let usage = if asked && sends_usage {
            let last = json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": model,
                "choices": [], "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens}});
            format!("data: {last}\n\n")
        } else {
            String::new()
        };
        format!("{usage}data: [DONE]\n\n")
    };
    let (mut rd, mut wr) = sock.into_split();
    let writing = async {
        for e in &events {
            wr.write_all(e.as_bytes()).await?;
            tokio::time::sleep(delay).await;
        }
        if endless {
            loop {
                wr.write_all(chunk("more ").as_bytes()).await?;
                tokio::time::sleep(delay).await;
            }
        }
        wr.write_all(end.as_bytes()).await
    };
    let closed = async {
        let mut b = [0u8; 64];
        while matches!(rd.read(&mut b).await, Ok(n) if n > 0) {}
    };
    tokio::select! {
        written = writing => {
            if written.is_err() {
                log.disconnects.lock().expect("log").push(Instant::now());
            }
        }
        () = closed => log.disconnects.lock().expect("log").push(Instant::now()),
    }
}
