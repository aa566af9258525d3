//! Phone number input: finds a phone number in the reply and returns it in E.164 form
//! (an approximation of libphonenumber-js `findPhoneNumbersInText` as Typebot uses it).

use super::phone_data::{calling_code, idd_prefixes, is_calling_code, plan};
use regex::Regex;
use std::sync::LazyLock;

/// A run of digits and phone punctuation, optionally led by `+` and/or `(`.
static CANDIDATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:[+＋][ \t\u{a0}]*)?[(\[]?[0-9](?:[0-9 \t\u{a0}().\-/\[\]]*[0-9])?").unwrap()
});

/// Slash, dash or dot separated dates (`15/01/2026`, `2026-01-15`): never phone numbers.
static DATE_LIKE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^(?:[0-9]{1,2}[/.\-][0-9]{1,2}[/.\-][0-9]{2,4}",
        r"|[0-9]{4}[/.\-][0-9]{1,2}[/.\-][0-9]{1,2})$"
    ))
    .unwrap()
});

/// North American numbers: area code and exchange both start with 2-9.
static NANP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[2-9][0-9]{2}[2-9][0-9]{6}$").unwrap());

/// Longest digit-and-punctuation run considered (bounds the work on long replies).
const MAX_CANDIDATE_LEN: usize = 64;

/// Shortest and longest E.164 number, country calling code included, in digits.
const E164_DIGITS: std::ops::RangeInclusive<usize> = 8..=15;

/// Finds the first phone number in `text` and returns it in E.164 form (`"+33612345678"`).
///
/// Numbers written with `+` (or an international prefix such as `00`, or `011` from North
/// America) carry their country; others are read in `default_country` (ISO 3166-1 alpha-2,
/// case-insensitive; unknown codes are ignored), dropping its national trunk prefix (`0` in
/// most countries, `1` in North America, `8` in Russia). With no usable default country only
/// `+` or `00` numbers are accepted. A number must fit the country's national-number length
/// and have 8 to 15 digits in E.164 form.
///
/// `"(415) 555-2671"` with `Some("US")` gives `Some("+14155552671")`; `"06 12 34 56 78"` with
/// `Some("FR")` gives `Some("+33612345678")`; `"123"`, `"abc"` give `None`.
pub fn parse_phone(text: &str, default_country: Option<&str>) -> Option<String> {
    let default_cc = default_country.and_then(calling_code);
    CANDIDATE
        .find_iter(text)
        .take(32)
        .filter(|m| !touches_letter(text, m.start(), m.end()))
        .map(|m| m.as_str())
        .filter(|candidate| candidate.len() <= MAX_CANDIDATE_LEN)
        .filter(|candidate| !DATE_LIKE.is_match(candidate))
        .find_map(|candidate| {
            group_starts(candidate).find_map(|at| parse_candidate(&candidate[at..], default_cc))
        })
}

/// libphonenumber skips numbers glued to letters (`"abc0612345678"`, `"0612345678xyz"`).
fn touches_letter(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    [before, after]
        .into_iter()
        .flatten()
        .any(char::is_alphabetic)
}

/// Byte offsets where a whitespace-separated group starts; the whole candidate comes first,
/// then shorter suffixes so that `"room 12 06 12 34 56 78"` still finds the number.
fn group_starts(candidate: &str) -> impl Iterator<Item = usize> + '_ {
    let bytes = candidate.as_bytes();
    let starts_group = move |&i: &usize| {
        matches!(bytes[i - 1], b' ' | b'\t') && (bytes[i].is_ascii_digit() || bytes[i] == b'(')
    };
    std::iter::once(0).chain((1..bytes.len()).filter(starts_group))
}

/// Reads one candidate: international (`+`, IDD prefix) or national in the default country.
fn parse_candidate(candidate: &str, default_cc: Option<u16>) -> Option<String> {
    let international = candidate.starts_with(['+', '＋']);
    let digits: String = candidate.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 3 || digits.len() > 17 {
        return None;
    }
    if international {
        return parse_international(&digits);
    }
    let Some(cc) = default_cc else {
        return digits.strip_prefix("00").and_then(parse_international);
    };
    idd_prefixes(cc)
        .iter()
        .filter_map(|idd| digits.strip_prefix(idd))
        .find_map(parse_international)
        .or_else(|| finish(cc, &digits))
        .or_else(|| {
            digits
                .strip_prefix(&cc.to_string())
                .and_then(|nsn| finish(cc, nsn))
        })
}

/// Splits `digits` (no `+`) into a calling code and a national number.
fn parse_international(digits: &str) -> Option<String> {
    (1..=3.min(digits.len())).find_map(|len| {
        let cc: u16 = digits[..len].parse().ok()?;
        is_calling_code(cc)
            .then(|| finish(cc, &digits[len..]))
            .flatten()
    })
}

/// Validates the national part (dropping a trunk prefix if that makes it valid) and formats.
fn finish(cc: u16, national: &str) -> Option<String> {
    let plan = plan(cc);
    plan.trunk
        .split('|')
        .filter(|trunk| !trunk.is_empty())
        .filter_map(|trunk| national.strip_prefix(trunk))
        .chain(std::iter::once(national))
        .find(|nsn| is_valid_nsn(cc, nsn))
        .map(|nsn| format!("+{cc}{nsn}"))
}

