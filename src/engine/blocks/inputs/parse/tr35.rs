//! Date formatting with Unicode TR35 patterns, the date-fns `format` tokens Typebot's date and
//! time inputs use (English names only).

use chrono::{Datelike, NaiveDateTime, Timelike};

/// English month names, January first.
pub(super) const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// English weekday names, Sunday first.
pub(super) const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Formats `dt` with a TR35 / date-fns pattern.
///
/// Tokens: `yyyy` `yy` `y` (year), `MMMM` `MMM` `MM` `M` (and `L…`: month), `dd` `d` (day),
/// `EEEE` `EEE` `EEEEE` `EEEEEE` (weekday), `HH` `H` (0–23), `hh` `h` (1–12), `mm` `m`, `ss` `s`,
/// `a` `aa` (AM/PM), `aaa` (am/pm), `aaaa` (a.m./p.m.), `aaaaa` (a/p). Text between single
/// quotes is literal (`'T'`), `''` is a quote; other letters and all other characters are
/// copied as they are. `"dd/MM/yyyy HH:mm"` gives `"15/01/2026 10:30"`.
pub fn format_tr35(dt: &NaiveDateTime, pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            if chars.peek() == Some(&'\'') {
                chars.next();
                out.push('\'');
                continue;
            }
            while let Some(q) = chars.next() {
                match (q, chars.peek()) {
                    ('\'', Some('\'')) => {
                        chars.next();
                        out.push('\'');
                    }
                    ('\'', _) => break,
                    _ => out.push(q),
                }
            }
            continue;
        }
        if !c.is_ascii_alphabetic() {
            out.push(c);
            continue;
        }
        let mut count = 1;
        while chars.peek() == Some(&c) {
            chars.next();
            count += 1;
        }
        push_field(&mut out, dt, c, count);
    }
    out
}

/// Appends the value of the field `letter` repeated `count` times.
fn push_field(out: &mut String, dt: &NaiveDateTime, letter: char, count: usize) {
    let pad = |value: u32, width: usize| format!("{value:0width$}");
    let hour12 = match dt.hour() % 12 {
        0 => 12,
        h => h,
    };
    let month = MONTHS[dt.month0() as usize];
    let weekday = WEEKDAYS[dt.weekday().num_days_from_sunday() as usize];
    let pm = dt.hour() >= 12;
    let text = match (letter, count) {
        ('y', 2) => pad(dt.year().rem_euclid(100) as u32, 2),
        ('y', n) => {
            let year = dt.year();
            let digits = format!("{:0n$}", year.unsigned_abs());
            if year < 0 {
                format!("-{digits}")
            } else {
                digits
            }
        }
        ('M' | 'L', 1 | 2) => pad(dt.month(), count),
        ('M' | 'L', 3) => month[..3].to_owned(),
        ('M' | 'L', 4) => month.to_owned(),
        ('M' | 'L', 5) => month[..1].to_owned(),
        ('d', n) => pad(dt.day(), n.min(2)),
        ('E', 1..=3) => weekday[..3].to_owned(),
        ('E', 4) => weekday.to_owned(),
        ('E', 5) => weekday[..1].to_owned(),
        ('E', 6) => weekday[..2].to_owned(),
        ('H', n) => pad(dt.hour(), n.min(2)),
        ('h', n) => pad(hour12, n.min(2)),
        ('m', n) => pad(dt.minute(), n.min(2)),
        ('s', n) => pad(dt.second(), n.min(2)),
        ('a', 1 | 2) => (if pm { "PM" } else { "AM" }).to_owned(),
        ('a', 3) => (if pm { "pm" } else { "am" }).to_owned(),
        ('a', 4) => (if pm { "p.m." } else { "a.m." }).to_owned(),
        ('a', 5) => (if pm { "p" } else { "a" }).to_owned(),
        _ => std::iter::repeat_n(letter, count).collect(),
    };
    out.push_str(&text);
}

#[cfg(test)]
mod tests {
    use super::format_tr35;
    use chrono::{NaiveDate, NaiveDateTime};

    fn dt(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_opt(h, mi, s)
            .unwrap()
    }

    #[test]
    fn numeric_tokens() {
        let t = dt(2026, 1, 5, 9, 7, 3);
        assert_eq!(format_tr35(&t, "dd/MM/yyyy"), "05/01/2026");
        assert_eq!(format_tr35(&t, "dd/MM/yyyy HH:mm"), "05/01/2026 09:07");
        assert_eq!(format_tr35(&t, "d/M/yy H:m:s"), "5/1/26 9:7:3");
        assert_eq!(format_tr35(&t, "y-MM-dd'T'HH:mm:ss"), "2026-01-05T09:07:03");
        assert_eq!(format_tr35(&dt(987, 12, 31, 0, 0, 0), "yyyy y"), "0987 987");
        assert_eq!(format_tr35(&dt(2000, 1, 1, 0, 0, 0), "yy"), "00");
    }

    #[test]
    fn names_and_twelve_hour_clock() {
        let t = dt(2026, 1, 15, 0, 30, 0); // a Thursday
        assert_eq!(
            format_tr35(&t, "EEEE, MMMM d, yyyy"),
            "Thursday, January 15, 2026"
        );
        assert_eq!(format_tr35(&t, "EEE d MMM"), "Thu 15 Jan");
        assert_eq!(format_tr35(&t, "EEEEE EEEEEE MMMMM LLL"), "T Th J Jan");
        assert_eq!(format_tr35(&t, "h:mm a"), "12:30 AM");
        assert_eq!(
            format_tr35(&dt(2026, 1, 15, 12, 5, 0), "hh:mm aa"),
            "12:05 PM"
        );
        assert_eq!(
            format_tr35(&dt(2026, 1, 15, 15, 45, 0), "h:mm aaa"),
            "3:45 pm"
        );
        assert_eq!(
            format_tr35(&dt(2026, 1, 15, 15, 45, 0), "h aaaa|aaaaa"),
            "3 p.m.|p"
        );
    }

    #[test]
    fn literals_and_unknown_letters() {
        let t = dt(2026, 3, 9, 14, 0, 0);
        assert_eq!(format_tr35(&t, "'Day' d 'of' MMMM"), "Day 9 of March");
        assert_eq!(format_tr35(&t, "HH'h'mm"), "14h00");
        assert_eq!(format_tr35(&t, "'o''clock' ''"), "o'clock '");
        assert_eq!(format_tr35(&t, "'unterminated"), "unterminated");
        assert_eq!(format_tr35(&t, "QQ xx"), "QQ xx");
        assert_eq!(format_tr35(&t, ""), "");
        assert_eq!(format_tr35(&t, "dd.MM – €"), "09.03 – €");
    }
}
