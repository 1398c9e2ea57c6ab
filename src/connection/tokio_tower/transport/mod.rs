//! [`Transport`]: the connection's stream as the `Stream + Sink` that
//! tokio-tower's multiplex client drives.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};

use ::tokio_tower::multiplex::client::Pending;
use ::tokio_tower::multiplex::TagStore;
use futures_core::Stream;
use futures_sink::Sink;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;
use tokio_util::sync::WaitForCancellationFutureOwned;

use super::error::ClientError;
use super::feed::Feed;
use super::slot::Slot;
use super::tags::Tagged;
use crate::busy_poll::BusyPoll;
use crate::connection::options::ConnectionOptions;
use crate::connection::shared::{Routed, Shared};
use crate::connection::wire::Wire;
use crate::deferred_flush::DeferredFlush;
use crate::{CloseReason, Error, Resp};

/// Answers routed per wake-up, at most, when none is for tokio-tower to
/// hand over (late, unknown, the server's word): then other tasks get a turn.
const MAX_ROUTED: usize = 256;

/// The connection's [`Wire`], with what tokio-tower's client does not do
/// itself:
///
/// * **Routes every answer through [`Shared::route`]**, as jsonmux's
///   engine does, before tokio-tower sees it: a going-away notice drains
///   the connection, a late or unknown answer is dropped, the server's
///   word about the connection becomes its cause. Only an answer for a
///   call on the wire comes out of the stream, with the call's handle kept
///   for the pending store.
/// * **Keeps the cause of death.** Every error (and the peer's close) is
///   recorded in the shared state before it goes up to the client, which
///   then ends and drops its calls; each caller reads the cause instead of
///   tokio-tower's bare "cancelled". An abort from outside (a dead peer,
///   or a drain whose last call is done) comes out of the stream as an
///   error.
/// * **Batches writes with a deferred flush.** The client takes one
///   request per wake-up from its one-slot hand-off, then flushes. While
///   requests keep coming, `poll_flush` is held back ([`DeferredFlush`]),
///   so the next wake-up adds the next request to the same write.
/// * **Writes the cancels** of calls given up on, woken for them while it
///   reads; like jsonmux's engine it shares the [`Wire`] (the extension's
///   fields, the health's write timeout, a flush finished after one that
///   did not).
/// * **Is read while idle**, with the pending store's help (see
///   `PendingInTable::in_flight`), so a peer's close is seen at once; and
///   busy-polls for answers like jsonmux's engine when asked to. Each
///   answer of a batch carries the batch's time, so the first answer to
///   one of our calls in it is progress, whatever came before it.
pub(crate) struct Transport<T> {
    wire: Wire<T>,
    shared: Arc<Shared>,
    /// Fires when the connection is aborted from outside (dead peer, or drained).
    kill: Pin<Box<WaitForCancellationFutureOwned>>,
    /// The client closed its sink: its handles are gone, and only the
    /// calls still waited for keep the connection.
    closing: bool,
    /// A request was encoded since the flush was last held back.
    fresh: bool,
    /// Holds a flush back while requests keep coming.
    deferred: DeferredFlush,
    /// When the current batch of answers was read (one clock read per
    /// batch, for the dead-peer check); `None` once the stream returned
    /// `Pending`: the next answer starts a batch.
    batch_at: Option<Instant>,
    /// The handle on the call the answer coming out of the stream is for,
    /// until the pending store takes it.
    handover: Option<Pending<Resp>>,
    /// Keeps checking for answers for a while after each write or read.
    busy_poll: BusyPoll,
    /// The queue in front of the client's hand-off, pumped each time the
    /// client takes a request out of it.
    feed: Weak<Feed>,
}

impl<T: AsyncRead + AsyncWrite + Unpin> Transport<T> {
    pub(crate) fn new(io: T, shared: Arc<Shared>, opts: &ConnectionOptions) -> Self {
        let kill = Box::pin(shared.kill().clone().cancelled_owned());
        Transport {
            wire: Wire::new(io, opts),
            shared,
            kill,
            closing: false,
            fresh: false,
            deferred: DeferredFlush::default(),
            batch_at: None,
            handover: None,
            busy_poll: BusyPoll::new(opts.busy_poll),
            feed: Weak::new(),
        }
    }

    /// Pumps `feed` each time the client takes a request (see [`Feed`]).
    pub(crate) fn pumps(&mut self, feed: Weak<Feed>) {
        self.feed = feed;
    }

    /// Writes the cancels calls have left, if any: encoded and flushed now,
    /// since the client flushes only after a request. (With none, requests
    /// held back by a deferred flush stay held.)
    fn write_cancels(&mut self, cx: &mut Context<'_>) -> Result<(), Error> {
        self.shared.cancels.register(cx.waker());
        let before = self.wire.unwritten();
        self.wire.encode_cancels(&self.shared);
        if self.wire.unwritten() == before {
            return Ok(());
        }
        if let Poll::Ready(Err(e)) = self.wire.poll_flush(cx, &self.shared) {
            return Err(self.fail(e));
        }
        Ok(())
    }
}

