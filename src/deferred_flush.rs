//! [`DeferredFlush`]: how a transport driven by tokio-tower, which
//! flushes after every request or answer, still writes many in one write.

use std::task::Context;

/// Flushes held back in a row, at most, before one is done anyway: a write
/// waits for at most this many wake-ups of its task (and for no more than
/// the codec's write buffer holds before it must write).
pub(crate) const MAX_DEFERRED: u32 = 64;

/// Holds a flush back while more is coming to join its write.
///
/// A held-back flush returns `Pending` after waking its task, so the
/// `Sink` contract holds (a `Pending` flush is polled again), and the next
/// wake-up adds what came in the meantime to the same write; the bound
/// keeps a task that does not read next from spinning.
#[derive(Debug, Default)]
pub(crate) struct DeferredFlush {
    /// Flushes held back in a row.
    held: u32,
}

impl DeferredFlush {
    /// True (the task is woken) if this flush is to be held back: more is
    /// coming, and fewer than [`MAX_DEFERRED`] were held back in a row.
    /// False: flush now.
    #[inline]
    pub(crate) fn hold(&mut self, more_coming: bool, cx: &mut Context<'_>) -> bool {
        if more_coming && self.held < MAX_DEFERRED {
            self.held += 1;
            cx.waker().wake_by_ref();
            return true;
        }
        self.held = 0;
        false
    }

    /// A flush was done some other way: the count starts over.
    #[inline]
    pub(crate) fn reset(&mut self) {
        self.held = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flush_is_held_back_a_bounded_number_of_times_waking_its_task() {
        let mut task = tokio_test::task::spawn(());
        let mut flush = DeferredFlush::default();
        for _ in 0..MAX_DEFERRED {
            assert!(task.enter(|cx, _| flush.hold(true, cx)));
            assert!(task.is_woken());
        }
        assert!(!task.enter(|cx, _| flush.hold(true, cx)), "the bound");
        assert!(task.enter(|cx, _| flush.hold(true, cx)), "counted anew");
        assert!(!task.enter(|cx, _| flush.hold(false, cx)), "nothing coming");
    }
}
