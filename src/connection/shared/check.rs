//! The dead-peer check a pool's watcher asks for, and the blocked writes
//! it weighs.

use std::time::Duration;

use tokio::time::Instant;

use super::state::Table;
use super::Shared;
use crate::connection::health::Verdict;
use crate::CloseReason;

impl Shared {
    /// Writes are blocked since `since` (the peer takes nothing), or flow
    /// again (`None`): for [`Health`]'s write timeout.
    ///
    /// [`Health`]: crate::connection::health::Health
    pub(crate) fn write_blocked(&self, since: Option<Instant>) {
        self.lock().health.write_blocked(since);
    }

    /// [`Health::check`] at `now`: the cause if the peer is dead (for the
    /// watcher to abort the connection with). A spent connection is
    /// drained here, its replacement the watcher's to dial.
    ///
    /// [`Health::check`]: crate::connection::health::Health::check
    pub(crate) fn check(&self, now: Instant) -> Option<CloseReason> {
        let mut table = self.lock();
        let Table { in_flight, health } = &mut *table;
        let verdict = health.check(now, in_flight);
        drop(table);
        match verdict? {
            Verdict::Dead(cause) => Some(cause),
            Verdict::Retire(cause) => {
                tracing::debug!(error = %cause, "retiring the connection");
                self.drain(cause);
                None
            }
        }
    }

    /// [`Health::check_every`].
    ///
    /// [`Health::check_every`]: crate::connection::health::Health::check_every
    pub(crate) fn check_every(&self) -> Duration {
        self.lock().health.check_every()
    }
}
