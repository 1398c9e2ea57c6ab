//! [`Stamp`]: the `Ts` of the answers a connection writes together.

use crate::Resp;

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
    /// Puts this write's time on `resp` if its handler left `Ts` empty.
    #[inline]
    pub(crate) fn fill(&mut self, resp: &mut Resp) {
        if resp.ts.is_empty() {
            resp.ts = self.now.get_or_insert_with(crate::timestamp::now).clone();
        }
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
    fn an_empty_ts_gets_the_writes_time_and_a_handlers_own_is_kept() {
        let mut stamp = Stamp::default();
        let (mut a, mut b) = (Resp::new("a", "x"), Resp::new("b", "y"));
        stamp.fill(&mut a);
        stamp.fill(&mut b);
        assert!(a.ts.ends_with('Z') && a.ts == b.ts, "{a:?} {b:?}");
        let mut own = Resp::new("c", "z");
        own.ts = "2006-01-02T15:04:05Z".into();
        stamp.fill(&mut own);
        assert_eq!(own.ts, "2006-01-02T15:04:05Z");
    }
}
