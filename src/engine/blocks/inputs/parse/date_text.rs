//! Reading one date/time expression out of free text for [`super::date`]: a chrono-node-like
//! subset (ISO and numeric dates, month names, casual words, weekdays, relative offsets, times).

use super::date_relative::find_relative;
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use regex::{Captures, Regex};
use std::ops::Range;
use std::sync::LazyLock;

/// Month names and abbreviations, matched on lower-cased text.
const MONTH: &str = "(january|february|march|april|may|june|july|august|september|october|\
november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)";
/// Compiles one of this module's literal patterns.
pub(super) fn re(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap()
}

static YMD: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"\b([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})",
        r"(?:t([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?|\b)"
    ))
});
static DMY: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{4}|[0-9]{2})\b"));
static DM: LazyLock<Regex> = LazyLock::new(|| re(r"\b([0-9]{1,2})/([0-9]{1,2})\b"));
static MONTH_DAY: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"\b{MONTH}\.?\s+([0-9]{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s*([0-9]{{4}})\b)?"
    ))
});
static DAY_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    let day = r"\b([0-9]{1,2})(?:st|nd|rd|th)?(?:\s+of\s+|[\s\-]*)";
    re(&format!(r"{day}{MONTH}\b\.?(?:,?[\s\-]*([0-9]{{4}})\b)?"))
});
static TIME_12: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b([0-9]{1,2})(?:[:.]([0-9]{2}))?(?::([0-9]{2}))?\s*([ap])\.?m\b"));
static TIME_24: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?\b"));
static TIME_H: LazyLock<Regex> = LazyLock::new(|| re(r"\b([0-9]{1,2})h([0-9]{2})?\b"));
static TIME_WORD: LazyLock<Regex> = LazyLock::new(|| re(r"\b(noon|midday|midnight)\b"));
static TIME_AT: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(?:at\s+([0-9]{1,2})|([0-9]{1,2})\s*o'?clock)\b"));

/// One date/time expression, resolved against the reference instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Moment {
    /// The calendar date (today when only a time was written).
    pub date: NaiveDate,
    /// Whether the text named a date (absolute or relative) rather than just a time.
    pub has_date: bool,
    /// The clock time the text gave (`10:30`, `now`, `in 2 hours`).
    pub time: Option<NaiveTime>,
    /// Time to use when none was given: 12:00 for absolute dates (chrono-node's implied noon),
    /// the reference time for relative ones (`tomorrow`, `next monday`), 22:00 for `tonight`.
    pub implied_time: NaiveTime,
}

impl Moment {
    /// The date with the given or implied time.
    pub fn datetime(&self) -> NaiveDateTime {
        self.date.and_time(self.time.unwrap_or(self.implied_time))
    }
}

/// A date found in the text.
pub(super) struct Found {
    /// The date.
    pub date: NaiveDate,
    /// A time given by the same expression (`2026-01-15T10:30`, `now`, `in 2 hours`).
    pub time: Option<NaiveTime>,
    /// Time to use when none is given; `None` means noon.
    pub implied: Option<NaiveTime>,
    /// Byte range of the expression, blanked before looking for a separate time.
    pub span: Range<usize>,
}

/// Reads the first date and/or time expression in `text`. `day_first` reads `01/02/2026` as
/// 1 February (chrono-node's en-GB parser) rather than January 2.
pub(super) fn parse_moment(text: &str, day_first: bool, now: NaiveDateTime) -> Option<Moment> {
    let lower = text.trim().to_lowercase();
    let now = now.with_nanosecond(0).unwrap_or(now);
    let noon = NaiveTime::from_hms_opt(12, 0, 0)?;
    let Some(found) = find_date(&lower, day_first, now) else {
        let time = find_time(&lower)?;
        return Some(Moment {
            date: now.date(),
            has_date: false,
            time: Some(time),
            implied_time: time,
        });
    };
    let time = found.time.or_else(|| {
        let mut rest = lower.clone();
        rest.replace_range(found.span.clone(), &" ".repeat(found.span.len()));
        find_time(&rest)
    });
    let implied_time = found.implied.unwrap_or(noon);
    Some(Moment {
        date: found.date,
        has_date: true,
        time,
        implied_time,
    })
}

/// Capture group `i` as a number.
fn num(caps: &Captures, i: usize) -> Option<u32> {
    caps.get(i)?.as_str().parse().ok()
}

