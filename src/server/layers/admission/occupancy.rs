//! [`Occupancy`]: the count every connection's [`Admission`](super::Admission) shares.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;

use tokio::sync::futures::OwnedNotified;
use tokio::sync::Notify;

/// Handlers at work over all connections, against the cap.
///
/// The check ([`is_full`](Occupancy::is_full)) and the entry are not one
/// step, so under a race the count can pass `max` by a few (at most one
/// per runtime thread), never more.
#[derive(Debug)]
pub(crate) struct Occupancy {
    working: AtomicUsize,
    max: usize,
    /// Queue mode only: woken when a place frees while the cap is reached.
    freed: Option<Arc<Notify>>,
}

impl Occupancy {
    /// A cap of `max`; with `queue`, connections can wait for a place
    /// ([`freed`](Occupancy::freed)).
    pub(crate) fn new(max: usize, queue: bool) -> Self {
        Occupancy {
            working: AtomicUsize::new(0),
            max,
            freed: queue.then(|| Arc::new(Notify::new())),
        }
    }

    /// True when `max` handlers are working: a new request is shed or waits.
    pub(crate) fn is_full(&self) -> bool {
        self.working.load(Relaxed) >= self.max
    }

    /// A handler did not answer at once: it holds a place until it does.
    pub(crate) fn enter(&self) {
        self.working.fetch_add(1, Relaxed);
    }

    /// A handler that held a place answered, or was dropped. In queue mode,
    /// leaving a full house wakes the connections waiting for a place.
    pub(crate) fn leave(&self) {
        let before = self.working.fetch_sub(1, Relaxed);
        if let Some(freed) = &self.freed {
            if before >= self.max {
                freed.notify_waiters();
            }
        }
    }

    /// Queue mode: a future that completes when a place frees after this
    /// call. Take it, then check [`is_full`](Occupancy::is_full) again, so
    /// a place freed in between is not missed.
    ///
    /// # Panics
    ///
    /// In shed mode, which never waits.
    pub(crate) fn freed(&self) -> OwnedNotified {
        let freed = self.freed.as_ref().expect("only queue mode waits");
        freed.clone().notified_owned()
    }

    /// Handlers holding a place now.
    #[cfg(test)]
    pub(crate) fn working(&self) -> usize {
        self.working.load(Relaxed)
    }
}

/// One connection's handle on the shared [`Occupancy`].
///
/// Each call's future keeps a clone of its connection's handle rather than
/// of the shared `Arc`: cloning and dropping it for every request then
/// touches a reference count that only this connection uses, not one that
/// every connection's requests would pass back and forth between CPUs.
#[derive(Clone, Debug)]
pub(crate) struct OccupancyHandle(Arc<ConnectionShare>);

#[derive(Debug)]
struct ConnectionShare {
    occupancy: Arc<Occupancy>,
}

impl OccupancyHandle {
    /// A new handle, for one connection.
    pub(crate) fn new(occupancy: Arc<Occupancy>) -> Self {
        OccupancyHandle(Arc::new(ConnectionShare { occupancy }))
    }
}

impl std::ops::Deref for OccupancyHandle {
    type Target = Occupancy;

    fn deref(&self) -> &Occupancy {
        &self.0.occupancy
    }
}
