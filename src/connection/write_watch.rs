//! [`WriteWatch`]: whether the peer takes what a connection writes.

use tokio::time::Instant;

use super::shared::Shared;

/// What an engine's flushes tell about the peer, for the health's write
/// timeout: the peer takes nothing while a flush leaves bytes unwritten
/// without writing any. The health hears when that starts (and again each
/// time the peer takes some, which restarts the clock), and when writes
/// flow again: a lock and a clock read per change, none per flush while
/// writes flow.
#[derive(Debug, Default)]
pub(crate) struct WriteWatch {
    /// The last flush left bytes unwritten.
    blocked: bool,
}

impl WriteWatch {
    /// After a flush: bytes are left unwritten (`blocked`), and the stream
    /// took some of them or none (`wrote_some`).
    #[inline]
    pub(crate) fn flushed(&mut self, shared: &Shared, blocked: bool, wrote_some: bool) {
        if blocked && (wrote_some || !self.blocked) {
            shared.write_blocked(Some(Instant::now()));
        } else if !blocked && self.blocked {
            shared.write_blocked(None);
        }
        self.blocked = blocked;
    }
}
