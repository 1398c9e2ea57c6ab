//! The time an answer carries in `Ts`, formatted like Go's `time.RFC3339Nano`.

use std::time::{SystemTime, UNIX_EPOCH};

/// The current UTC time formatted like Go's `time.RFC3339Nano`
/// (`2006-01-02T15:04:05.999999999Z07:00`: trailing zeros of the fraction
/// dropped, no fraction at all when it is zero).
pub(crate) fn now() -> String {
    format_rfc3339_nano(SystemTime::now())
}

fn format_rfc3339_nano(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (y, m, day) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    // Filled in by hand: this runs once per answer, and `format!` costs
    // more than all the rest of an answer's bookkeeping.
    let mut b = *b"0000-00-00T00:00:00.000000000Z";
    put_digits(&mut b[0..4], y.clamp(0, 9999) as u64);
    put_digits(&mut b[5..7], u64::from(m));
    put_digits(&mut b[8..10], u64::from(day));
    put_digits(&mut b[11..13], rem / 3600);
    put_digits(&mut b[14..16], rem / 60 % 60);
    put_digits(&mut b[17..19], rem % 60);
    put_digits(&mut b[20..29], u64::from(d.subsec_nanos()));
    // Go drops the fraction's trailing zeros, and the dot with them.
    let frac_end = 20
        + b[20..29]
            .iter()
            .rposition(|&c| c != b'0')
            .map_or(0, |i| i + 1);
    let end = if frac_end == 20 { 19 } else { frac_end };
    let mut s = String::with_capacity(end + 1);
    s.push_str(std::str::from_utf8(&b[..end]).expect("ASCII"));
    s.push('Z');
    s
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
        format_rfc3339_nano(UNIX_EPOCH + Duration::new(secs, nanos))
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
}