/// Whether `nsn` is a plausible national significant number behind calling code `cc`.
fn is_valid_nsn(cc: u16, nsn: &str) -> bool {
    let plan = plan(cc);
    let total = cc.to_string().len() + nsn.len();
    (plan.min..=plan.max).contains(&nsn.len())
        && E164_DIGITS.contains(&total)
        && !(plan.trunk.split('|').any(|t| t == "0") && nsn.starts_with('0'))
        && (cc != 1 || NANP.is_match(nsn))
}

#[cfg(test)]
mod tests {
    use super::parse_phone;

    fn p(text: &str, country: Option<&str>) -> Option<String> {
        parse_phone(text, country)
    }

    #[test]
    fn international_forms() {
        for text in [
            "+33 6 12 34 56 78",
            "+33612345678",
            "+33 (0)6 12 34 56 78",
            "+33.6.12.34.56.78",
        ] {
            assert_eq!(p(text, None).as_deref(), Some("+33612345678"), "{text}");
            assert_eq!(
                p(text, Some("US")).as_deref(),
                Some("+33612345678"),
                "{text}"
            );
        }
        assert_eq!(p("0033612345678", None).as_deref(), Some("+33612345678"));
        assert_eq!(
            p("0033612345678", Some("DE")).as_deref(),
            Some("+33612345678")
        );
        assert_eq!(
            p("011 33 6 12 34 56 78", Some("US")).as_deref(),
            Some("+33612345678")
        );
        assert_eq!(
            p("+1 (415) 555-2671", None).as_deref(),
            Some("+14155552671")
        );
        assert_eq!(
            p("+44 20 7946 0958", None).as_deref(),
            Some("+442079460958")
        );
        assert_eq!(
            p("+39 06 1234 5678", None).as_deref(),
            Some("+390612345678")
        );
        assert_eq!(p("+7 800 555 35 35", None).as_deref(), Some("+78005553535"));
        assert_eq!(
            p("+49 30 1234567", Some("FR")).as_deref(),
            Some("+49301234567")
        );
        assert_eq!(p("＋33612345678", None).as_deref(), Some("+33612345678"));
    }

    #[test]
    fn national_forms_use_default_country() {
        assert_eq!(
            p("(415) 555-2671", Some("US")).as_deref(),
            Some("+14155552671")
        );
        assert_eq!(
            p("1-415-555-2671", Some("us")).as_deref(),
            Some("+14155552671")
        );
        assert_eq!(
            p("415.555.2671", Some("CA")).as_deref(),
            Some("+14155552671")
        );
        assert_eq!(
            p("06 12 34 56 78", Some("FR")).as_deref(),
            Some("+33612345678")
        );
        assert_eq!(p("0612345678", Some("FR")).as_deref(), Some("+33612345678"));
        assert_eq!(
            p("33612345678", Some("FR")).as_deref(),
            Some("+33612345678")
        );
        assert_eq!(
            p("020 7946 0958", Some("GB")).as_deref(),
            Some("+442079460958")
        );
        assert_eq!(
            p("8 (800) 555-35-35", Some("RU")).as_deref(),
            Some("+78005553535")
        );
        assert_eq!(
            p("612 345 678", Some("ES")).as_deref(),
            Some("+34612345678")
        );
        assert_eq!(
            p("06 1234 5678", Some("IT")).as_deref(),
            Some("+390612345678")
        );
        assert_eq!(
            p("0712 345678", Some("KE")).as_deref(),
            Some("+254712345678")
        );
    }

    #[test]
    fn finds_numbers_in_free_text() {
        let text = "Sure! my number is 06 12 34 56 78, call me after 6pm";
        assert_eq!(p(text, Some("FR")).as_deref(), Some("+33612345678"));
        assert_eq!(
            p("room 12 06 12 34 56 78", Some("FR")).as_deref(),
            Some("+33612345678")
        );
        assert_eq!(
            p("tel: +33612345678.", None).as_deref(),
            Some("+33612345678")
        );
        let text = "born 15/01/1990, reach me at (415) 555-2671 ext 3";
        assert_eq!(p(text, Some("US")).as_deref(), Some("+14155552671"));
    }

    #[test]
    fn rejects_invalid() {
        assert_eq!(p("123", Some("FR")), None);
        assert_eq!(p("abc", Some("FR")), None);
        assert_eq!(p("", Some("FR")), None);
        assert_eq!(p("0612345678", None), None);
        assert_eq!(p("0612345678", Some("ZZ")), None);
        assert_eq!(p("0612345678", Some("")), None);
        assert_eq!(p("06 12 34 56", Some("FR")), None);
        assert_eq!(p("06 12 34 56 78 90", Some("FR")), None);
        assert_eq!(p("(115) 555-2671", Some("US")), None);
        assert_eq!(p("+28 123456789", None), None);
        assert_eq!(p("+1234567890123456789", None), None);
        assert_eq!(p("15/01/2026", Some("FR")), None);
        assert_eq!(p("2026-01-15", Some("DE")), None);
        assert_eq!(p("abc0612345678", Some("FR")), None);
        assert_eq!(p("+", None), None);
    }

    #[test]
    fn default_plan_and_e164_bounds() {
        assert_eq!(
            p("+237 6 71 23 45 67", None).as_deref(),
            Some("+237671234567")
        );
        assert_eq!(p("+683 1234", None), None);
        assert_eq!(p("+800 1234 5678", None).as_deref(), Some("+80012345678"));
    }
}
