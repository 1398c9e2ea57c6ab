//! [`Framing`]: the framed socket under one connection, as its driver sees it.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BytesMut;
use futures_core::Stream;
use futures_sink::Sink;
use futures_util::SinkExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;
use tokio_util::codec::Framed;
use tokio_util::sync::CancellationToken;

use super::buffers;
use super::deadlines::{Deadlines, Due, Wait};
use super::delay::Delays;
use super::readable::Readable;
use super::requests::{Frame, Requests, MAX_CANCELS_IN_A_ROW};
use super::stamp::Stamp;
use super::timer::Timer;
use crate::busy_poll::BusyPoll;
use crate::proto::{write, NO_LOAD};
use crate::server::close::Close;
use crate::server::layers::Cancellations;
use crate::server::options::ServerOptions;
use crate::server::shutdown::{self, Drain};
use crate::server::stats::StatsHandle;
use crate::{CodecError, JsonCodec, Message, Resp};

/// Requests read in a row before the shutdown signal is checked anyway.
const SHUTDOWN_CHECK_EVERY: u32 = 32;

/// What a read gave.
#[derive(Debug)]
pub(crate) enum Read {
    /// The next request.
    Request(Message),
    /// Nothing more will be read: the peer closed (`None`), or the
    /// connection must end for this reason.
    End(Option<Close>),
}

/// The stream, framed by [`JsonCodec`], with the connection's clocks.
///
/// Reading runs dry → the answers buffered are written, all in one write,
/// and the clock for what the connection now waits for runs (see
/// [`Deadlines`]): a reason to end comes out of [`poll_read`] as
/// [`Read::End`], after the requests decoded before it, so the driver can
/// answer them all first.
///
/// An idle connection keeps no buffers: they are released once it has been
/// idle for a moment, and a read buffer is only given back once the stream
/// is [`Readable`].
///
/// When the server shuts down, the going-away notice goes out with the next
/// write and reading goes on through the drain's grace (see
/// [`shutdown`](crate::server::shutdown)); a connection with nothing in
/// flight then ends as [`Close::Drained`] once quiet, any connection at the
/// end of the grace.
///
/// [`poll_read`]: Framing::poll_read
#[derive(Debug)]
pub(crate) struct Framing<T> {
    framed: Framed<Readable<T>, JsonCodec<Message>>,
    /// The server's shutdown, as this connection lives it.
    drain: Drain,
    /// The rules of the clocks.
    deadlines: Deadlines,
    /// The one timer, for the next deadline of `deadlines`.
    timer: Timer,
    /// Keeps an idle connection checking its socket for a while after each
    /// wait begins.
    busy_poll: BusyPoll,
    /// Requests read since the shutdown signal was last checked.
    reads_unchecked: u32,
    /// The time on this write's answers that came without one.
    stamp: Stamp,
    /// How long this write's answers waited, for the server's delay.
    delays: Delays,
    /// The requests in flight, the counters, the extension.
    requests: Requests,
}

impl<T: AsyncRead + AsyncWrite + Unpin> Framing<T> {
    pub(crate) fn new(
        stream: T,
        opts: &ServerOptions,
        stats: &StatsHandle,
        shutdown: CancellationToken,
        cancellations: Arc<Cancellations>,
    ) -> Self {
        let codec =
            JsonCodec::with_max_frame_len(opts.max_frame_len).with_fast_read(Message::read_fast);
        // No buffers until there is something to read or write: a
        // connection that never speaks costs no buffer memory.
        let mut framed = Framed::with_capacity(Readable::new(stream), codec, 0);
        *framed.write_buffer_mut() = BytesMut::new();
        // `with_capacity` also sets this to 0, which would flush every answer.
        framed.set_backpressure_boundary(buffers::WRITE_BATCH);
        Framing {
            framed,
            drain: Drain::new(shutdown, opts.drain_grace),
            deadlines: Deadlines::new(opts),
            timer: Timer::new(),
            busy_poll: BusyPoll::new(opts.busy_poll),
            reads_unchecked: 0,
            stamp: Stamp::default(),
            delays: Delays::default(),
            requests: Requests::new(opts, stats, cancellations),
        }
    }

    /// Reads the next request (obeying the cancels read on the way).
    ///
    /// `Pending` once nothing complete is left to read: the answers
    /// buffered have then been written and the clock of the wait runs.
    /// Whatever ends the reading, the requests read are counted.
    pub(crate) fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<Read> {
        let read = self.poll_frame(cx);
        if !matches!(read, Poll::Ready(Read::Request(_))) {
            self.requests.reading_stopped();
        }
        read
    }

