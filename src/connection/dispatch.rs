//! [`Dispatch`]: jsonmux's engine, the task that drives one connection's
//! stream: writes queued requests in batches and routes every answer to
//! its caller; and
//! [`Background`], that task for the executor of a user's choice.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::WaitForCancellationFutureOwned;

use super::backlog::Backlog;
use super::options::ConnectionOptions;
use super::queued::Queued;
use super::shared::Shared;
use super::wire::Wire;
use crate::busy_poll::BusyPoll;
use crate::CloseReason;

/// Requests taken from the queue per round before answers get their turn.
const BATCH: usize = 256;
/// Rounds per wake-up before yielding to other tasks.
const ROUNDS: usize = 16;
/// Stop encoding once this much waits to be written: large requests must
/// not pile up in memory while the socket is full.
const MAX_UNWRITTEN: usize = 64 * 1024;

/// Drives one connection over `T` until it ends.
///
/// Each round takes every queued request (up to [`BATCH`] requests or
/// [`MAX_UNWRITTEN`] bytes), encodes those whose caller still waits, and
/// the cancels of calls given up on, into the write buffer and flushes
/// them with one write, then decodes and routes every answer already
/// received. The stream is always read, even with nothing in flight, so a
/// peer's close is seen at once. A flush that leaves bytes unwritten and
/// wrote none is reported to the health as writes blocked (the peer takes
/// nothing) until the stream takes some.
///
/// A server's going-away notice makes the connection drain (see
/// [`Shared::route`]): requests already taken are still written and
/// answered, and the task stops once the last of them is done.
pub(crate) struct Dispatch<T> {
    wire: Wire<T>,
    requests: mpsc::UnboundedReceiver<Queued>,
    shared: Arc<Shared>,
    /// The requests taken in a round (kept for its allocation).
    taken: Vec<Queued>,
    /// Fires when the connection is aborted from outside (dead peer).
    kill: Pin<Box<WaitForCancellationFutureOwned>>,
    /// Every `Connection` handle is gone: finish what callers still wait
    /// for, then stop.
    draining: bool,
    /// Keeps checking for answers for a while after each write or read.
    busy_poll: BusyPoll,
}

impl<T: AsyncRead + AsyncWrite + Unpin> Dispatch<T> {
    pub(crate) fn new(
        io: T,
        requests: mpsc::UnboundedReceiver<Queued>,
        shared: Arc<Shared>,
        opts: &ConnectionOptions,
    ) -> Self {
        let kill = Box::pin(shared.kill().clone().cancelled_owned());
        Dispatch {
            wire: Wire::new(io, opts),
            requests,
            shared,
            taken: Vec::new(),
            kill,
            draining: false,
            busy_poll: BusyPoll::new(opts.busy_poll),
        }
    }

