//! TEMPORARY shim until the safe client lands.
use std::time::Duration;
pub struct OutboundPolicy { pub allowed_hosts: Vec<String>, pub default_timeout: Duration, pub max_body_bytes: usize, pub max_redirects: usize }
impl Default for OutboundPolicy { fn default() -> Self { Self { allowed_hosts: vec![], default_timeout: Duration::from_secs(10), max_body_bytes: 5 << 20, max_redirects: 5 } } }
#[derive(Debug, Clone)] pub struct OutboundRequest { pub method: String, pub url: String, pub headers: Vec<(String, String)>, pub body: Option<Vec<u8>>, pub timeout: Option<Duration> }
#[derive(Debug, Clone)] pub struct OutboundResponse { pub status: u16, pub headers: Vec<(String, String)>, pub body: Vec<u8> }
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum OutboundError { #[error("Security validation failed: {0}")] Blocked(String), #[error("Request timed out. ({0}s)")] Timeout(u64), #[error("{0}")] Transport(String), #[error("response body larger than {0} bytes")] TooLarge(usize) }
#[derive(Clone)] pub struct SafeClient;
impl SafeClient { pub fn new(_p: OutboundPolicy) -> Result<Self, OutboundError> { Ok(SafeClient) } pub async fn send(&self, _r: OutboundRequest) -> Result<OutboundResponse, OutboundError> { Err(OutboundError::Blocked("shim".into())) } }
