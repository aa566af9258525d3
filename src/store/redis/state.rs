//! The value of a session's state key: a small text header (version, marker and record
//! deadlines, creation time, trigger mark, transcript deadline), then the opaque session bytes;
//! and the lease string a turn holds.

use super::{corrupt, scripts};
use crate::store::{Leased, StoreError};

/// What the store keeps about a session beside its bytes, in the state value's header
/// (`<version> <seen until> <created> <record until> [<mark> [<transcript until>]]\n`) and,
/// while a turn runs, in the lease string the caller holds
/// (`<lease value>.<seen until>.<created>.<record until>.<transcript until>`, where the lease
/// value, all the lease key holds, is `<token> <lease ends at ms>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Header {
    pub(super) version: u64,
    /// Until when (ms since the epoch) the `seen` marker lasts.
    pub(super) seen_until_ms: u64,
    /// When the session was created (s since the epoch): orders its answers ([`Seq`]).
    pub(super) created_s: u64,
    /// Until when (ms) the session's result record is known to live without a refresh.
    pub(super) record_until_ms: u64,
    /// The sequence of the last trigger event applied to the session ([`Leased::mark`]); a
    /// fifth header field, written only when it or the next is not 0 (headers of older
    /// versions have four).
    pub(super) mark: u64,
    /// Until when (ms) the session's transcript log is known to live without a `PEXPIRE`
    /// (0: unknown, refresh it). A sixth field, written only when not 0; older versions ignore
    /// it, and a save by one of them drops it (the next turn then refreshes the log).
    pub(super) log_until_ms: u64,
}

impl Header {
    pub(super) fn value(&self, data: &[u8]) -> Vec<u8> {
        let mut h = format!(
            "{} {} {} {}",
            self.version, self.seen_until_ms, self.created_s, self.record_until_ms
        );
        if self.mark != 0 || self.log_until_ms != 0 {
            h.push(' ');
            h.push_str(&self.mark.to_string());
        }
        if self.log_until_ms != 0 {
            h.push(' ');
            h.push_str(&self.log_until_ms.to_string());
        }
        h.push('\n');
        let mut v = Vec::with_capacity(h.len() + data.len());
        v.extend_from_slice(h.as_bytes());
        v.extend_from_slice(data);
        v
    }

    pub(super) fn lease(&self, token: &str) -> String {
        format!(
            "{token}.{}.{}.{}.{}",
            self.seen_until_ms, self.created_s, self.record_until_ms, self.log_until_ms
        )
    }

    /// The token and header of a lease string (unknown parts read as 0: "refresh everything").
    pub(super) fn from_lease(leased: &Leased) -> (&str, Header) {
        let mut parts = leased.lease.split('.');
        let token = parts.next().unwrap_or_default();
        let mut n = || parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        let header = Header {
            version: leased.version,
            seen_until_ms: n(),
            created_s: n(),
            record_until_ms: n(),
            mark: leased.mark,
            log_until_ms: n(),
        };
        (token, header)
    }
}

/// What a state key holds.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum State {
    Active(Header, Vec<u8>),
    /// The finished marker (`fin`, or `fin <mark>` after a trigger event), with its mark.
    Finished(u64),
}

/// The finished marker of a session whose last applied event is `mark`.
pub(super) fn finished_value(mark: u64) -> String {
    if mark == 0 {
        scripts::FINISHED.to_string()
    } else {
        format!("{} {mark}", scripts::FINISHED)
    }
}

pub(super) fn parse_state(mut raw: Vec<u8>) -> Result<State, StoreError> {
    // A header starts with a digit, so the marker's prefix is unambiguous.
    if let Some(rest) = raw.strip_prefix(scripts::FINISHED.as_bytes()) {
        let mark = std::str::from_utf8(rest)
            .ok()
            .and_then(|r| r.trim().parse().ok())
            .unwrap_or(0);
        return Ok(State::Finished(mark));
    }
    let bad = || corrupt("session", "no state header");
    let end = raw.iter().position(|&b| b == b'\n').ok_or_else(bad)?;
    let header = std::str::from_utf8(&raw[..end]).map_err(|_| bad())?;
    let mut n = header.split(' ').map(str::parse::<u64>);
    let mut next = || n.next().and_then(Result::ok).ok_or_else(bad);
    let header = Header {
        version: next()?,
        seen_until_ms: next()?,
        created_s: next()?,
        record_until_ms: next()?,
        mark: n.next().and_then(Result::ok).unwrap_or(0),
        log_until_ms: n.next().and_then(Result::ok).unwrap_or(0),
    };
    raw.drain(..=end);
    Ok(State::Active(header, raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_values_round_trip_and_finished_is_not_a_session() {
        let h = Header {
            version: 7,
            seen_until_ms: 1_800_000_000_000,
            created_s: 1_790_000_000,
            record_until_ms: 42,
            mark: 0,
            log_until_ms: 0,
        };
        let value = h.value(b"{\"a\":\"b\nc\"}");
        assert!(value.starts_with(b"7 1800000000000 1790000000 42\n"));
        assert_eq!(
            parse_state(value).unwrap(),
            State::Active(h, b"{\"a\":\"b\nc\"}".to_vec())
        );
        assert_eq!(parse_state(b"fin".to_vec()).unwrap(), State::Finished(0));
        assert_eq!(
            parse_state(finished_value(12).into_bytes()).unwrap(),
            State::Finished(12)
        );
        let marked = Header { mark: 9, ..h };
        assert_eq!(
            parse_state(marked.value(b"x")).unwrap(),
            State::Active(marked, b"x".to_vec())
        );
        // The transcript deadline needs the mark before it, 0 when there is none.
        let logged = Header {
            log_until_ms: 77,
            ..h
        };
        let value = logged.value(b"x");
        assert!(value.starts_with(b"7 1800000000000 1790000000 42 0 77\n"));
        assert_eq!(
            parse_state(value).unwrap(),
            State::Active(logged, b"x".to_vec())
        );
        for bad in [&b"{}"[..], b"1 2\n{}", b"x 1 2 3\n"] {
            assert!(parse_state(bad.to_vec()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_lease_string_carries_the_header_but_not_the_version() {
        let h = Header {
            version: 3,
            seen_until_ms: 5,
            created_s: 6,
            record_until_ms: 8,
            mark: 0,
            log_until_ms: 9,
        };
        let leased = Leased {
            data: Vec::new(),
            version: 3,
            mark: 0,
            lease: h.lease("tok"),
        };
        assert_eq!(Header::from_lease(&leased), ("tok", h));
        // A foreign lease string: its token is compared (and fails); the rest reads as 0.
        let foreign = Leased {
            lease: "not-the-lease".into(),
            ..leased
        };
        assert_eq!(
            Header::from_lease(&foreign),
            (
                "not-the-lease",
                Header {
                    version: 3,
                    ..Header::default()
                }
            )
        );
    }
}
