//! Log timestamps: read from the start of a line without allocating, compared as wall-clock
//! times, printed as ISO 8601.
//!
//! Forms read (each one seen in real logs; sources in `tests/fixtures/logs/`):
//! - syslog / `journalctl` short: `Dec  3 10:00:00 host prog[pid]: …` (no year);
//! - RFC 3339 (rsyslog high precision, `journalctl -o short-iso`, Exchange CSV):
//!   `2026-12-03T10:00:00.123456+00:00`, `…+0000`, `…Z`;
//! - Exim: `2026-12-03 10:00:00 …`.
//!
//! Times are the log's own wall clock: an offset is read past but not applied, so times from
//! one server compare as that server wrote them (mixing zones in one run is not corrected).
//!
//! A syslog date has no year. The year assumed is that of a reference day (the file's
//! modification time, or today for standard input, or `--year`): the date is taken to be in
//! the reference year unless that puts it more than a day after the reference day, in which
//! case it is the year before (a log written in January still holds December's lines).

use std::fmt;

/// A wall-clock time as written in a log, to the microsecond. Field order makes `Ord` the
/// chronological order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp {
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub micros: u32,
}

impl Stamp {
    /// The start of a day.
    pub fn day_start(year: u16, month: u8, day: u8) -> Self {
        Self {
            year,
            month,
            day,
            hour: 0,
            minute: 0,
            second: 0,
            micros: 0,
        }
    }
}

impl fmt::Display for Stamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )?;
        if self.micros != 0 {
            write!(f, ".{:06}", self.micros)?;
        }
        Ok(())
    }
}

