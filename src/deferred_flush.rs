//! [`DeferredFlush`]: how the client's transport driven by tokio-tower,
//! which flushes after every request, still writes many in one write.

/// Flushes held back in a row, at most, before one is done anyway: a write
/// waits for at most this many turns of its task's loop (and for no more
/// than the codec's write buffer holds before it must write).
pub(crate) const MAX_DEFERRED: u32 = 64;

/// Holds a flush back while more is coming to join its write.
///
/// A held-back flush returns `Pending`, so the next turn of the task adds
/// what came in the meantime to the same write. The `Sink` contract wants
/// the task polled again after a `Pending` flush: the transport wakes its
/// task. The bound keeps that task from spinning.
#[derive(Debug, Default)]
pub(crate) struct DeferredFlush {
    /// Flushes held back in a row.
    held: u32,
}

impl DeferredFlush {
    /// True if this flush is to be held back: more is coming, and fewer
    /// than [`MAX_DEFERRED`] were held back in a row. False: flush now.
    #[inline]
    pub(crate) fn hold(&mut self, more_coming: bool) -> bool {
        if more_coming && self.held < MAX_DEFERRED {
            self.held += 1;
            return true;
        }
        self.held = 0;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flush_is_held_back_a_bounded_number_of_times() {
        let mut flush = DeferredFlush::default();
        for _ in 0..MAX_DEFERRED {
            assert!(flush.hold(true));
        }
        assert!(!flush.hold(true), "the bound");
        assert!(flush.hold(true), "counted anew");
        assert!(!flush.hold(false), "nothing coming");
    }
}
