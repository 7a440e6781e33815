//! The clock capability: "now" is passed in, never read deep in the code, so that tests and
//! backfills (`--now RFC3339`) are deterministic.

use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, UtcOffset};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    now: OffsetDateTime,
}

impl Clock {
    /// The system clock, read once.
    pub fn system() -> Self {
        Clock {
            now: OffsetDateTime::now_utc(),
        }
    }

    /// A fixed instant.
    pub fn fixed(now: OffsetDateTime) -> Self {
        Clock {
            now: now.to_offset(UtcOffset::UTC),
        }
    }

    /// `--now` if given, else the system clock.
    pub fn from_arg(now: Option<&str>) -> Result<Self> {
        match now {
            None => Ok(Clock::system()),
            Some(text) => parse_rfc3339(text)
                .map(Clock::fixed)
                .map_err(|e| Error::usage(format!("--now: {e}")).caused_by(e)),
        }
    }

    pub fn now(&self) -> OffsetDateTime {
        self.now
    }

    pub fn today(&self) -> Date {
        self.now.date()
    }
}

/// Parses an RFC 3339 timestamp; a bare `YYYY-MM-DD` is taken as midnight UTC.
pub fn parse_rfc3339(text: &str) -> std::result::Result<OffsetDateTime, String> {
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(t);
    }
    parse_date(text)
        .map(|d| d.midnight().assume_utc())
        .map_err(|_| format!("`{text}` is not an RFC 3339 time (e.g. 2026-11-25T12:00:00Z) or a date (2026-11-25)"))
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> std::result::Result<Date, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text, &format).map_err(|e| format!("`{text}` is not a date YYYY-MM-DD ({e})"))
}

/// Formats an instant as RFC 3339 in UTC with second precision (stable in outputs).
pub fn format_rfc3339(t: OffsetDateTime) -> String {
    let t = t
        .to_offset(UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(t);
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

pub fn format_date(d: Date) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    d.format(&format).unwrap_or_else(|_| d.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dates_and_times() {
        let t = parse_rfc3339("2026-11-25T12:30:00+01:00").unwrap();
        assert_eq!(format_rfc3339(t), "2026-11-25T11:30:00Z");
        let d = parse_rfc3339("2026-02-28").unwrap();
        assert_eq!(format_rfc3339(d), "2026-02-28T00:00:00Z");
        assert!(parse_rfc3339("2026-02-30").is_err());
        assert!(parse_rfc3339("yesterday").is_err());
    }
}
