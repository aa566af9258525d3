//! Email input: validation and normalisation of the reply (Typebot's `email input`).

use regex::Regex;
use std::sync::LazyLock;

/// Local part: Typebot's unquoted form (no spaces, no `<>()[]\.,;:@"`, dots only between
/// non-empty atoms). Domain: dot-separated ASCII labels that neither start nor end with `-`,
/// ending in a TLD of at least two letters.
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r#"^[^<>()\[\]\\.,;:\s@"\p{Cc}]+(?:\.[^<>()\[\]\\.,;:\s@"\p{Cc}]+)*"#,
        r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}$",
    ))
    .unwrap()
});

/// Longest local part allowed by RFC 5321.
const MAX_LOCAL: usize = 64;
/// Longest address usable in a SMTP path (RFC 5321 path limit minus the angle brackets).
const MAX_TOTAL: usize = 254;

/// Validates an email reply and returns it trimmed and lower-cased, or `None` when invalid.
///
/// `"John@Example.com "` gives `Some("john@example.com")`; `"not an email"` gives `None`.
/// The length limits hold for the stored (lower-cased) address: lower-casing can lengthen a text
/// (`"İ"` is two bytes, `"i̇"` three), and an accepted address must be accepted again as it is.
pub fn parse_email(text: &str) -> Option<String> {
    let email = text.trim();
    if email.len() > MAX_TOTAL || !EMAIL.is_match(email) {
        return None;
    }
    let email = email.to_lowercase();
    let local_len = email.rfind('@').unwrap_or(0);
    if email.len() > MAX_TOTAL || local_len > MAX_LOCAL {
        return None;
    }
    Some(email)
}

#[cfg(test)]
mod tests {
    use super::parse_email;

    #[test]
    fn accepts_and_normalises() {
        assert_eq!(
            parse_email("John@Example.com ").as_deref(),
            Some("john@example.com")
        );
        assert_eq!(parse_email("a@b.co").as_deref(), Some("a@b.co"));
        assert_eq!(
            parse_email("  first.last+tag@sub.mail-host.org\n").as_deref(),
            Some("first.last+tag@sub.mail-host.org")
        );
        assert_eq!(parse_email("o'brien@x.ie").as_deref(), Some("o'brien@x.ie"));
        assert_eq!(
            parse_email("Élodie@exemple.fr").as_deref(),
            Some("élodie@exemple.fr")
        );
    }

    #[test]
    fn rejects_invalid() {
        for bad in [
            "",
            "   ",
            "not an email",
            "john",
            "john@",
            "@example.com",
            "john@example",
            "john@example.c",
            "john@example.c0m",
            "john doe@example.com",
            "john@exa mple.com",
            ".john@example.com",
            "john.@example.com",
            "jo..hn@example.com",
            "john@@example.com",
            "john@-example.com",
            "john@example-.com",
            "john@.example.com",
            "john@example..com",
            "\"john doe\"@example.com",
            "john@[127.0.0.1]",
            "<john@example.com>",
            "john@example.com.",
            "jo\u{0}hn@example.com",
        ] {
            assert_eq!(parse_email(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn enforces_length_limits() {
        let local = "a".repeat(64);
        assert!(parse_email(&format!("{local}@example.com")).is_some());
        assert_eq!(parse_email(&format!("a{local}@example.com")), None);
        let long_domain = format!("{}.com", "d".repeat(250));
        assert_eq!(parse_email(&format!("a@{long_domain}")), None);
    }

    /// Found with the `reply_parsers` fuzz target (its round-trip property): 32 × "İ" is a
    /// 64-byte local part, accepted, but lower-cased it is 32 × "i\u{307}", 96 bytes, which the
    /// parser itself then refuses. The limits apply to the lower-cased address.
    #[test]
    fn length_limits_apply_to_the_lower_cased_address() {
        let dotted = format!("{}@a.co", "İ".repeat(32));
        assert_eq!(dotted.find('@'), Some(64));
        assert_eq!(parse_email(&dotted), None);
        let fits = format!("{}@a.co", "İ".repeat(21));
        let stored = parse_email(&fits).expect("a 63-byte lower-cased local part");
        assert_eq!(stored, format!("{}@a.co", "i\u{307}".repeat(21)));
        assert_eq!(parse_email(&stored).as_deref(), Some(stored.as_str()));
        // "Ⱥ" (2 bytes) lower-cases to "ⱥ" (3 bytes): the total limit counts the stored form.
        let total = format!("{}@{}.com", "Ⱥ".repeat(21), "d".repeat(196));
        assert_eq!((total.len(), total.to_lowercase().len()), (243, 264));
        assert_eq!(parse_email(&total), None);
    }
}
