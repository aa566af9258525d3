//! Number input: parsing, bounds and the stored text of the reply (Typebot's `number input`).

use regex::Regex;
use std::sync::LazyLock;

/// A whole decimal literal: optional sign, digits with an optional fraction, optional exponent.
static DECIMAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$").unwrap()
});

/// Parses a number reply and returns the text to store, or `None` when invalid.
///
/// The reply is trimmed and its first `,` becomes `.`; the whole text must then be a decimal
/// number (`"12abc"`, `"abc"`, `""`, `"1,000,000"` and non-finite values are rejected). `min` and
/// `max` are inclusive bounds, and 0 is a real bound. The stored text is the trimmed reply as
/// typed when it starts with `0` and has no comma (`"007"`, `"0.50"`), otherwise the value in
/// JavaScript `Number.prototype.toString` form (`"42.50"` → `"42.5"`, `"1e3"` → `"1000"`,
/// `"0,5"` → `"0.5"`, `"+3"` → `"3"`).
pub fn parse_number(text: &str, min: Option<f64>, max: Option<f64>) -> Option<String> {
    let trimmed = text.trim();
    let normalised = trimmed.replacen(',', ".", 1);
    if !DECIMAL.is_match(&normalised) {
        return None;
    }
    let value: f64 = normalised.parse().ok().filter(|v: &f64| v.is_finite())?;
    if min.is_some_and(|min| value < min) || max.is_some_and(|max| value > max) {
        return None;
    }
    if trimmed.starts_with('0') && !trimmed.contains(',') {
        return Some(trimmed.to_owned());
    }
    Some(js_number_to_string(value))
}

/// JavaScript `Number.prototype.toString()` (radix 10) for a finite or non-finite `f64`.
fn js_number_to_string(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if value == 0.0 {
        return "0".to_owned();
    }
    if value < 0.0 {
        return format!("-{}", js_number_to_string(-value));
    }
    // `{:e}` gives the shortest round-trip digits, as ECMAScript requires.
    let scientific = format!("{value:e}");
    let Some((mantissa, exponent)) = scientific.split_once('e') else {
        return format!("{value}");
    };
    let Ok(exponent) = exponent.parse::<i32>() else {
        return format!("{value}");
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let k = digits.len() as i32;
    let n = exponent + 1;
    if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(n as usize);
        format!("{int}.{frac}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let sign = if n > 0 { '+' } else { '-' };
        let e = (n - 1).abs();
        match digits.split_at(1) {
            (first, "") => format!("{first}e{sign}{e}"),
            (first, rest) => format!("{first}.{rest}e{sign}{e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{js_number_to_string, parse_number};

    fn p(text: &str) -> Option<String> {
        parse_number(text, None, None)
    }

    #[test]
    fn formats_like_javascript() {
        assert_eq!(p("42").as_deref(), Some("42"));
        assert_eq!(p("42.50").as_deref(), Some("42.5"));
        assert_eq!(p("1e3").as_deref(), Some("1000"));
        assert_eq!(p("-3").as_deref(), Some("-3"));
        assert_eq!(p("+3").as_deref(), Some("3"));
        assert_eq!(p(" 12,5 ").as_deref(), Some("12.5"));
        assert_eq!(p(".5").as_deref(), Some("0.5"));
        assert_eq!(p("12.").as_deref(), Some("12"));
        assert_eq!(p("-0").as_deref(), Some("0"));
        assert_eq!(p("1e21").as_deref(), Some("1e+21"));
        assert_eq!(
            p("123456789012345678901").as_deref(),
            Some("123456789012345680000")
        );
        assert_eq!(p("1.5e-7").as_deref(), Some("1.5e-7"));
        assert_eq!(p("-0.000001").as_deref(), Some("-0.000001"));
        assert_eq!(js_number_to_string(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(js_number_to_string(f64::NAN), "NaN");
        assert_eq!(js_number_to_string(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(js_number_to_string(2e-7), "2e-7");
    }

    #[test]
    fn keeps_leading_zero_text() {
        assert_eq!(p("007").as_deref(), Some("007"));
        assert_eq!(p(" 0.50 ").as_deref(), Some("0.50"));
        assert_eq!(p("0").as_deref(), Some("0"));
        assert_eq!(p("0,5").as_deref(), Some("0.5"));
        assert_eq!(p("-007").as_deref(), Some("-7"));
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "  ",
            "abc",
            "12abc",
            "12 3",
            "1,000,000",
            "1.2.3",
            "--1",
            "+",
            ".",
            "e5",
            "1e",
            "0x10",
            "Infinity",
            "NaN",
            "1e400",
            "1_000",
            "١٢",
            ",",
        ] {
            assert_eq!(p(bad), None, "{bad:?}");
        }
        assert_eq!(p("12,").as_deref(), Some("12"));
    }

    #[test]
    fn enforces_bounds_including_zero() {
        assert_eq!(parse_number("-1", Some(0.0), None), None);
        assert_eq!(
            parse_number("0", Some(0.0), Some(0.0)).as_deref(),
            Some("0")
        );
        assert_eq!(parse_number("1", None, Some(0.0)), None);
        assert_eq!(
            parse_number("5", Some(1.0), Some(10.0)).as_deref(),
            Some("5")
        );
        assert_eq!(
            parse_number("10", Some(1.0), Some(10.0)).as_deref(),
            Some("10")
        );
        assert_eq!(parse_number("10.01", Some(1.0), Some(10.0)), None);
        assert_eq!(parse_number("0,99", Some(1.0), None), None);
    }
}
