//! Date and time inputs: reading the reply (chrono-node-like, see `date_text`), the range and
//! min/max rules, and the stored text (TR35 formatting, see [`format_tr35`]).

use super::date_text::{Moment, parse_moment};
use chrono::NaiveDateTime;

pub use super::tr35::format_tr35;

/// Stored format of a date input without time.
const DEFAULT_DATE_FORMAT: &str = "dd/MM/yyyy";
/// Stored format of a date input with time.
const DEFAULT_DATETIME_FORMAT: &str = "dd/MM/yyyy HH:mm";
/// Stored format of a time input.
const DEFAULT_TIME_FORMAT: &str = "HH:mm";
/// Words and dashes accepted between the two ends of a range, tried in this order.
const RANGE_SEPARATORS: [&str; 8] = [" to ", " until ", " till ", " - ", " – ", " — ", "–", "—"];

/// The date input options that matter when reading a reply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DateOpts<'a> {
    /// `hasTime`: the stored text includes a time (changes the default format).
    pub has_time: bool,
    /// `isRange`: the reply must name a start and an end.
    pub is_range: bool,
    /// `format` (TR35); `None` or blank means `dd/MM/yyyy` (`dd/MM/yyyy HH:mm` with time).
    pub format: Option<&'a str>,
    /// `min`, e.g. `"2026-01-01"`; compared as a date, ignored when unreadable.
    pub min: Option<&'a str>,
    /// `max`, e.g. `"2026-12-31"`; compared as a date, ignored when unreadable.
    pub max: Option<&'a str>,
    /// `labels.separator` placed between the two formatted ends of a range; blank means `to`.
    pub separator: &'a str,
}

/// Reads a date input reply and returns the text to store, or `None` when invalid.
///
/// Understands what the web player sends (`2026-01-15`, `2026-01-15T10:30`, `… to …`), numeric
/// dates (`15/01/2026 10:30`; day first when the format starts with `d`, else month first),
/// month names (`January 15, 2026`, `15 Jan`), `today`/`tomorrow`/`yesterday`/`now`, weekdays
/// (`next monday`), offsets (`in 3 days`, `2 weeks ago`) and times (`10:30`, `3:45 pm`). Ranges
/// are two expressions around `to`, `-` or a dash; an end holding only a time or a day number
/// borrows the rest from the other end. Without `is_range` only the start is kept; with it an
/// end is required and must not precede the start. A date without time gets 12:00 (relative
/// words: the time of `now`). Both ends must lie within `min`..=`max` (dates).
pub fn parse_date_reply(text: &str, opts: &DateOpts, now: NaiveDateTime) -> Option<String> {
    let default = if opts.has_time {
        DEFAULT_DATETIME_FORMAT
    } else {
        DEFAULT_DATE_FORMAT
    };
    let format = non_blank(opts.format).unwrap_or(default);
    let day_first = format.starts_with('d');
    let lower = text.trim().to_lowercase();
    let (start, end) = match parse_range(&lower, day_first, now) {
        Some((start, end)) => (start, Some(end)),
        None => (parse_moment(&lower, day_first, now)?, None),
    };
    let end = if opts.is_range { Some(end?) } else { None };
    if end.is_some_and(|end| end.datetime() < start.datetime()) {
        return None;
    }
    let bound = |b: Option<&str>| parse_moment(non_blank(b)?, day_first, now).map(|m| m.date);
    let (min, max) = (bound(opts.min), bound(opts.max));
    let in_bounds =
        |m: &Moment| min.is_none_or(|min| m.date >= min) && max.is_none_or(|max| m.date <= max);
    if !in_bounds(&start) || end.as_ref().is_some_and(|end| !in_bounds(end)) {
        return None;
    }
    let start_text = format_tr35(&start.datetime(), format);
    Some(match end {
        Some(end) => {
            let separator = non_blank(Some(opts.separator)).unwrap_or("to");
            format!(
                "{start_text} {separator} {}",
                format_tr35(&end.datetime(), format)
            )
        }
        None => start_text,
    })
}

/// Reads a time input reply (`10:30`, `10:30 pm`, `22h15`, `9am`, `noon`, `now`, `in 2 hours`)
/// and returns it formatted with `format` (default `HH:mm`), or `None` when it names no time.
pub fn parse_time_reply(text: &str, format: Option<&str>, now: NaiveDateTime) -> Option<String> {
    let moment = parse_moment(text, true, now)?;
    let time = moment.time?;
    let format = non_blank(format).unwrap_or(DEFAULT_TIME_FORMAT);
    Some(format_tr35(&moment.date.and_time(time), format))
}