    /// [`poll_read`](Self::poll_read), before the counting.
    fn poll_frame(&mut self, cx: &mut Context<'_>) -> Poll<Read> {
        let idle = self.requests.is_idle();
        // Checking the shutdown signal takes a few atomic operations: do it
        // before waiting and every `SHUTDOWN_CHECK_EVERY` requests, not for
        // each one.
        self.reads_unchecked += 1;
        if self.reads_unchecked >= SHUTDOWN_CHECK_EVERY {
            self.reads_unchecked = 0;
            if self.poll_drain(cx).is_ready() {
                return Poll::Ready(Read::End(Some(Close::Drained)));
            }
        }
        // 1. A released read buffer comes back only once there are bytes to read.
        if self.framed.read_buffer().capacity() == 0 {
            match self.framed.get_mut().poll_readable(cx) {
                Poll::Ready(Ok(())) => self.framed.read_buffer_mut().reserve(buffers::READ_START),
                Poll::Ready(Err(e)) => {
                    return Poll::Ready(Read::End(Some(CodecError::from(e).into())))
                }
                Poll::Pending => return self.poll_wait(cx, idle),
            }
        }
        // 2. Read and decode; a cancel is done here, and reading goes on.
        for _ in 0..MAX_CANCELS_IN_A_ROW {
            if self.framed.get_mut().take_filled() {
                buffers::grow_read(self.framed.read_buffer_mut());
            }
            match Pin::new(&mut self.framed).poll_next(cx) {
                Poll::Ready(Some(Ok(msg))) => {
                    self.deadlines.activity();
                    match self.requests.read(msg) {
                        Frame::Request(msg) => return Poll::Ready(Read::Request(msg)),
                        Frame::Cancelled => continue,
                        Frame::Expired(answer) => match self.write(answer) {
                            Ok(()) => continue,
                            Err(broken) => return Poll::Ready(Read::End(Some(broken))),
                        },
                    }
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Read::End(Some(e.into()))),
                Poll::Ready(None) => return Poll::Ready(Read::End(None)),
                // 3. Nothing complete yet.
                Poll::Pending => return self.poll_wait(cx, idle),
            }
        }
        // Cancels and nothing else for a while: other tasks' turn.
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    /// True at `max_in_flight` requests in flight: read nothing more until
    /// answers go out.
    #[inline]
    pub(crate) fn at_limit(&self) -> bool {
        self.requests.at_limit()
    }

    /// Follows the server's shutdown: when it begins, buffers the
    /// going-away notice for the next write (reading goes on); ready once
    /// the drain's grace is over: read nothing more. [`poll_read`] calls
    /// it; a driver that is not reading calls it itself.
    ///
    /// [`poll_read`]: Framing::poll_read
    pub(crate) fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.drain.poll_begin(cx) {
            // Encoding an answer cannot fail; a write error shows at the flush.
            let _ = self.write(shutdown::notice());
            self.deadlines.going_away();
        }
        self.drain.poll_over(cx)
    }

    /// Nothing more to read for now: write the answers held back (one write
    /// for the whole batch), then run the clock of what we wait for.
    fn poll_wait(&mut self, cx: &mut Context<'_>, idle: bool) -> Poll<Read> {
        if self.poll_drain(cx).is_ready() {
            return Poll::Ready(Read::End(Some(Close::Drained)));
        }
        let flushed = match Sink::<Resp>::poll_flush(Pin::new(&mut self.framed), cx) {
            Poll::Ready(Err(e)) => return Poll::Ready(Read::End(Some(e.into()))),
            flushed => flushed.is_ready(),
        };
        if flushed {
            self.written();
        }
        // A flush that cannot finish (answers in our buffer, or records a
        // TLS session holds below it): the peer is not taking them, and
        // that clock comes first.
        let wait = if !flushed {
            Wait::Write
        } else if self.framed.codec().in_frame() {
            Wait::Frame
        } else if idle {
            Wait::Idle
        } else {
            Wait::Answers
        };
        self.poll_clock(wait, cx).map(|why| Read::End(Some(why)))
    }

    /// Room for one more answer (the buffer is written out first if it is
    /// past the batch size).
    ///
    /// # Errors
    ///
    /// The socket failed, or the peer took nothing for the write timeout.
    pub(crate) fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Close>> {
        let polled = Sink::<Resp>::poll_ready(Pin::new(&mut self.framed), cx);
        self.stalled(polled, cx)
    }

    /// Buffers a request's answer for the next write (the request no
    /// longer in flight; a cancelled request's stand-in is not written);
    /// call [`poll_ready`](Framing::poll_ready) first.
    pub(crate) fn send(&mut self, resp: Resp) -> Result<(), Close> {
        match self.requests.answered(&resp) {
            true => self.write(resp),
            false => Ok(()),
        }
    }