impl<T> Transport<T> {
    /// True once the client has closed its sink (every handle gone).
    pub(crate) fn is_closing(&self) -> bool {
        self.closing
    }

    /// The handle on the call the answer just out of the stream is for.
    pub(crate) fn take_handover(&mut self) -> Option<Pending<Resp>> {
        self.handover.take()
    }

    /// Records `e` as the cause of the connection's end (the first cause
    /// wins), before the client hears of it.
    fn fail(&self, e: impl Into<CloseReason>) -> Error {
        let reason = e.into();
        self.shared.set_cause(reason.clone());
        Error::Closed(reason)
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> Stream for Transport<T> {
    type Item = Result<Resp, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        // Once per batch of answers (the client asks for them one by one):
        if this.batch_at.is_none() {
            // 1. Aborted from outside: `Shared::abort` recorded the cause.
            if this.kill.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Some(Err(this.shared.closed_error())));
            }
            // 2. The cancels of calls given up on go out.
            if let Err(e) = this.write_cancels(cx) {
                return Poll::Ready(Some(Err(e)));
            }
        }
        // 3. The next answer for a call on the wire, or why there is none.
        for _ in 0..MAX_ROUTED {
            match this.wire.poll_answer(cx) {
                Poll::Ready(Some(Ok(resp))) => {
                    let heard_at = *this.batch_at.get_or_insert_with(Instant::now);
                    this.busy_poll.restart();
                    match this.shared.route(resp, Some(heard_at)) {
                        Routed::HandOver(pending, resp) => {
                            this.handover = Some(pending);
                            return Poll::Ready(Some(Ok(resp)));
                        }
                        Routed::Done => continue,
                    }
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(this.fail(e)))),
                Poll::Ready(None) => {
                    this.fail(CloseReason::PeerClosed);
                    return Poll::Ready(None);
                }
                Poll::Pending => {
                    this.batch_at = None;
                    let shared = &this.shared;
                    this.busy_poll.poll(cx, || shared.has_callers());
                    return Poll::Pending;
                }
            }
        }
        // Still reading answers nobody waits for: other tasks' turn.
        this.batch_at = None;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> Sink<Tagged> for Transport<T> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        this.wire
            .poll_ready(cx, &this.shared)
            .map_err(|e| this.fail(e))
    }

    fn start_send(self: Pin<&mut Self>, item: Tagged) -> Result<(), Error> {
        let this = self.get_mut();
        this.fresh = true;
        this.busy_poll.restart();
        let (msg, seq) = item.into_request();
        let with_deadline = this.wire.encode(&msg, seq);
        this.shared.stats.deadlines_sent(u64::from(with_deadline));
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        if !this.wire.has_unwritten() {
            return Poll::Ready(Ok(()));
        }
        // 1. A request came since the last look: give the next one a
        //    wake-up to join this write.
        let more_coming = std::mem::take(&mut this.fresh) && !this.closing;
        if this.deferred.hold(more_coming) {
            // The client reads answers next and then sleeps: the wake-up
            // brings it back to this write.
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        // 2. None came, or enough rounds passed: write (or finish writing).
        this.wire
            .poll_flush(cx, &this.shared)
            .map_err(|e| this.fail(e))
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        // The client's handles are gone. Write what is buffered but keep
        // the write half open: the peer still answers the calls in flight
        // (the stream closes when the transport is dropped).
        self.as_mut().get_mut().closing = true;
        self.poll_flush(cx)
    }
}

/// A request's tag is its call's [`Slot`], where the pending store keeps
/// tokio-tower's handle on the call (the slot is in the call's entry in
/// the in-flight table). An answer needs none: the transport routed it
/// before tokio-tower sees it (and holds its caller for the pending store).
impl<T: AsyncRead + AsyncWrite + Unpin> TagStore<Tagged, Resp> for Transport<T> {
    type Tag = Option<Arc<Slot>>;

    /// The request goes on the wire now: its `Uid` stays taken until its
    /// answer arrives (or the connection ends). The client has just taken
    /// it out of its hand-off: the next queued request goes in.
    fn assign_tag(self: Pin<&mut Self>, r: &mut Tagged) -> Option<Arc<Slot>> {
        if let Some(feed) = self.feed.upgrade() {
            feed.pump();
        }
        Some(r.tag())
    }

    fn finish_tag(self: Pin<&mut Self>, _: &Resp) -> Option<Arc<Slot>> {
        None
    }
}

/// A failure of the transport or of the client's hand-off ends the multiplex
/// client's calls; the transport has recorded its cause.
impl<T> From<::tokio_tower::Error<Transport<T>, Tagged>> for ClientError
where
    T: AsyncRead + AsyncWrite + Unpin,
{
    fn from(_: ::tokio_tower::Error<Transport<T>, Tagged>) -> ClientError {
        ClientError
    }
}

impl<T> fmt::Debug for Transport<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("closing", &self.closing)
            .field("deferred", &self.deferred)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