impl serde::Serialize for Stamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The day syslog dates are placed relative to (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearRule {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl YearRule {
    /// Every syslog date in `year`, whatever its month (`--year`).
    pub fn fixed(year: u16) -> Self {
        Self {
            year,
            month: 12,
            day: 31,
        }
    }

    /// Relative to a point in time (a file's modification time, or now).
    pub fn at(time: std::time::SystemTime) -> Self {
        let timestamp = jiff::Timestamp::try_from(time).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let date = timestamp.to_zoned(jiff::tz::TimeZone::system()).date();
        Self {
            year: u16::try_from(date.year()).unwrap_or(1970),
            month: u8::try_from(date.month()).unwrap_or(1),
            day: u8::try_from(date.day()).unwrap_or(1),
        }
    }

    fn year_of(self, month: u8, day: u8) -> u16 {
        // One day of slack: a clock a little ahead, or a file touched just after midnight.
        if (month, day) > (self.month, self.day.saturating_add(1)) {
            self.year.saturating_sub(1)
        } else {
            self.year
        }
    }
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Reads the time at the start of `line`, in any of the forms above.
pub fn parse(line: &[u8], rule: YearRule) -> Option<Stamp> {
    let first = *line.first()?;
    if first.is_ascii_digit() {
        parse_iso(line)
    } else {
        parse_syslog(line, rule)
    }
}

fn digits(bytes: &[u8], at: usize, count: usize) -> Option<u32> {
    let part = bytes.get(at..at + count)?;
    part.iter().try_fold(0u32, |value, &b| {
        b.is_ascii_digit().then(|| value * 10 + u32::from(b - b'0'))
    })
}

fn clock(line: &[u8], at: usize) -> Option<(u8, u8, u8)> {
    let hour = digits(line, at, 2)?;
    let minute = digits(line, at + 3, 2)?;
    let second = digits(line, at + 6, 2)?;
    (line.get(at + 2) == Some(&b':')
        && line.get(at + 5) == Some(&b':')
        && hour < 24
        && minute < 60
        && second <= 60)
        .then_some((hour as u8, minute as u8, second as u8))
}

/// `Dec  3 10:00:00` or `Dec 03 10:00:00`.
fn parse_syslog(line: &[u8], rule: YearRule) -> Option<Stamp> {
    let name = line.get(0..3)?;
    let month = MONTHS.iter().position(|m| m.as_slice() == name)? as u8 + 1;
    if line.get(3) != Some(&b' ') {
        return None;
    }
    let day = match (line.get(4)?, line.get(5)?) {
        (b' ', d) if d.is_ascii_digit() => u32::from(d - b'0'),
        _ => digits(line, 4, 2)?,
    };
    if !(1..=31).contains(&day) || line.get(6) != Some(&b' ') {
        return None;
    }
    let (hour, minute, second) = clock(line, 7)?;
    let day = day as u8;
    Some(Stamp {
        year: rule.year_of(month, day),
        month,
        day,
        hour,
        minute,
        second,
        micros: fraction(line, 15),
    })
}

/// `2026-12-03T10:00:00[.ffffff][zone]` or `2026-12-03 10:00:00`.
fn parse_iso(line: &[u8]) -> Option<Stamp> {
    let date = parse_date(line)?;
    if !matches!(line.get(10), Some(b'T' | b' ')) {
        return None;
    }
    let (hour, minute, second) = clock(line, 11)?;
    Some(Stamp {
        hour,
        minute,
        second,
        micros: fraction(line, 19),
        ..date
    })
}

/// `2026-12-03` at the start of `text`.
pub fn parse_date(text: &[u8]) -> Option<Stamp> {
    let year = digits(text, 0, 4)?;
    let month = digits(text, 5, 2)?;
    let day = digits(text, 8, 2)?;
    (text.get(4) == Some(&b'-')
        && text.get(7) == Some(&b'-')
        && (1..=12).contains(&month)
        && (1..=31).contains(&day))
    .then(|| Stamp::day_start(year as u16, month as u8, day as u8))
}

/// `.123` / `.123456` after the seconds, as microseconds (more digits are cut).
fn fraction(line: &[u8], at: usize) -> u32 {
    if line.get(at) != Some(&b'.') {
        return 0;
    }
    let mut micros = 0u32;
    let mut scale = 100_000u32;
    for &b in line.iter().skip(at + 1).take_while(|b| b.is_ascii_digit()) {
        micros += u32::from(b - b'0') * scale;
        scale /= 10;
        if scale == 0 {
            break;
        }
    }
    micros
}

/// A `--since`/`--until` value: `2026-12-03`, `2026-12-03T10:00`, `2026-12-03 10:00:00`.
/// Returns the time and whether only a date was given (an `--until` date means its whole day).
pub fn parse_bound(text: &str) -> Option<(Stamp, bool)> {
    let bytes = text.trim().as_bytes();
    let date = parse_date(bytes)?;
    if bytes.len() == 10 {
        return Some((date, true));
    }
    if !matches!(bytes.get(10), Some(b'T' | b' ')) {
        return None;
    }
    let hour = digits(bytes, 11, 2)?;
    let minute = digits(bytes, 14, 2)?;
    if bytes.get(13) != Some(&b':') || hour > 23 || minute > 59 {
        return None;
    }
    let second = match bytes.len() {
        16 => 0,
        19 if bytes.get(16) == Some(&b':') => digits(bytes, 17, 2).filter(|s| *s < 60)?,
        _ => return None,
    };
    Some((
        Stamp {
            hour: hour as u8,
            minute: minute as u8,
            second: second as u8,
            ..date
        },
        false,
    ))
}

/// The first moment after the given day.
pub fn next_day(day: Stamp) -> Stamp {
    let date = jiff::civil::Date::new(
        i16::try_from(day.year).unwrap_or(9999),
        i8::try_from(day.month).unwrap_or(12),
        i8::try_from(day.day).unwrap_or(28),
    );
    match date.ok().and_then(|d| d.tomorrow().ok()) {
        Some(next) => Stamp::day_start(
            u16::try_from(next.year()).unwrap_or(day.year),
            u8::try_from(next.month()).unwrap_or(day.month),
            u8::try_from(next.day()).unwrap_or(day.day),
        ),
        None => Stamp {
            hour: 23,
            minute: 59,
            second: 59,
            micros: 999_999,
            ..day
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: YearRule = YearRule {
        year: 2026,
        month: 6,
        day: 15,
    };

    #[test]
    fn syslog_dates_take_the_reference_year_or_the_one_before() {
        let june = parse(b"Jun 15 10:00:01 mx postfix/smtpd[1]: x", RULE).expect("parses");
        assert_eq!(june.to_string(), "2026-06-15T10:00:01");
        let padded = parse(b"Jun  1 09:08:07 mx x", RULE).expect("parses");
        assert_eq!(padded.to_string(), "2026-06-01T09:08:07");
        let december = parse(b"Dec 31 23:59:59 mx x", RULE).expect("parses");
        assert_eq!(december.year, 2025);
        assert_eq!(
            parse(b"Jun 16 00:00:00 mx x", RULE).map(|s| s.year),
            Some(2026)
        );
    }

    #[test]
    fn iso_forms_keep_the_wall_clock_and_fraction() {
        let rsyslog = parse(b"2017-07-06T08:44:10.316748+00:00 mail x", RULE).expect("parses");
        assert_eq!(rsyslog.to_string(), "2017-07-06T08:44:10.316748");
        let exim = parse(b"2014-04-04 10:37:30 H=(x) [1.2.3.4]", RULE).expect("parses");
        assert_eq!(exim.to_string(), "2014-04-04T10:37:30");
        let exchange = parse(b"2016-04-05T00:00:02.052Z,,", RULE).expect("parses");
        assert_eq!(exchange.micros, 52_000);
    }

    #[test]
    fn non_times_are_not_read_as_times() {
        for line in [
            &b""[..],
            b"Foo 12 10:00:00 x",
            b"Jun 32 10:00:00 x",
            b"Jun 15 25:00:00 x",
            b"2026-13-01T00:00:00",
            b"\x00\x01\x02",
            b"@400000006",
        ] {
            assert_eq!(parse(line, RULE), None, "{line:?}");
        }
    }

    #[test]
    fn bounds_take_a_date_or_a_date_and_time() {
        assert_eq!(
            parse_bound("2026-12-03"),
            Some((Stamp::day_start(2026, 12, 3), true))
        );
        let (at, date_only) = parse_bound("2026-12-03T10:05").expect("parses");
        assert_eq!(
            (at.to_string(), date_only),
            ("2026-12-03T10:05:00".into(), false)
        );
        assert!(parse_bound("2026-12-03 10:05:07").is_some());
        assert_eq!(parse_bound("yesterday"), None);
        assert_eq!(parse_bound("2026-12-03T25:00"), None);
        assert_eq!(
            next_day(Stamp::day_start(2026, 12, 31)).to_string(),
            "2027-01-01T00:00:00"
        );
    }
}
