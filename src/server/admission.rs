//! A server-wide cap on handlers at work, that sheds instead of waiting.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;

/// Counts the handlers still working, over all connections.
///
/// A handler that answers on its first poll (the connection's driver polls
/// it as soon as it is called) never holds a place: only handlers that
/// keep working are counted, from their first `Pending` to their answer.
/// A request that arrives while `max` are working is answered `overloaded`
/// without calling its handler. Checking is one atomic load, entering and
/// leaving one atomic add each, and only for handlers that wait; the check
/// and the entry are not one step, so under a race the count can pass
/// `max` by a few (at most one per runtime thread), never more.
#[derive(Debug)]
pub(crate) struct Admission {
    working: AtomicUsize,
    max: usize,
}

impl Admission {
    pub(crate) fn new(max: usize) -> Arc<Self> {
        Arc::new(Admission {
            working: AtomicUsize::new(0),
            max,
        })
    }

    /// True when `max` handlers are working: a new request is shed.
    pub(crate) fn is_full(&self) -> bool {
        self.working.load(Relaxed) >= self.max
    }

    /// A handler did not answer at once: it holds a place until it does.
    pub(crate) fn enter(&self) {
        self.working.fetch_add(1, Relaxed);
    }

    /// `n` handlers that held a place answered (or were dropped).
    pub(crate) fn leave(&self, n: usize) {
        if n > 0 {
            self.working.fetch_sub(n, Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_full_at_the_max_and_not_once_one_leaves() {
        let a = Admission::new(2);
        a.enter();
        assert!(!a.is_full());
        a.enter();
        assert!(a.is_full(), "two of two working");
        a.leave(1);
        assert!(!a.is_full());
        a.leave(1);
        assert_eq!(a.working.load(Relaxed), 0);
    }
}
