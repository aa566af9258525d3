//! Relative date expressions for [`super::date_text`]: casual words (`today`, `tomorrow`, `now`),
//! offsets (`in 3 days`, `2 weeks ago`, `next month`) and weekdays (`next monday`), resolved
//! against the reference instant the way chrono-node does.

use super::date_text::{Found, re};
use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime, NaiveTime};
use regex::Regex;
use std::ops::Range;
use std::sync::LazyLock;

/// Weekday names and abbreviations.
const WEEKDAY: &str = "(sunday|monday|tuesday|wednesday|thursday|friday|saturday|\
sun|mon|tues|tue|wed|thurs|thur|thu|fri|sat)";
/// How many units: digits, `a`/`an`, number words, `a few` (3), `several` (7).
const COUNT: &str = concat!(
    r"([0-9]+|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|",
    r"a\s+few|few|several)"
);
/// Time units, singular or plural, with common abbreviations.
const UNIT: &str = r"(seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)";

static CASUAL: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"\b(day\s+after\s+tomorrow|day\s+before\s+yesterday|",
        r"today|tonight|tomorrow|tmrw?|yesterday|now)\b"
    ))
});
static IN_UNITS: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"\b(?:(?:in|within)\s+{COUNT}\s+{UNIT}|{COUNT}\s+{UNIT}\s+(from\s+now|later|ago))\b"
    ))
});
static NEXT_UNIT: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(next|last|past)\s+(week|month|year)\b"));
static ON_WEEKDAY: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"\b(?:(this|next|last|past|coming)\s+)?{WEEKDAY}\b"
    ))
});

/// Finds the first relative date expression in lower-cased `s`. The implied time of a relative
/// date is the reference time (chrono-node implies the time of the reference for these).
pub(super) fn find_relative(s: &str, now: NaiveDateTime) -> Option<Found> {
    let today = now.date();
    let relative = |date: NaiveDate, time: Option<NaiveTime>, span: Range<usize>| {
        Some(Found {
            date,
            time,
            implied: Some(time.unwrap_or(now.time())),
            span,
        })
    };
    if let Some(c) = CASUAL.captures(s) {
        let word = c.get(1)?.as_str();
        let span = c.get(0)?.range();
        let (days, time) = match word.split_whitespace().next()? {
            "now" => (0, Some(now.time())),
            "tonight" => {
                return Some(Found {
                    date: today,
                    time: None,
                    implied: NaiveTime::from_hms_opt(22, 0, 0),
                    span,
                });
            }
            "today" => (0, None),
            "yesterday" => (-1, None),
            "day" if word.ends_with("tomorrow") => (2, None),
            "day" => (-2, None),
            _ => (1, None),
        };
        return relative(today.checked_add_signed(Duration::days(days))?, time, span);
    }
    if let Some(c) = IN_UNITS.captures(s) {
        let ago = c.get(5).is_some_and(|m| m.as_str() == "ago");
        let count = count_value(c.get(1).or(c.get(3))?.as_str())?;
        let unit = c.get(2).or(c.get(4))?.as_str();
        let target = shift(now, if ago { -count } else { count }, unit)?;
        let clock = ["sec", "min", "hour", "hr"]
            .iter()
            .any(|p| unit.starts_with(p));
        return relative(
            target.date(),
            clock.then_some(target.time()),
            c.get(0)?.range(),
        );
    }
    if let Some(c) = NEXT_UNIT.captures(s) {
        let count = if c.get(1)?.as_str() == "next" { 1 } else { -1 };
        let target = shift(now, count, c.get(2)?.as_str())?;
        return relative(target.date(), None, c.get(0)?.range());
    }
    if let Some(c) = ON_WEEKDAY.captures(s) {
        let weekday = weekday_number(c.get(2)?.as_str())?;
        let days = days_to_weekday(
            now.weekday().num_days_from_sunday(),
            weekday,
            c.get(1).map(|m| m.as_str()),
        );
        return relative(
            today.checked_add_signed(Duration::days(days))?,
            None,
            c.get(0)?.range(),
        );
    }
    None
}

/// Sunday = 0 … Saturday = 6.
fn weekday_number(name: &str) -> Option<u32> {
    const ABBR: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    ABBR.iter()
        .position(|a| name.starts_with(a))
        .map(|i| i as u32)
}

