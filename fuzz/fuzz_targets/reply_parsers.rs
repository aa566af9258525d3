//! Every input block's reply parser: number, email, URL, phone, date and time. The first byte
//! picks the parser (and its options), the rest is the reply. Nothing may panic, and what a
//! parser accepts must be accepted again unchanged where the stored value is itself a reply the
//! parser reads (numbers, emails, E.164 phone numbers).
#![no_main]

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use tessera::engine::blocks::inputs::parse::{
    DateOpts, is_http_url_lenient, is_url, parse_date_reply, parse_email, parse_number,
    parse_phone, parse_time_reply,
};

const FORMATS: [Option<&str>; 5] = [
    None,
    Some("yyyy-MM-dd"),
    Some("MM/dd/yy h:mm a"),
    Some("EEEE d MMMM"),
    Some("HH:mm:ss"),
];
const COUNTRIES: [Option<&str>; 5] = [None, Some("FR"), Some("US"), Some("GB"), Some("ZZ")];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let Some(now) = NaiveDate::from_ymd_opt(2026, 3, 29).and_then(|d| d.and_hms_opt(8, 0, 0))
    else {
        return;
    };
    let option = usize::from(pick >> 3) % 5;
    match pick % 8 {
        0 => {
            let (min, max) = match option {
                0 => (None, None),
                1 => (Some(-10.0), Some(10.0)),
                _ => (Some(0.5), None),
            };
            if let Some(n) = parse_number(text, min, max) {
                assert_eq!(
                    parse_number(&n, min, max).as_deref(),
                    Some(n.as_str()),
                    "{text:?}"
                );
            }
        }
        1 => {
            if let Some(e) = parse_email(text) {
                assert_eq!(parse_email(&e).as_deref(), Some(e.as_str()), "{text:?}");
            }
        }
        2 => {
            let _ = is_url(text);
            let _ = is_http_url_lenient(text);
        }
        3 => {
            if let Some(p) = parse_phone(text, COUNTRIES[option]) {
                assert!(p.starts_with('+'), "{text:?} -> {p:?}");
                assert_eq!(
                    parse_phone(&p, None).as_deref(),
                    Some(p.as_str()),
                    "{text:?}"
                );
            }
        }
        4 | 5 => {
            let opts = DateOpts {
                has_time: pick & 0x40 != 0,
                is_range: pick % 8 == 5,
                format: FORMATS[option],
                min: (pick & 0x80 != 0).then_some("2026-01-01"),
                max: (pick & 0x80 != 0).then_some("2026-12-31"),
                separator: "",
            };
            let _ = parse_date_reply(text, &opts, now);
        }
        _ => {
            let _ = parse_time_reply(text, FORMATS[option], now);
        }
    }
});
