//! Sealing secrets at rest: ChaCha20-Poly1305 (an AEAD, from ring, already the crate's TLS
//! provider) under the 32-byte key of `TESSERA_SECRET_KEY`, a fresh random nonce per write,
//! and the credential's id and type as associated data, so a sealed blob moved to another
//! record does not open.

use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

const VERSION: &str = "v1:";

/// The key secrets are sealed with. Debug output never shows it.
pub struct SecretKey {
    key: LessSafeKey,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("TESSERA_SECRET_KEY must be 32 bytes, hex-encoded (64 hex digits)")]
    BadKey,
    #[error("a stored credential could not be decrypted (wrong TESSERA_SECRET_KEY, or altered)")]
    Open,
    #[error("no randomness available for a nonce")]
    Random,
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect()
}

fn hex_encode(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn aad(id: &str, kind: &str) -> Vec<u8> {
    format!("tessera-credential:{id}:{kind}").into_bytes()
}

impl SecretKey {
    /// Parses the hex-encoded 32-byte key.
    pub fn from_hex(hex: &str) -> Result<SecretKey, SealError> {
        let bytes = hex_decode(hex)
            .filter(|b| b.len() == 32)
            .ok_or(SealError::BadKey)?;
        let key = UnboundKey::new(&CHACHA20_POLY1305, &bytes).map_err(|_| SealError::BadKey)?;
        Ok(SecretKey {
            key: LessSafeKey::new(key),
        })
    }

    /// Encrypts `plain` for the credential `id` of type `kind`: `v1:<hex nonce + ciphertext>`.
    pub fn seal(&self, id: &str, kind: &str, plain: &[u8]) -> Result<String, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| SealError::Random)?;
        let mut buf = plain.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad(id, kind)),
                &mut buf,
            )
            .map_err(|_| SealError::Random)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(format!("{VERSION}{}", hex_encode(&out)))
    }

    /// Decrypts what [`seal`](Self::seal) produced for the same id and type.
    pub fn open(&self, id: &str, kind: &str, sealed: &str) -> Result<Vec<u8>, SealError> {
        let raw = sealed
            .strip_prefix(VERSION)
            .and_then(hex_decode)
            .filter(|r| r.len() > NONCE_LEN)
            .ok_or(SealError::Open)?;
        let (nonce, ct) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Open)?;
        let mut buf = ct.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(aad(id, kind)), &mut buf)
            .map_err(|_| SealError::Open)?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn sealed_secrets_open_only_for_their_record() {
        let Ok(k) = SecretKey::from_hex(KEY) else {
            panic!("key")
        };
        let Ok(s) = k.seal("a", "openai", b"sk-secret") else {
            panic!("seal")
        };
        assert!(!s.contains("sk-secret"));
        assert_eq!(k.open("a", "openai", &s).ok(), Some(b"sk-secret".to_vec()));
        assert_eq!(k.open("b", "openai", &s), Err(SealError::Open));
        assert_eq!(k.open("a", "smtp", &s), Err(SealError::Open));
        let Ok(s2) = k.seal("a", "openai", b"sk-secret") else {
            panic!("seal")
        };
        assert_ne!(s, s2, "a fresh nonce per write");
        assert_eq!(SecretKey::from_hex("abcd").err(), Some(SealError::BadKey));
        assert!(!format!("{k:?}").contains("00010203"));
    }
}