fn find_date(s: &str, day_first: bool, now: NaiveDateTime) -> Option<Found> {
    let absolute = |date: Option<NaiveDate>, time: Option<NaiveTime>, span: Range<usize>| {
        date.map(|date| Found {
            date,
            time,
            implied: None,
            span,
        })
    };
    if let Some(c) = YMD.captures(s) {
        let date = NaiveDate::from_ymd_opt(num(&c, 1)? as i32, num(&c, 2)?, num(&c, 3)?);
        let time = match num(&c, 4) {
            Some(h) => Some(NaiveTime::from_hms_opt(
                h,
                num(&c, 5)?,
                num(&c, 6).unwrap_or(0),
            )?),
            None => None,
        };
        return absolute(date, time, c.get(0)?.range());
    }
    if let Some(c) = DMY.captures(s) {
        let year = full_year(num(&c, 3)?, c.get(3)?.len());
        let (month, day) = month_day(num(&c, 1)?, num(&c, 2)?, day_first);
        return absolute(
            NaiveDate::from_ymd_opt(year, month, day),
            None,
            c.get(0)?.range(),
        );
    }
    if let Some(c) = DM.captures(s) {
        let (month, day) = month_day(num(&c, 1)?, num(&c, 2)?, day_first);
        return absolute(closest_year(month, day, now), None, c.get(0)?.range());
    }
    for (regex, month_at, day_at) in [(&*MONTH_DAY, 1, 2), (&*DAY_MONTH, 2, 1)] {
        if let Some(c) = regex.captures(s) {
            let month = month_number(c.get(month_at)?.as_str())?;
            let day = num(&c, day_at)?;
            let date = match num(&c, 3) {
                Some(year) => NaiveDate::from_ymd_opt(year as i32, month, day),
                None => closest_year(month, day, now),
            };
            return absolute(date, None, c.get(0)?.range());
        }
    }
    find_relative(s, now)
}

fn find_time(s: &str) -> Option<NaiveTime> {
    let hms = |h, m, sec| NaiveTime::from_hms_opt(h, m, sec);
    let twelve = TIME_12.captures(s).and_then(|c| {
        let hour = num(&c, 1).filter(|h| (1..=12).contains(h))? % 12;
        let pm = c.get(4)?.as_str() == "p";
        hms(
            hour + if pm { 12 } else { 0 },
            num(&c, 2).unwrap_or(0),
            num(&c, 3).unwrap_or(0),
        )
    });
    twelve
        .or_else(|| {
            TIME_24
                .captures(s)
                .and_then(|c| hms(num(&c, 1)?, num(&c, 2)?, num(&c, 3).unwrap_or(0)))
        })
        .or_else(|| {
            TIME_H
                .captures(s)
                .and_then(|c| hms(num(&c, 1)?, num(&c, 2).unwrap_or(0), 0))
        })
        .or_else(|| {
            let word = TIME_WORD.captures(s)?.get(1)?.as_str();
            hms(if word == "midnight" { 0 } else { 12 }, 0, 0)
        })
        .or_else(|| {
            TIME_AT
                .captures(s)
                .and_then(|c| hms(num(&c, 1).or(num(&c, 2))?, 0, 0))
        })
}

/// chrono-node `findMostLikelyADYear`: two-digit years above 50 are 19xx, others 20xx.
fn full_year(year: u32, digits: usize) -> i32 {
    match (digits, year) {
        (..=2, 51..) => 1900 + year as i32,
        (..=2, _) => 2000 + year as i32,
        _ => year as i32,
    }
}

/// Orders two numbers as (month, day), swapping when the "month" cannot be one.
fn month_day(first: u32, second: u32, day_first: bool) -> (u32, u32) {
    let (day, month) = if day_first {
        (first, second)
    } else {
        (second, first)
    };
    if month > 12 && day <= 12 {
        (day, month)
    } else {
        (month, day)
    }
}

/// A date without year: the one closest to the reference date (chrono-node behaviour).
fn closest_year(month: u32, day: u32, now: NaiveDateTime) -> Option<NaiveDate> {
    let year = now.year();
    [year, year - 1, year + 1]
        .into_iter()
        .filter_map(|y| NaiveDate::from_ymd_opt(y, month, day))
        .min_by_key(|d| (*d - now.date()).num_days().abs())
}

fn month_number(name: &str) -> Option<u32> {
    const ABBR: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    ABBR.iter()
        .position(|a| name.starts_with(a))
        .map(|i| i as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::{full_year, parse_moment};
    use crate::engine::blocks::inputs::parse::test_at as at;
    use chrono::NaiveDate;

    #[test]
    fn two_digit_years() {
        assert_eq!(full_year(26, 2), 2026);
        assert_eq!(full_year(51, 2), 1951);
        assert_eq!(full_year(50, 2), 2050);
        assert_eq!(full_year(2026, 4), 2026);
    }

    #[test]
    fn moments() {
        let now = at(2026, 1, 14);
        let m = parse_moment("  FRIDAY 5PM ", true, now).unwrap();
        assert_eq!((m.date, m.has_date), (at(2026, 1, 16).date(), true));
        assert_eq!(
            m.datetime(),
            at(2026, 1, 16).date().and_hms_opt(17, 0, 0).unwrap()
        );
        let m = parse_moment("10:30", true, now).unwrap();
        assert!(!m.has_date);
        assert_eq!(
            parse_moment("in 99999999999999999999 days", true, now),
            None
        );
        assert_eq!(parse_moment("Feb 29", true, now).map(|m| m.date), None);
        let leap = parse_moment("Feb 29", true, at(2028, 1, 14)).map(|m| m.date);
        assert_eq!(leap, NaiveDate::from_ymd_opt(2028, 2, 29));
    }
}
