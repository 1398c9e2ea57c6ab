//! A server-wide cap on requests being handled, that sheds instead of waiting.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Counts the requests being handled over all connections.
///
/// Cheaper than a semaphore for this job: a request over the cap is never
/// queued (it is answered `overloaded` at once), so admitting is one atomic
/// add and finishing one atomic subtract, with no lock on release.
#[derive(Debug)]
pub(crate) struct Admission {
    in_flight: AtomicUsize,
    max: usize,
}

/// One admitted request; dropping it makes room for another.
#[derive(Debug)]
pub(crate) struct Admitted(Arc<Admission>);

impl Admission {
    pub(crate) fn new(max: usize) -> Arc<Self> {
        Arc::new(Admission {
            in_flight: AtomicUsize::new(0),
            max,
        })
    }

    /// Admits one more request, unless `max` are already being handled.
    pub(crate) fn try_admit(self: &Arc<Self>) -> Option<Admitted> {
        let before = self.in_flight.fetch_add(1, Ordering::AcqRel);
        if before >= self.max {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(Admitted(self.clone()))
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_up_to_the_max_and_again_once_one_finishes() {
        let a = Admission::new(2);
        let first = a.try_admit().unwrap();
        let _second = a.try_admit().unwrap();
        assert!(a.try_admit().is_none(), "the third is shed");
        drop(first);
        assert!(a.try_admit().is_some());
    }
}
