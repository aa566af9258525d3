//! Identifiers: session and result ids are unguessable bearer capabilities, so they come from
//! the OS-seeded CSPRNG with at least 128 bits of entropy, in cuid2's alphabet (lower-case
//! letters and digits, starting with a letter) so clients that validate ids accept them.

use rand::Rng;

const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// A new random id: 25 characters, about 128.8 bits of entropy.
pub fn new_id() -> String {
    let mut rng = rand::rng();
    let mut s = String::with_capacity(25);
    s.push(ALPHABET[rng.random_range(0..26)] as char);
    for _ in 0..24 {
        s.push(ALPHABET[rng.random_range(0..ALPHABET.len())] as char);
    }
    s
}

/// Whether a string looks like an id we could have issued (cheap pre-check before lookups).
pub fn is_plausible_id(s: &str) -> bool {
    (1..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_long_random_and_well_formed() {
        let a = new_id();
        let b = new_id();
        assert_eq!(a.len(), 25);
        assert_ne!(a, b);
        assert!(a.as_bytes()[0].is_ascii_lowercase());
        assert!(a.bytes().all(|c| ALPHABET.contains(&c)));
        assert!(is_plausible_id(&a));
        assert!(!is_plausible_id("../etc"));
    }
}
