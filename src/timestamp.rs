//! The time an answer carries in `Ts`, formatted like Go's `time.RFC3339Nano`.

use std::time::{SystemTime, UNIX_EPOCH};

/// The length of the date and time of day: `2006-01-02T15:04:05`.
const SECONDS_LEN: usize = 19;
/// The longest time formatted: a fraction of nine digits, and the `Z`.
const MAX_LEN: usize = SECONDS_LEN + 11;

/// The current UTC time formatted like Go's `time.RFC3339Nano`
/// (`2006-01-02T15:04:05.999999999Z07:00`: trailing zeros of the fraction
/// dropped, no fraction at all when it is zero).
pub(crate) fn now() -> String {
    let mut text = Rfc3339Nano {
        text: String::with_capacity(MAX_LEN),
        secs: None,
    };
    text.format(SystemTime::now());
    text.text
}

/// A time formatted like Go's `time.RFC3339Nano`, kept to format the next
/// one in the same string: the date and time of day are written again
/// only when the second changes, the fraction every time.
#[derive(Debug, Default)]
pub(crate) struct Rfc3339Nano {
    /// The last time formatted.
    text: String,
    /// Its second since the epoch, while `text` starts with it.
    secs: Option<u64>,
}

impl Rfc3339Nano {
    /// Formats `t`; returns it.
    pub(crate) fn format(&mut self, t: SystemTime) -> &str {
        let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
        let secs = d.as_secs();
        if self.secs == Some(secs) {
            self.text.truncate(SECONDS_LEN);
        } else {
            self.text.clear();
            self.text.reserve(MAX_LEN);
            let date_time = seconds(secs);
            self.text
                .push_str(std::str::from_utf8(&date_time).expect("ASCII"));
            self.secs = Some(secs);
        }
        // Go drops the fraction's trailing zeros, and the dot with them.
        let mut frac = *b".000000000Z";
        put_digits(&mut frac[1..10], u64::from(d.subsec_nanos()));
        let digits = frac[1..10]
            .iter()
            .rposition(|&c| c != b'0')
            .map_or(0, |i| i + 1);
        let tail = match digits {
            0 => &frac[10..],
            n => {
                frac[n + 1] = b'Z';
                &frac[..n + 2]
            }
        };
        self.text
            .push_str(std::str::from_utf8(tail).expect("ASCII"));
        &self.text
    }

    /// The last time formatted.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// Gives back the string's memory; the next time is written anew.
    pub(crate) fn release(&mut self) {
        *self = Rfc3339Nano::default();
    }
}

/// `2006-01-02T15:04:05` for `secs` since the epoch, UTC.
fn seconds(secs: u64) -> [u8; SECONDS_LEN] {
    let (y, m, day) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    // Filled in by hand: `format!` costs more than all the rest of an
    // answer's bookkeeping.
    let mut b = *b"0000-00-00T00:00:00";
    put_digits(&mut b[0..4], y.clamp(0, 9999) as u64);
    put_digits(&mut b[5..7], u64::from(m));
    put_digits(&mut b[8..10], u64::from(day));
    put_digits(&mut b[11..13], rem / 3600);
    put_digits(&mut b[14..16], rem / 60 % 60);
    put_digits(&mut b[17..19], rem % 60);
    b
}

/// Writes `v`'s last `out.len()` decimal digits into `out`, zero-padded.
fn put_digits(out: &mut [u8], mut v: u64) {
    for c in out.iter_mut().rev() {
        *c = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64, nanos: u32) -> String {
        Rfc3339Nano::default()
            .format(UNIX_EPOCH + Duration::new(secs, nanos))
            .to_owned()
    }

    #[test]
    fn timestamps_match_go_rfc3339nano() {
        // Values printed by Go's time.Unix(s, ns).UTC().Format(time.RFC3339Nano).
        assert_eq!(at(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(at(1_700_000_000, 123_000_000), "2023-11-14T22:13:20.123Z");
        assert_eq!(at(951_782_400, 1), "2000-02-29T00:00:00.000000001Z");
        assert_eq!(
            at(4_102_444_799, 999_999_999),
            "2099-12-31T23:59:59.999999999Z"
        );
    }

    #[test]
    fn a_time_formatted_after_another_is_written_whole() {
        let mut text = Rfc3339Nano::default();
        let mut format = |secs, nanos| {
            text.format(UNIX_EPOCH + Duration::new(secs, nanos))
                .to_owned()
        };
        assert_eq!(format(0, 5), "1970-01-01T00:00:00.000000005Z");
        assert_eq!(format(0, 120), "1970-01-01T00:00:00.00000012Z");
        assert_eq!(format(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(format(0, 1_000_000), "1970-01-01T00:00:00.001Z");
        assert_eq!(format(86_399, 1), "1970-01-01T23:59:59.000000001Z");
        assert_eq!(format(86_400, 0), "1970-01-02T00:00:00Z");
        assert_eq!(text.as_str(), "1970-01-02T00:00:00Z");
        text.release();
        assert_eq!(text.as_str(), "");
    }
}