    /// Buffers `resp` for the next write, with this write's time if it
    /// has none, and the server's delay for a jsonmux client.
    fn write(&mut self, resp: Resp) -> Result<(), Close> {
        let ts = match resp.ts.is_empty() {
            true => self.stamp.now(),
            false => "",
        };
        let load =
            (resp.load != NO_LOAD).then(|| self.delays.answered(resp.load, self.requests.stats()));
        let buf = self.framed.write_buffer_mut();
        if buf.capacity() == 0 {
            buf.reserve(buffers::WRITE_START);
        }
        write::answer(buf, &resp, ts, load);
        Ok(())
    }

    /// The answers buffered went out: the next ones get a new time, and
    /// their delays count in the server's.
    fn written(&mut self) {
        self.stamp.written();
        self.delays.written(self.requests.stats());
    }

    /// Answers are buffered that have not been written yet.
    #[cfg(feature = "tokio-tower")]
    pub(crate) fn has_unwritten(&self) -> bool {
        !self.framed.write_buffer().is_empty()
    }

    /// Writes out every answer buffered.
    ///
    /// # Errors
    ///
    /// As [`poll_ready`](Framing::poll_ready).
    pub(crate) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Close>> {
        let polled = Sink::<Resp>::poll_flush(Pin::new(&mut self.framed), cx);
        if let Poll::Ready(Ok(())) = polled {
            self.written();
        }
        self.stalled(polled, cx)
    }

    /// A write that cannot go on until the peer reads runs the write clock.
    fn stalled(
        &mut self,
        polled: Poll<Result<(), CodecError>>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), Close>> {
        match polled {
            Poll::Pending => self.poll_clock(Wait::Write, cx).map(Err),
            Poll::Ready(done) => Poll::Ready(done.map_err(Close::from)),
        }
    }

    /// Runs the clock for `wait`: ready with the reason to end once it runs
    /// out; releases the buffers of an idle connection on the way.
    fn poll_clock(&mut self, wait: Wait, cx: &mut Context<'_>) -> Poll<Close> {
        if self.deadlines.waiting() != Some(wait) {
            self.deadlines.begin(wait, Instant::now(), !self.released());
            self.busy_poll.restart();
        }
        while let Some(deadline) = self.deadlines.next_at() {
            if self.timer.poll_until(deadline, cx).is_pending() {
                if wait == Wait::Idle {
                    self.busy_poll.poll(cx, || true);
                }
                return Poll::Pending;
            }
            match self.deadlines.next().map(|(_, due)| due) {
                Some(Due::Close(why)) => return Poll::Ready(why),
                Some(Due::Release) => {
                    self.release_buffers();
                    self.deadlines.released();
                }
                None => break,
            }
        }
        Poll::Pending
    }

    /// The connection has given back its buffers (it has been idle a while,
    /// or has not spoken yet): the driver gives back what it keeps too.
    pub(crate) fn released(&self) -> bool {
        self.framed.read_buffer().capacity() == 0 && self.framed.write_buffer().capacity() == 0
    }

    /// Frees the read and write buffers (and the time stamped on the
    /// answers) if they hold nothing.
    fn release_buffers(&mut self) {
        if self.framed.read_buffer().is_empty() {
            *self.framed.read_buffer_mut() = BytesMut::new();
        }
        if self.framed.write_buffer().is_empty() {
            *self.framed.write_buffer_mut() = BytesMut::new();
            self.stamp.release();
        }
    }

    /// Ends the connection once its engine is done with it, counting the
    /// reason; returns it.
    ///
    /// `ended`: `Ok` once reading ended and every request read was answered
    /// (with the reason to tell the peer, if any: it is sent, then the
    /// socket closes, within the write timeout); `Err` if the socket or the
    /// service failed, which ends the connection at once.
    pub(crate) async fn end(mut self, ended: Result<Option<Close>, Close>) -> Option<Close> {
        self.requests.reading_stopped();
        let stats = self.requests.stats().clone();
        let write_timeout = self.deadlines.write_timeout();
        match ended {
            Ok(why) => {
                // Counted before the last words, so a peer that has read
                // them sees the count.
                if let Some(why) = &why {
                    stats.closed(why);
                }
                self.finish(why.as_ref(), write_timeout).await;
                why
            }
            Err(broken) => {
                stats.closed(&broken);
                Some(broken)
            }
        }
    }

    /// Tells the peer why the connection ends, if it can be told, then
    /// closes the socket; gives up after `within`.
    async fn finish(mut self, why: Option<&Close>, within: Option<Duration>) {
        let framed = &mut self.framed;
        let last_words = async {
            if let Some(last) = why.and_then(Close::last_answer) {
                let _ = framed.send(last).await;
            }
            let _ = SinkExt::<Resp>::close(framed).await;
        };
        // A peer that does not read gets no longer for these than for any
        // other answer.
        match within {
            Some(limit) => {
                let _ = tokio::time::timeout(limit, last_words).await;
            }
            None => last_words.await,
        }
    }
}
