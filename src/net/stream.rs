//! Streamed response bodies ([`SafeClient::send_streaming`](super::SafeClient::send_streaming)):
//! the body arrives chunk by chunk, each chunk under the request's deadline, the total under the
//! body cap. Dropping the [`BodyStream`] drops the connection, which cancels the request.

use std::pin::Pin;
use std::time::Duration;

use futures_util::Stream;

use super::OutboundError;
use super::client::{head_of, send_error, whole_seconds};

/// Body chunks as they arrive.
pub type BodyStream = Pin<Box<dyn Stream<Item = Result<Vec<u8>, OutboundError>> + Send>>;

/// A final (non-redirect) response whose body is read as it arrives.
pub struct StreamingResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: BodyStream,
}

impl std::fmt::Debug for StreamingResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingResponse")
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl StreamingResponse {
    /// Reads the whole body (capped like the stream): for error responses.
    pub async fn text(mut self) -> Result<String, OutboundError> {
        use futures_util::StreamExt;
        let mut out = Vec::new();
        while let Some(chunk) = self.body.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}

struct Reading {
    response: reqwest::Response,
    read: usize,
    cap: usize,
    idle: Duration,
    done: bool,
}

pub(super) fn streaming(
    response: reqwest::Response,
    cap: usize,
    idle: Duration,
) -> StreamingResponse {
    let (status, headers) = head_of(&response);
    let state = Reading {
        response,
        read: 0,
        cap,
        idle,
        done: false,
    };
    let body = futures_util::stream::unfold(state, |mut st| async move {
        if st.done {
            return None;
        }
        let item = match tokio::time::timeout(st.idle, st.response.chunk()).await {
            Err(_) => Err(OutboundError::Timeout(whole_seconds(st.idle))),
            Ok(Err(err)) => Err(send_error(err, st.response.url())),
            Ok(Ok(None)) => return None,
            Ok(Ok(Some(chunk))) => {
                st.read += chunk.len();
                if st.read > st.cap {
                    Err(OutboundError::TooLarge(st.cap))
                } else {
                    Ok(chunk.to_vec())
                }
            }
        };
        st.done = item.is_err();
        Some((item, st))
    });
    StreamingResponse {
        status,
        headers,
        body: Box::pin(body),
    }
}
