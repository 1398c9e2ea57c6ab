//! [`Stamp`]: the `Ts` of the answers a connection writes together.

/// The time stamped on answers whose handler left `Ts` empty: read from
/// the clock and formatted once for all the answers of one write (they
/// leave together, so their times could not differ by more than the
/// write takes), and again for the next write.
#[derive(Debug, Default)]
pub(crate) struct Stamp {
    /// This write's time, once an answer needed it.
    now: Option<String>,
}

impl Stamp {
    /// This write's time, formatted like Go's `time.RFC3339Nano`.
    #[inline]
    pub(crate) fn now(&mut self) -> &str {
        self.now.get_or_insert_with(crate::timestamp::now)
    }

    /// The write went out: the next answers get a new time.
    #[inline]
    pub(crate) fn written(&mut self) {
        self.now = None;
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
    }
}
