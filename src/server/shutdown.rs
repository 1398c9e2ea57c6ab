//! The server's shutdown: [`Shutdown`] signals every connection and waits
//! for them; [`Drain`] is one connection's side of it.
//!
//! ```text
//! shutdown ─ listener closed at once (a new server can take the port)
//!          ─ every connection: going-away notice {"Uid":"","Code":"going_away",…}
//!              reads and answers what still arrives for drain_grace,
//!              closes once quiet (nothing in flight, and the client closed
//!              its side or sent nothing for DRAIN_QUIET)
//!          ─ drain_timeout after the signal: connections still open are cut
//! ```
//!
//! Any engine drives a connection's drain the same way: poll
//! [`Drain::poll_begin`] where it would check for shutdown and, when it
//! says so, send [`notice`] like an answer; read on until
//! [`Drain::poll_over`]; close a connection with nothing in flight that
//! has been quiet for [`DRAIN_QUIET`].

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Sleep;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::watch::Watch;
use crate::{Code, Resp};

/// How long a draining connection with nothing in flight waits for another
/// request before it closes: a client that ignores the notice has stopped
/// sending by then.
pub(crate) const DRAIN_QUIET: Duration = Duration::from_secs(1);

/// The going-away notice: an error answer about the whole connection,
/// which the Go client ignores (no caller has an empty `Uid`).
pub(crate) fn notice() -> Resp {
    Resp::error("", Code::GoingAway, "server shutting down")
}

/// The server's shutdown, shared by its connections: a signal to drain,
/// and one to cut.
#[derive(Debug, Default)]
pub(crate) struct Shutdown {
    /// Cancelled when shutdown begins: each connection sends its notice
    /// and drains.
    drain: CancellationToken,
    /// Cancelled at the drain deadline: connections still open are cut.
    cut: CancellationToken,
}

impl Shutdown {
    /// What a connection watches to drain (see [`Drain`]).
    pub(crate) fn drain_signal(&self) -> CancellationToken {
        self.drain.clone()
    }

    /// Cancelled when the connections still open must end at once.
    pub(crate) fn cut_signal(&self) -> CancellationToken {
        self.cut.clone()
    }

    /// Tells every connection to drain, and waits for the connections
    /// `tracker` runs to end; cuts those still open after `within`.
    pub(crate) async fn drain(&self, tracker: &TaskTracker, within: Duration) {
        self.drain.cancel();
        tracker.close();
        if tokio::time::timeout(within, tracker.wait()).await.is_err() {
            tracing::warn!(left = tracker.len(), "drain timed out; closing connections");
            self.cut.cancel();
            tracker.wait().await;
        }
    }
}

/// One connection's drain: the server's signal, then the grace period.
///
/// The connection checks for shutdown before every wait: the signal is
/// [`Watch`]ed, so a check is an atomic load.
#[derive(Debug)]
pub(crate) struct Drain {
    signal: Pin<Box<Watch>>,
    grace: Duration,
    /// The end of the grace, once the drain has begun.
    over: Option<Pin<Box<Sleep>>>,
}

impl Drain {
    /// Watches `signal` ([`Shutdown::drain_signal`]); reads go on for
    /// `grace` after it.
    pub(crate) fn new(signal: CancellationToken, grace: Duration) -> Self {
        Drain {
            signal: Box::pin(Watch::new(signal)),
            grace,
            over: None,
        }
    }

    /// True once, at the first call that finds shutdown begun: send the
    /// [`notice`] now; the grace starts.
    pub(crate) fn poll_begin(&mut self, cx: &mut Context<'_>) -> bool {
        if self.over.is_some() || self.signal.as_mut().poll(cx).is_pending() {
            return false;
        }
        self.over = Some(Box::pin(tokio::time::sleep(self.grace)));
        true
    }

    /// Ready once the grace is over: read nothing more.
    pub(crate) fn poll_over(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        match &mut self.over {
            Some(over) => over.as_mut().poll(cx),
            None => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;

    /// Polls `drain` once: (begun now, over).
    async fn step(drain: &mut Drain) -> (bool, bool) {
        poll_fn(|cx| Poll::Ready((drain.poll_begin(cx), drain.poll_over(cx).is_ready()))).await
    }

    /// Nothing happens before the signal; then the notice is due once, and
    /// reading ends exactly at the grace.
    #[tokio::test(start_paused = true)]
    async fn the_notice_is_due_once_and_reading_ends_after_the_grace() {
        let signal = CancellationToken::new();
        let mut drain = Drain::new(signal.clone(), Duration::from_secs(5));
        assert_eq!(step(&mut drain).await, (false, false));
        signal.cancel();
        assert_eq!(step(&mut drain).await, (true, false));
        tokio::time::advance(Duration::from_millis(4999)).await;
        assert_eq!(step(&mut drain).await, (false, false));
        tokio::time::advance(Duration::from_millis(1)).await;
        assert_eq!(step(&mut drain).await, (false, true));
    }

    /// The notice is an error answer about the whole connection.
    #[test]
    fn the_notice_has_no_uid_and_the_going_away_code() {
        let n = notice();
        assert_eq!((n.uid.as_str(), n.code), ("", Some(Code::GoingAway)));
        assert!(n.error.is_some());
    }
}
