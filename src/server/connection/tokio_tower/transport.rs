//! [`Transport`]: a connection's [`Framing`] as the `Stream` of requests
//! and `Sink` of answers tokio-tower's `multiplex::Server` drives.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_sink::Sink;
use tokio::io::{AsyncRead, AsyncWrite};

use super::super::framing::{Framing, Read};
use super::busy::HeldFlush;
use crate::server::close::Close;
use crate::{Message, Resp};

/// The framed socket with the rules tokio-tower's server does not have.
///
/// * **The end of reading** (the peer's close, the drain, bad input, a
///   timeout) ends the stream; the reason is kept for
///   [`end_reason`](Transport::end_reason), so the requests read before it
///   are answered first. Only a socket that fails or stops taking answers
///   fails the stream or the sink, which ends the connection at once.
/// * **Backpressure**: at `max_in_flight` requests read and not yet
///   answered (the framing's books), or while the socket takes no more
///   answers, nothing more is read. (Finishing handlers wake the server,
///   which sends their answers and reads again.)
/// * **Batched writes**, as with the jsonmux engine: the server flushes
///   after every request; while it is reading requests, a flush is held
///   back, without a wake-up: the server reads next (see [`HeldFlush`]
///   for when it does not). Before each read the framing writes out a
///   buffer past its batch size; when reading runs dry (the socket has
///   nothing more) it writes everything buffered, in one write.
/// * **Quiet**: once nothing is in flight and the framing has given back
///   its buffers (idle a while), the stream ends with no reason given:
///   the server is done, and the connection waits for its next request
///   without one.
/// * The framing counts requests and error answers, obeys cancels, and
///   writes nothing for a cancelled request, as with the jsonmux engine.
#[derive(Debug)]
pub(super) struct Transport<'a, T> {
    framing: &'a mut Framing<T>,
    /// The request read before the server was made, handed out first.
    first: Option<Message>,
    /// The last read gave a request: more may follow, and a flush can wait
    /// for reading to run dry.
    reading: bool,
    /// Whether a flush is held back, shared with the service's wrapper.
    held: &'a HeldFlush,
    /// Reading has ended, and why (`Some(None)`: the peer closed).
    end: Option<Option<Close>>,
}

impl<'a, T: AsyncRead + AsyncWrite + Unpin> Transport<'a, T> {
    /// The transport of a server that is to be handed `first` (if any)
    /// before what is read next.
    pub(super) fn new(
        framing: &'a mut Framing<T>,
        held: &'a HeldFlush,
        first: impl Into<Option<Message>>,
    ) -> Self {
        let first = first.into();
        Transport {
            framing,
            reading: first.is_some(),
            first,
            held,
            end: None,
        }
    }

    /// Why the stream ended: `Some` with the reason reading ended (`None`
    /// if the peer closed), or `None` if the connection went quiet.
    pub(super) fn ended(&mut self) -> Option<Option<Close>> {
        self.end.take()
    }

    /// Reading has stopped: the answers held back are being written.
    fn stopped_reading(&mut self) {
        self.reading = false;
        self.held.release();
    }

    /// The next request, if reading may go on now.
    fn poll_request(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Message, Close>>> {
        if self.end.is_some() {
            return Poll::Ready(None);
        }
        if let Some(msg) = self.first.take() {
            return Poll::Ready(Some(Ok(msg)));
        }
        // 1. A socket that takes no more answers gets no more requests read.
        if let Err(broken) = std::task::ready!(self.framing.poll_ready(cx)) {
            return Poll::Ready(Some(Err(broken)));
        }
        // 2. At the limit, read nothing more until answers go out; write
        //    those buffered now (no read is coming to do it). The drain
        //    still runs: its notice goes out with that write, and the end
        //    of its grace ends the reading.
        if self.framing.at_limit() {
            self.stopped_reading();
            if self.framing.poll_drain(cx).is_ready() {
                self.end = Some(Some(Close::Drained));
                return Poll::Ready(None);
            }
            if let Poll::Ready(Err(broken)) = self.framing.poll_flush(cx) {
                return Poll::Ready(Some(Err(broken)));
            }
            return Poll::Pending;
        }
        // 3. Read (running dry writes the answers buffered, and runs the
        //    clock of what the connection now waits for).
        match self.framing.poll_read(cx) {
            Poll::Ready(Read::Request(msg)) => {
                self.reading = true;
                Poll::Ready(Some(Ok(msg)))
            }
            Poll::Ready(Read::End(why)) => {
                self.stopped_reading();
                self.end = Some(why);
                Poll::Ready(None)
            }
            Poll::Pending => {
                self.stopped_reading();
                // 4. Quiet: the server ends, and with it its state.
                if self.framing.is_idle() && self.framing.released() {
                    return Poll::Ready(None);
                }
                Poll::Pending
            }
        }
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> Stream for Transport<'_, T> {
    type Item = Result<Message, Close>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_request(cx)
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> Sink<Resp> for Transport<'_, T> {
    type Error = Close;

    /// Not ready while nothing is in flight: no answer can come, and the
    /// server then skips polling its empty set of handlers (which would
    /// register its waker again) and goes on to read. Nothing waits for
    /// this to change: the next request read makes it ready.
    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Close>> {
        let this = self.get_mut();
        if this.framing.is_idle() {
            return Poll::Pending;
        }
        this.framing.poll_ready(cx)
    }

    fn start_send(self: Pin<&mut Self>, resp: Resp) -> Result<(), Close> {
        self.get_mut().framing.send(resp)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Close>> {
        let this = self.get_mut();
        // The last read gave a request, so the server reads next: what it
        // reads (decoded already, or still in the socket) adds its answers
        // to these, and reading running dry writes them all, in one write.
        // Unless the service was not ready since the last flush held back:
        // the server reads nothing until it is.
        let flush_now = this.held.release();
        if this.reading && !flush_now && this.framing.has_unwritten() {
            // No wake-up: the server reads next, and comes back here with
            // the next request's answer, or runs dry and writes.
            this.held.hold();
            return Poll::Pending;
        }
        this.framing.poll_flush(cx)
    }

    /// Flushes; the socket itself is closed by the engine once it has
    /// sent its last words.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Close>> {
        self.get_mut().framing.poll_flush(cx)
    }
}
