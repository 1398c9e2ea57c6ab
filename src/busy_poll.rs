//! Busy polling: for a short window after activity, a task asks to be
//! polled again instead of sleeping until its wakers fire. Shared by the
//! server's idle connections and the client's connections awaiting answers
//! (`ServerBuilder::busy_poll`, `ClientBuilder::busy_poll`).

use std::future::Future;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// A busy-poll window, restarted by activity.
///
/// The window is wall-clock time, not tokio's: a paused tokio clock only
/// moves when no task is ready, and a busy-polling task always is.
#[derive(Debug)]
pub(crate) struct BusyPoll {
    /// How long to keep polling after activity; `None`: never.
    window: Option<Duration>,
    /// Until when the current window runs.
    until: Option<Instant>,
}

impl BusyPoll {
    pub(crate) fn new(window: Option<Duration>) -> Self {
        BusyPoll {
            window,
            until: None,
        }
    }

    /// Activity: the window starts again from now (no clock read when off).
    pub(crate) fn restart(&mut self) {
        if let Some(window) = self.window {
            self.until = Instant::now().checked_add(window);
        }
    }

    /// Within the window, and if `wanted()` (checked only then), asks to
    /// be polled again as soon as the runtime has checked for I/O and run
    /// its other tasks. The caller returns `Pending` either way, its real
    /// wakers registered.
    pub(crate) fn poll(&self, cx: &mut Context<'_>, wanted: impl FnOnce() -> bool) {
        if self.until.is_some_and(|until| Instant::now() < until) && wanted() {
            // Tokio runs a yielded task again only after polling its I/O
            // driver, without blocking: polled once, this defers our
            // wake-up until then.
            let yielded = std::pin::pin!(tokio::task::yield_now()).poll(cx);
            debug_assert!(matches!(yielded, Poll::Pending));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unset_window_never_starts() {
        let mut off = BusyPoll::new(None);
        off.restart();
        assert!(off.until.is_none());
    }

    #[test]
    fn a_window_starts_at_activity() {
        let mut on = BusyPoll::new(Some(Duration::from_secs(60)));
        assert!(on.until.is_none(), "no activity yet");
        on.restart();
        assert!(on.until.is_some_and(|u| u > Instant::now()));
    }
}
