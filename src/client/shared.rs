//! What one connection's callers, its background worker and its supervisor share.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::inflight::InFlight;
use crate::Error;

/// State shared by a [`Connection`](super::Connection), its dispatch task
/// and, in a pool, the task that watches over it.
#[derive(Debug)]
pub(crate) struct Shared {
    /// `Uid`s in flight and their callers: duplicates refused, abandoned
    /// ones tombstoned.
    pub(crate) in_flight: InFlight,
    /// Why the connection ended, recorded *before* the waiters are dropped,
    /// so each of them can report it.
    cause: OnceLock<Error>,
    /// Cancelled once `cause` is set: lets watchers await the end.
    ended: CancellationToken,
    /// Cancelled to make the dispatch task stop with `cause` (dead peer detected).
    pub(crate) kill: CancellationToken,
    /// Reference point for `last_progress`.
    born: Instant,
    /// Milliseconds after `born` of the last answer received, or of the
    /// moment requests started waiting on an idle connection.
    last_progress: AtomicU64,
}

impl Default for Shared {
    fn default() -> Self {
        Shared {
            in_flight: InFlight::default(),
            cause: OnceLock::new(),
            ended: CancellationToken::new(),
            kill: CancellationToken::new(),
            born: Instant::now(),
            last_progress: AtomicU64::new(0),
        }
    }
}

impl Shared {
    /// Records why the connection ended; the first cause wins.
    pub(crate) fn set_cause(&self, e: Error) {
        if self.cause.set(e).is_ok() {
            self.ended.cancel();
        }
    }

    /// Why the connection ended, once it has.
    pub(crate) fn cause(&self) -> Option<&Error> {
        self.cause.get()
    }

    /// The error a request gets when the connection died under it.
    pub(crate) fn closed_error(&self) -> Error {
        Error::closed(self.cause.get().cloned().unwrap_or(Error::ClientClosed))
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
    pub(crate) fn abort(&self, cause: Error) {
        self.set_cause(cause);
        self.kill.cancel();
    }

    /// Notes progress: an answer arrived, or requests started waiting.
    pub(crate) fn touch(&self) {
        let ms = self.born.elapsed().as_millis() as u64;
        self.last_progress.store(ms, Ordering::Relaxed);
    }

    /// How long requests have been waiting without any answer arriving;
    /// zero when nothing is in flight.
    pub(crate) fn stalled_for(&self) -> Duration {
        if self.in_flight.len() == 0 {
            return Duration::ZERO;
        }
        let last = Duration::from_millis(self.last_progress.load(Ordering::Relaxed));
        self.born.elapsed().saturating_sub(last)
    }
}