fn non_blank(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// Splits `text` into the two ends of a range, if both can be read.
fn parse_range(text: &str, day_first: bool, now: NaiveDateTime) -> Option<(Moment, Moment)> {
    RANGE_SEPARATORS.iter().find_map(|sep| {
        let (a, b) = text.split_once(sep)?;
        match (
            parse_moment(a, day_first, now),
            parse_moment(b, day_first, now),
        ) {
            (Some(start), Some(mut end)) => {
                if start.has_date && !end.has_date {
                    end.date = start.date;
                }
                Some((start, end))
            }
            (None, Some(end)) if end.has_date => Some((with_day(&end, a)?, end)),
            (Some(start), None) if start.has_date => Some((start, with_day(&start, b)?)),
            _ => None,
        }
    })
}

/// `other` moved to the day number written alone in `text` ("15" in "15 - 20 January").
fn with_day(other: &Moment, text: &str) -> Option<Moment> {
    let text = text.trim();
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    if digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || !matches!(&text[digits.len()..], "" | "st" | "nd" | "rd" | "th")
    {
        return None;
    }
    let date = chrono::Datelike::with_day(&other.date, digits.parse().ok()?)?;
    Some(Moment {
        date,
        time: None,
        ..*other
    })
}

#[cfg(test)]
mod tests {
    use super::{DateOpts, parse_date_reply, parse_time_reply};
    use chrono::{NaiveDate, NaiveDateTime};

    /// Wednesday 14 January 2026, 09:05.
    fn now() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 1, 14)
            .unwrap()
            .and_hms_opt(9, 5, 0)
            .unwrap()
    }

    fn date(text: &str) -> Option<String> {
        parse_date_reply(text, &DateOpts::default(), now())
    }

    fn with(text: &str, opts: DateOpts) -> Option<String> {
        parse_date_reply(text, &opts, now())
    }

    const TIMED: DateOpts = DateOpts {
        has_time: true,
        is_range: false,
        format: None,
        min: None,
        max: None,
        separator: "to",
    };
    const RANGE: DateOpts = DateOpts {
        is_range: true,
        has_time: false,
        ..TIMED
    };

    #[test]
    fn absolute_dates() {
        for text in [
            "2026-01-15",
            "2026/1/15",
            "15/01/2026",
            "15.01.2026",
            "15-1-26",
            "January 15, 2026",
            "jan. 15th 2026",
            "15 January 2026",
            "the 15th of January",
            "Thursday, January 15, 2026",
            "Jan 15",
            "15/01",
            "on 15 jan please",
            "01/15/2026",
        ] {
            assert_eq!(date(text).as_deref(), Some("15/01/2026"), "{text}");
        }
        let us = DateOpts {
            format: Some("MM/dd/yyyy"),
            ..DateOpts::default()
        };
        assert_eq!(with("01/02/2026", us).as_deref(), Some("01/02/2026"));
        assert_eq!(
            with("01/02/2026", DateOpts::default()).as_deref(),
            Some("01/02/2026")
        );
        assert_eq!(with("02/01/2026", us).as_deref(), Some("02/01/2026"));
        let iso = DateOpts {
            format: Some("yyyy-MM-dd"),
            ..DateOpts::default()
        };
        assert_eq!(with("02/01/2026", iso).as_deref(), Some("2026-02-01"));
        assert_eq!(with("15/01/2026", iso).as_deref(), Some("2026-01-15"));
        assert_eq!(date("Dec 25").as_deref(), Some("25/12/2025"));
        assert_eq!(date("1/3/99").as_deref(), Some("01/03/1999"));
    }

    #[test]
    fn relative_dates() {
        assert_eq!(date("today").as_deref(), Some("14/01/2026"));
        assert_eq!(date("Tomorrow!").as_deref(), Some("15/01/2026"));
        assert_eq!(date("yesterday").as_deref(), Some("13/01/2026"));
        assert_eq!(
            date("the day after tomorrow").as_deref(),
            Some("16/01/2026")
        );
        assert_eq!(date("in 3 days").as_deref(), Some("17/01/2026"));
        assert_eq!(date("in a week").as_deref(), Some("21/01/2026"));
        assert_eq!(date("2 weeks ago").as_deref(), Some("31/12/2025"));
        assert_eq!(date("in one month").as_deref(), Some("14/02/2026"));
        assert_eq!(date("next year").as_deref(), Some("14/01/2027"));
        assert_eq!(date("next monday").as_deref(), Some("19/01/2026"));
        assert_eq!(date("next friday").as_deref(), Some("23/01/2026"));
        assert_eq!(date("monday").as_deref(), Some("12/01/2026"));
        assert_eq!(date("friday").as_deref(), Some("16/01/2026"));
        assert_eq!(date("this wednesday").as_deref(), Some("14/01/2026"));
        assert_eq!(date("last friday").as_deref(), Some("09/01/2026"));
    }

    #[test]
    fn dates_with_time() {
        assert_eq!(
            with("2026-01-15T10:30", TIMED).as_deref(),
            Some("15/01/2026 10:30")
        );
        assert_eq!(
            with("15/01/2026 10:30", TIMED).as_deref(),
            Some("15/01/2026 10:30")
        );
        assert_eq!(
            with("2026-01-15 3:45 pm", TIMED).as_deref(),
            Some("15/01/2026 15:45")
        );
        assert_eq!(
            with("tomorrow at 10am", TIMED).as_deref(),
            Some("15/01/2026 10:00")
        );
        assert_eq!(
            with("Jan 15 at 22h15", TIMED).as_deref(),
            Some("15/01/2026 22:15")
        );
        assert_eq!(with("10:30", TIMED).as_deref(), Some("14/01/2026 10:30"));
        assert_eq!(
            with("2026-01-15", TIMED).as_deref(),
            Some("15/01/2026 12:00")
        );
        assert_eq!(with("tomorrow", TIMED).as_deref(), Some("15/01/2026 09:05"));
        assert_eq!(with("now", TIMED).as_deref(), Some("14/01/2026 09:05"));
        assert_eq!(
            with("in 2 hours", TIMED).as_deref(),
            Some("14/01/2026 11:05")
        );
        assert_eq!(with("tonight", TIMED).as_deref(), Some("14/01/2026 22:00"));
        let custom = DateOpts {
            format: Some("EEEE d MMMM yyyy 'at' h:mm a"),
            ..TIMED
        };
        assert_eq!(
            with("2026-01-15T18:00", custom).as_deref(),
            Some("Thursday 15 January 2026 at 6:00 PM")
        );
    }

    #[test]
    fn ranges() {
        let expected = Some("15/01/2026 to 20/01/2026");
        for text in [
            "2026-01-15 to 2026-01-20",
            "15/01/2026 - 20/01/2026",
            "2026-01-15–2026-01-20",
            "from Jan 15 to Jan 20",
            "15 - 20 January 2026",
            "Jan 15 - 20",
        ] {
            assert_eq!(with(text, RANGE).as_deref(), expected, "{text}");
        }
        let timed = DateOpts {
            is_range: true,
            separator: "→",
            ..TIMED
        };
        assert_eq!(
            with("2026-01-15T10:00 to 2026-01-15T12:30", timed).as_deref(),
            Some("15/01/2026 10:00 → 15/01/2026 12:30")
        );
        assert_eq!(
            with("Jan 15 10:00 - 12:00", timed).as_deref(),
            Some("15/01/2026 10:00 → 15/01/2026 12:00")
        );
        let blank_separator = DateOpts {
            separator: " ",
            ..RANGE
        };
        assert_eq!(
            with("2026-01-15 to 2026-01-20", blank_separator).as_deref(),
            expected
        );
        assert_eq!(
            date("2026-01-15 to 2026-01-20").as_deref(),
            Some("15/01/2026")
        );
        assert_eq!(with("2026-01-15", RANGE), None);
        assert_eq!(with("2026-01-15 to whenever", RANGE), None);
        assert_eq!(with("2026-01-20 to 2026-01-15", RANGE), None);
    }

    #[test]
    fn min_and_max() {
        let bounded = DateOpts {
            min: Some("2026-01-01"),
            max: Some("2026-01-31"),
            ..RANGE
        };
        assert!(with("2026-01-01 to 2026-01-31", bounded).is_some());
        assert_eq!(with("2025-12-31 to 2026-01-10", bounded), None);
        assert_eq!(with("2026-01-10 to 2026-02-01", bounded), None);
        let single = DateOpts {
            min: Some("2026-01-15"),
            max: Some("2026-01-15T08:00"),
            ..TIMED
        };
        assert!(with("2026-01-15T23:59", single).is_some());
        assert_eq!(with("2026-01-14T23:59", single), None);
        let unreadable = DateOpts {
            min: Some("whenever"),
            max: Some(""),
            ..DateOpts::default()
        };
        assert!(with("1999-01-01", unreadable).is_some());
    }

    #[test]
    fn rejects_non_dates() {
        for text in [
            "",
            "  ",
            "not a date",
            "hello",
            "15",
            "2026",
            "31/02/2026",
            "2026-13-01",
            "32 Jan",
            "25:00",
            "13pm",
            "maybe next time",
        ] {
            assert_eq!(date(text), None, "{text:?}");
        }
    }

    #[test]
    fn time_replies() {
        let t = |text| parse_time_reply(text, None, now());
        assert_eq!(t("10:30").as_deref(), Some("10:30"));
        assert_eq!(t("10:30 pm").as_deref(), Some("22:30"));
        assert_eq!(t("22h15").as_deref(), Some("22:15"));
        assert_eq!(t("9am").as_deref(), Some("09:00"));
        assert_eq!(t("12 a.m.").as_deref(), Some("00:00"));
        assert_eq!(t("12pm").as_deref(), Some("12:00"));
        assert_eq!(t("noon").as_deref(), Some("12:00"));
        assert_eq!(t("at 7").as_deref(), Some("07:00"));
        assert_eq!(t("now").as_deref(), Some("09:05"));
        assert_eq!(t("in 30 minutes").as_deref(), Some("09:35"));
        assert_eq!(t("07:05:09").as_deref(), Some("07:05"));
        let formatted = parse_time_reply("3:45:10 pm", Some("h:mm:ss a"), now());
        assert_eq!(formatted.as_deref(), Some("3:45:10 PM"));
        assert_eq!(parse_time_reply("9", Some(" "), now()), None);
        for bad in [
            "", "later", "tomorrow", "24:00", "10:60", "13am", "0am", "abc",
        ] {
            assert_eq!(t(bad), None, "{bad:?}");
        }
    }
}
