//! Signed upload grants for the local storage: `base64url(JSON).hex(HMAC-SHA256)`, checked in
//! constant time (ring's `hmac::verify`).

use ring::hmac;
use serde::{Deserialize, Serialize};

use super::UploadError;

/// What a local upload URL allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The storage key, `{fileId}/{fileName}`.
    pub k: String,
    /// The content type the file is served with.
    pub t: String,
    /// The size limit in bytes.
    pub m: u64,
    /// Expiry, Unix seconds.
    pub e: u64,
}

pub struct Signer {
    key: hmac::Key,
}

impl Signer {
    pub fn new(secret: &[u8]) -> Signer {
        // A key of its own, derived from the shared secret: an upload token is never a valid
        // MAC of anything else signed with that secret.
        let derive = hmac::Key::new(hmac::HMAC_SHA256, secret);
        let own = hmac::sign(&derive, b"tessera upload grants v1");
        Signer {
            key: hmac::Key::new(hmac::HMAC_SHA256, own.as_ref()),
        }
    }

    pub fn sign(&self, grant: &Grant) -> String {
        let json = serde_json::to_vec(grant).unwrap_or_default();
        let payload = b64url(&json);
        let tag = hmac::sign(&self.key, payload.as_bytes());
        format!("{payload}.{}", hex(tag.as_ref()))
    }

    pub fn verify(&self, token: &str) -> Result<Grant, UploadError> {
        let (payload, tag) = token.split_once('.').ok_or(UploadError::InvalidToken)?;
        let tag = unhex(tag).ok_or(UploadError::InvalidToken)?;
        hmac::verify(&self.key, payload.as_bytes(), &tag).map_err(|_| UploadError::InvalidToken)?;
        let json = unb64url(payload).ok_or(UploadError::InvalidToken)?;
        serde_json::from_slice(&json).map_err(|_| UploadError::InvalidToken)
    }
}

/// `n` random bytes as lower-case hex.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::fill(&mut bytes[..]);
    hex(&bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn b64url(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn unb64url(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let v = B64.iter().position(|&x| x == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant() -> Grant {
        Grant {
            k: "ab/c.png".into(),
            t: "image/png".into(),
            m: 10,
            e: 99,
        }
    }

    #[test]
    fn a_signed_grant_verifies_and_a_tampered_one_does_not() {
        let s = Signer::new(b"secret");
        let t = s.sign(&grant());
        assert_eq!(s.verify(&t), Ok(grant()));
        let (payload, tag) = t.split_once('.').unwrap_or_default();
        let other = Signer::new(b"other").sign(&grant());
        assert_eq!(s.verify(&other), Err(UploadError::InvalidToken));
        let mut g = grant();
        g.m = 1 << 40;
        let forged = format!(
            "{}.{tag}",
            b64url(&serde_json::to_vec(&g).unwrap_or_default())
        );
        assert_eq!(s.verify(&forged), Err(UploadError::InvalidToken));
        assert_eq!(s.verify(payload), Err(UploadError::InvalidToken));
        assert_eq!(
            s.verify(&format!("{payload}.zz")),
            Err(UploadError::InvalidToken)
        );
    }

    #[test]
    fn base64url_round_trips() {
        for n in 0..20 {
            let data: Vec<u8> = (0..n).map(|i| (i * 37 + 5) as u8).collect();
            assert_eq!(unb64url(&b64url(&data)), Some(data));
        }
    }
}
