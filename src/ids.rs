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

    /// Issue 15, item 5: session (and result) ids are bearer capabilities.
    #[test]
    fn session_ids_carry_at_least_128_bits_from_the_os_rng() {
        // The first character is one of 26 letters, the 24 others one of 36 symbols.
        let bits = 26f64.log2() + 24.0 * (ALPHABET.len() as f64).log2();
        assert!(bits >= 128.0, "{bits} bits");
        // And every position is used uniformly: a broken generator (a constant, a counter, a
        // narrowed range) fails this, a uniform one passes with a wide margin.
        let n = 36 * 200;
        let mut counts = vec![[0u32; 36]; 25];
        for _ in 0..n {
            for (i, b) in new_id().bytes().enumerate() {
                let k = ALPHABET.iter().position(|&a| a == b).unwrap_or(0);
                counts[i][k] += 1;
            }
        }
        for (i, c) in counts.iter().enumerate().skip(1) {
            let (lo, hi) = (c.iter().min(), c.iter().max());
            // Expected 200 each; the bounds are over 6 standard deviations away.
            assert!(lo >= Some(&110) && hi <= Some(&290), "position {i}: {c:?}");
        }
        assert!(
            counts[0][26..].iter().all(|&c| c == 0),
            "starts with a letter"
        );
    }

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
