//! [`Stamp`]: the `Ts` of the answers a connection writes together.

use std::time::SystemTime;

use crate::timestamp::Rfc3339Nano;

/// The time stamped on answers whose handler left `Ts` empty: read from
/// the clock and formatted once for all the answers of one write (they
/// leave together, so their times could not differ by more than the
/// write takes), and again for the next write, in the same string.
#[derive(Debug, Default)]
pub(crate) struct Stamp {
    text: Rfc3339Nano,
    /// `text` is this write's time: an answer of this write needed it.
    current: bool,
}

impl Stamp {
    /// This write's time, formatted like Go's `time.RFC3339Nano`.
    #[inline]
    pub(crate) fn now(&mut self) -> &str {
        if !self.current {
            self.current = true;
            self.text.format(SystemTime::now());
        }
        self.text.as_str()
    }

    /// The write went out: the next answers get a new time.
    #[inline]
    pub(crate) fn written(&mut self) {
        self.current = false;
    }

    /// The connection is idle: the string's memory is given back.
    pub(crate) fn release(&mut self) {
        self.written();
        self.text.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answers_of_one_write_share_its_time_and_the_next_write_gets_its_own() {
        let mut stamp = Stamp::default();
        let first = stamp.now().to_owned();
        assert!(first.ends_with('Z'), "{first}");
        assert_eq!(stamp.now(), first, "read once per write");
        stamp.written();
        std::thread::sleep(std::time::Duration::from_micros(10));
        assert_ne!(stamp.now(), first);
        stamp.release();
        assert!(stamp.now().ends_with('Z'), "a new time after the release");
    }
}
