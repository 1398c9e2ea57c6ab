//! What a pool watches a [`Connection`] with: its end, its drain, its health.

use std::time::Duration;

use tokio::time::Instant;

use super::service::Connection;
use crate::CloseReason;

/// The health API a pool watches a connection with.
///
/// A connection *drains* when its server sends a going-away notice, or when
/// the pool closes: it takes no new call (the pool skips it), the calls in
/// flight go on, and it ends once the last of them is done.
impl Connection {
    /// Resolves once the connection has ended.
    pub(crate) async fn ended(&self) {
        self.shared.ended().await
    }

    /// True once the connection is draining: pick another one.
    #[inline]
    pub(crate) fn is_draining(&self) -> bool {
        self.shared.is_draining()
    }

    /// Resolves once the connection starts draining: time to dial its
    /// replacement.
    pub(crate) async fn draining(&self) {
        self.shared.draining().await
    }

    /// Drains the connection; it ends with `cause` once its calls in
    /// flight are done (at once if there are none).
    pub(crate) fn drain(&self, cause: CloseReason) {
        self.shared.drain(cause)
    }

    /// Why the connection ended, once it has.
    pub(crate) fn cause(&self) -> Option<CloseReason> {
        self.shared.cause().cloned()
    }

    /// Whether the peer looks dead at `now` (see `Health`), and why.
    pub(crate) fn check(&self, now: Instant) -> Option<CloseReason> {
        self.shared.check(now)
    }

    /// How often [`Connection::check`] should be asked.
    pub(crate) fn check_every(&self) -> Duration {
        self.shared.check_every()
    }

    /// Ends the connection: every call in flight fails with
    /// [`Error::Closed`] and `cause`.
    pub(crate) fn abort(&self, cause: CloseReason) {
        self.shared.abort(cause)
    }
}