/// chrono-node `getDaysToWeekday`: days from the reference weekday to the named one.
fn days_to_weekday(reference: u32, weekday: u32, modifier: Option<&str>) -> i64 {
    let (reference, weekday) = (i64::from(reference), i64::from(weekday));
    let forward = (weekday - reference).rem_euclid(7);
    let backward = if weekday - reference >= 0 {
        weekday - reference - 7
    } else {
        weekday - reference
    };
    match modifier {
        Some("this" | "coming") => forward,
        Some("last" | "past") => backward,
        Some(_) if reference == 0 => {
            if weekday == 0 {
                7
            } else {
                weekday
            }
        }
        Some(_) if reference == 6 => match weekday {
            6 => 7,
            0 => 8,
            w => 1 + w,
        },
        Some(_) if weekday < reference && weekday != 0 => forward,
        Some(_) => forward + 7,
        None if forward < -backward => forward,
        None => backward,
    }
}

/// The number a [`COUNT`] word stands for.
fn count_value(word: &str) -> Option<i64> {
    const WORDS: [&str; 13] = [
        "", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve",
    ];
    match word {
        "a" | "an" => Some(1),
        "several" => Some(7),
        w if w.ends_with("few") => Some(3),
        w => w
            .parse()
            .ok()
            .or_else(|| WORDS.iter().position(|n| *n == w).map(|n| n as i64)),
    }
}

/// The reference instant moved by `count` units (`"days"`, `"mins"`, `"month"`…).
fn shift(now: NaiveDateTime, count: i64, unit: &str) -> Option<NaiveDateTime> {
    let by_months = |n: i64| {
        let m = Months::new(u32::try_from(n.unsigned_abs()).ok()?);
        if n >= 0 {
            now.checked_add_months(m)
        } else {
            now.checked_sub_months(m)
        }
    };
    let duration = match unit.trim_end_matches('s') {
        "second" | "sec" => Duration::try_seconds(count)?,
        "minute" | "min" => Duration::try_minutes(count)?,
        "hour" | "hr" => Duration::try_hours(count)?,
        "day" => Duration::try_days(count)?,
        "week" => Duration::try_weeks(count)?,
        "month" => return by_months(count),
        _ => return by_months(count.checked_mul(12)?),
    };
    now.checked_add_signed(duration)
}

#[cfg(test)]
mod tests {
    use super::{days_to_weekday, shift};
    use crate::engine::blocks::inputs::parse::test_at as at;

    #[test]
    fn weekday_offsets_follow_chrono_node() {
        // From Sunday (0): next Sunday is a week later, next Monday tomorrow.
        assert_eq!(days_to_weekday(0, 0, Some("next")), 7);
        assert_eq!(days_to_weekday(0, 1, Some("next")), 1);
        // From Saturday (6): next Saturday +7, next Sunday +8, next Monday +2.
        assert_eq!(days_to_weekday(6, 6, Some("next")), 7);
        assert_eq!(days_to_weekday(6, 0, Some("next")), 8);
        assert_eq!(days_to_weekday(6, 1, Some("next")), 2);
        // From Wednesday (3).
        assert_eq!(days_to_weekday(3, 1, Some("next")), 5);
        assert_eq!(days_to_weekday(3, 3, Some("next")), 7);
        assert_eq!(days_to_weekday(3, 3, Some("this")), 0);
        assert_eq!(days_to_weekday(3, 3, Some("last")), -7);
        assert_eq!(days_to_weekday(3, 3, None), 0);
        assert_eq!(days_to_weekday(3, 6, None), 3);
        assert_eq!(days_to_weekday(3, 0, None), -3);
    }

    #[test]
    fn shifts() {
        assert_eq!(
            shift(at(2026, 1, 31), 1, "month").map(|d| d.date()),
            Some(at(2026, 2, 28).date())
        );
        assert_eq!(
            shift(at(2026, 1, 31), -2, "years").map(|d| d.date()),
            Some(at(2024, 1, 31).date())
        );
        assert_eq!(
            shift(at(2026, 1, 31), 90, "mins"),
            Some(at(2026, 1, 31) + chrono::Duration::minutes(90))
        );
        assert_eq!(shift(at(2026, 1, 31), i64::MAX, "years"), None);
        assert_eq!(shift(at(2026, 1, 31), i64::MAX, "days"), None);
    }
}
