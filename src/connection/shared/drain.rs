//! Draining: the connection takes no new call, lets its calls in flight
//! finish, and ends after the last.

use super::Shared;
use crate::CloseReason;

impl Shared {
    /// Starts draining: no new call (refused with `cause`, which the
    /// connection ends with), the calls in flight go on, and the
    /// connection ends once no caller waits (reservations aside). Only the
    /// first call counts.
    pub(crate) fn drain(&self, cause: CloseReason) {
        let mut table = self.lock();
        if table.in_flight.is_draining() || self.is_closed() {
            return;
        }
        table.in_flight.drain();
        let _ = self.drain_cause.set(cause);
        let drained = !table.in_flight.has_callers();
        drop(table);
        self.draining.cancel();
        if drained {
            self.drained();
        }
    }

    /// The last call of a draining connection is done: the task stops.
    pub(super) fn drained(&self) {
        if let Some(cause) = self.drain_cause.get() {
            self.abort(cause.clone());
        }
    }

    /// True once the connection has started draining (it takes no new call).
    #[inline]
    pub(crate) fn is_draining(&self) -> bool {
        self.drain_cause.get().is_some()
    }

    /// Resolves once the connection starts draining.
    pub(crate) async fn draining(&self) {
        self.draining.cancelled().await
    }
}
