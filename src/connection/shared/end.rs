//! How a connection ends: its cause, the signal that it has, and the kill
//! switch that stops its background task.

use tokio_util::sync::CancellationToken;

use super::Shared;
use crate::{CloseReason, Error};

impl Shared {
    /// Records why the connection ended; the first cause wins.
    pub(crate) fn set_cause(&self, e: CloseReason) {
        if self.cause.set(e).is_ok() {
            self.ended.cancel();
        }
    }

    /// Why the connection ended, once it has.
    pub(crate) fn cause(&self) -> Option<&CloseReason> {
        self.cause.get()
    }

    /// The error a request gets when the connection died under it.
    pub(crate) fn closed_error(&self) -> Error {
        Error::Closed(
            self.cause
                .get()
                .cloned()
                .unwrap_or(CloseReason::ClientClosed),
        )
    }

    /// True once the connection has ended (with a recorded cause).
    pub(crate) fn is_closed(&self) -> bool {
        self.cause.get().is_some()
    }

    /// Resolves once the connection has ended.
    pub(crate) async fn ended(&self) {
        self.ended.cancelled().await
    }

    /// Ends the connection from outside: every request in flight fails
    /// with `Closed(cause)`.
    pub(crate) fn abort(&self, cause: CloseReason) {
        self.set_cause(cause);
        self.kill.cancel();
    }

    /// Cancelled by [`abort`](Shared::abort) (and once a drain is done):
    /// the background task stops.
    pub(crate) fn kill(&self) -> &CancellationToken {
        &self.kill
    }

    /// Drops every waiter (the cause must be set first), refuses new
    /// calls, and wakes the calls waiting for room in the backlog.
    pub(crate) fn close(&self) {
        let mut table = self.lock();
        table.in_flight.close();
        self.sync_len(&table);
        drop(table);
        self.backlog.close();
    }
}