    /// Runs rounds until the connection ends (`Ready`) or nothing is left
    /// to do until a wake-up (`Pending`).
    fn poll_run(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), CloseReason>> {
        if self.kill.as_mut().poll(cx).is_ready() {
            // `Shared::abort` recorded the cause before cancelling (a dead
            // peer, or a drain whose last call is done).
            return Poll::Ready(Err(self
                .shared
                .cause()
                .cloned()
                .unwrap_or(CloseReason::ClientClosed)));
        }
        // Calls that give up leave cancels for the server: wake for them.
        self.shared.cancels.register(cx.waker());
        for _ in 0..ROUNDS {
            // 1. Take every queued request; encode those still wanted, and
            //    the cancels.
            let took = self.take_requests(cx)?;
            self.wire.encode_cancels(&self.shared);
            // 2. One write for the batch; if the stream is full, keep reading.
            if let Poll::Ready(Err(e)) = self.wire.poll_flush(cx, &self.shared) {
                return Poll::Ready(Err(e));
            }
            // 3. Route every answer received.
            let mut got = 0;
            let mut heard_at = None;
            while got < BATCH {
                match self.wire.poll_answer(cx) {
                    Poll::Ready(Some(Ok(resp))) => {
                        // Progress, for the dead-peer check, if it answers
                        // one of our calls: a clock read per batch.
                        let now = *heard_at.get_or_insert_with(Instant::now);
                        self.shared.route(resp, Some(now));
                        got += 1;
                    }
                    Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(e.into())),
                    Poll::Ready(None) => return Poll::Ready(Err(CloseReason::PeerClosed)),
                    Poll::Pending => break,
                }
            }
            if self.draining && !self.shared.has_callers() {
                return Poll::Ready(Ok(()));
            }
            if took == 0 && got == 0 {
                let shared = &self.shared;
                self.busy_poll.poll(cx, || shared.has_callers());
                return Poll::Pending;
            }
            self.busy_poll.restart();
        }
        // Still busy: let other tasks run, then come back.
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    /// Takes the queued requests (up to [`BATCH`] of them or
    /// [`MAX_UNWRITTEN`] bytes in the write buffer), gives their room in
    /// the backlog back, and encodes those whose caller still waits; the
    /// others' callers gave up while they were queued: they are dropped
    /// unsent. Returns how many were taken.
    fn take_requests(&mut self, cx: &mut Context<'_>) -> Result<usize, CloseReason> {
        let mut bytes = self.wire.unwritten();
        let mut room = 0;
        while !self.draining && self.taken.len() < BATCH && bytes < MAX_UNWRITTEN {
            match self.requests.poll_recv(cx) {
                Poll::Ready(Some(queued)) => {
                    let size = Backlog::size(&queued.msg);
                    bytes += size;
                    room += size;
                    self.taken.push(queued);
                }
                Poll::Ready(None) => self.draining = true,
                Poll::Pending => break,
            }
        }
        let took = self.taken.len();
        if took == 0 {
            return Ok(0);
        }
        self.shared.backlog.give_back(room);
        self.shared.sending(&mut self.taken);
        let mut deadlines = 0;
        for queued in self.taken.drain(..) {
            deadlines += u64::from(self.wire.encode(&queued.msg, queued.seq));
        }
        self.shared.stats.deadlines_sent(deadlines);
        Ok(took)
    }
}

impl<T> Drop for Dispatch<T> {
    fn drop(&mut self) {
        // Dropped unfinished (its runtime shut down, or its `Background`
        // dropped): callers still waiting must not wait forever. After a
        // finished run this changes nothing.
        self.shared.set_cause(CloseReason::ClientClosed);
        self.shared.close();
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> Future for Dispatch<T> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let cause = match self.poll_run(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Ok(())) => CloseReason::ClientClosed,
            Poll::Ready(Err(e)) => e,
        };
        tracing::debug!(error = %cause, "connection ended");
        // The cause first, then the waiters: each caller wakes up to read it.
        self.shared.set_cause(cause);
        self.shared.close();
        Poll::Ready(())
    }
}

/// The task that drives a [`Connection`](super::Connection)'s stream,
/// from [`Connection::pair`](super::Connection::pair): run it (spawn it,
/// or poll it yourself) for the connection's calls to be answered.
///
/// It writes the queued requests and routes the answers until the
/// connection ends: the peer closes it, the stream fails, or every
/// `Connection` clone is gone and the calls in flight are answered.
/// Dropping it unfinished ends the connection: every call in flight fails
/// with [`Error::Closed`](crate::Error::Closed) ([`Error::ClientClosed`](crate::Error::ClientClosed)).
#[must_use = "a connection's calls are answered only while its Background runs"]
pub struct Background<T> {
    dispatch: Dispatch<T>,
}

impl<T> Background<T> {
    pub(crate) fn new(dispatch: Dispatch<T>) -> Self {
        Background { dispatch }
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> Future for Background<T> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.dispatch).poll(cx)
    }
}

impl<T> fmt::Debug for Background<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Background").finish_non_exhaustive()
    }
}
