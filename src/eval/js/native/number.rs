//! JavaScript's conversions between numbers and strings, exactly as ECMA-262 defines them:
//! `Number::toString` (shortest round-trip digits, then the spec's layout rules) and
//! `StringToNumber` (trimmed with JavaScript's own whitespace set, decimal, `Infinity`, or
//! `0x`/`0o`/`0b` integers). Anything this module cannot do exactly returns `None`, and the
//! caller hands the whole expression to QuickJS.

/// `Number::toString(x)` in radix 10.
pub(super) fn to_string(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x == 0.0 {
        return "0".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if x < 0.0 {
        return format!("-{}", to_string(-x));
    }
    // Rust's `{:e}` without a precision prints the shortest digits that round-trip, like
    // JavaScript: "1.2345e-7", "5e-324", "1e21".
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    let k = digits.len() as i32;
    let n = exp + 1;
    if k <= n && n <= 21 {
        let mut s = digits;
        s.extend(std::iter::repeat_n('0', (n - k) as usize));
        s
    } else if 0 < n && n <= 21 {
        format!("{}.{}", &digits[..n as usize], &digits[n as usize..])
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let sign = if n - 1 < 0 { '-' } else { '+' };
        let e = (n - 1).abs();
        if k == 1 {
            format!("{digits}e{sign}{e}")
        } else {
            format!("{}.{}e{sign}{e}", &digits[..1], &digits[1..])
        }
    }
}

/// JavaScript's WhiteSpace and LineTerminator code points (what `String.prototype.trim` and
/// `Number("…")` strip); not the same set as Rust's `char::is_whitespace`.
pub(super) fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\u{9}' | '\u{a}' | '\u{b}' | '\u{c}' | '\u{d}' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// `StringToNumber(s)`; `None` when the exact value is not computed here (huge integers in
/// hex, octal or binary).
pub(super) fn from_str(s: &str) -> Option<f64> {
    let t = s.trim_matches(is_js_space);
    if t.is_empty() {
        return Some(0.0);
    }
    let b = t.as_bytes();
    if b.len() > 2 && b[0] == b'0' {
        let radix = match b[1] {
            b'x' | b'X' => 16,
            b'o' | b'O' => 8,
            b'b' | b'B' => 2,
            _ => 0,
        };
        if radix != 0 {
            let mut v: u64 = 0;
            for &c in &b[2..] {
                let Some(d) = (c as char).to_digit(radix) else {
                    return Some(f64::NAN);
                };
                v = v.checked_mul(u64::from(radix))?.checked_add(u64::from(d))?;
                if v > 1 << 53 {
                    return None;
                }
            }
            return Some(v as f64);
        }
    }
    let (neg, body) = match b[0] {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let value = if body == "Infinity" {
        f64::INFINITY
    } else if is_decimal(body) {
        body.parse::<f64>().ok()?
    } else {
        return Some(f64::NAN);
    };
    Some(if neg { -value } else { value })
}

/// StrUnsignedDecimalLiteral without `Infinity`: `1`, `1.`, `.5`, `1.5e-3`; at least one digit
/// in the mantissa, digits after an exponent marker.
pub(super) fn is_decimal(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let int = count_digits(&b[i..]);
    i += int;
    let mut frac = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac = count_digits(&b[i..]);
        i += frac;
    }
    if int + frac == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let e = count_digits(&b[i..]);
        if e == 0 {
            return false;
        }
        i += e;
    }
    i == b.len()
}

fn count_digits(b: &[u8]) -> usize {
    b.iter().take_while(|c| c.is_ascii_digit()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_like_javascript() {
        let cases = [
            (0.1 + 0.2, "0.30000000000000004"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (123.456, "123.456"),
            (0.000001, "0.000001"),
            (0.0000001, "1e-7"),
            (1.5e-7, "1.5e-7"),
            (-0.0, "0"),
            (-2.5, "-2.5"),
            (f64::INFINITY, "Infinity"),
            (f64::NAN, "NaN"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (42.0, "42"),
        ];
        for (x, s) in cases {
            assert_eq!(to_string(x), s, "{x:?}");
        }
    }

    #[test]
    fn strings_convert_like_javascript() {
        assert_eq!(from_str(" 12 "), Some(12.0));
        assert_eq!(from_str("\u{feff}\u{a0}7\n"), Some(7.0));
        assert!(from_str("\u{85}7").is_some_and(f64::is_nan));
        assert_eq!(from_str(""), Some(0.0));
        assert_eq!(from_str("0x1F"), Some(31.0));
        assert!(from_str("-0x1F").is_some_and(f64::is_nan));
        assert_eq!(from_str("-Infinity"), Some(f64::NEG_INFINITY));
        assert!(from_str("inf").is_some_and(f64::is_nan));
        assert!(from_str("1e").is_some_and(f64::is_nan));
        assert_eq!(from_str(".5"), Some(0.5));
        assert_eq!(from_str("5."), Some(5.0));
        assert_eq!(from_str("0xFFFFFFFFFFFFFFFFFF"), None);
    }
}
