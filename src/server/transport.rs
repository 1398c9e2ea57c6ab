//! The framed socket under one server connection, as the driver sees it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BytesMut;
use futures_core::Stream;
use futures_sink::Sink;
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};
use tokio_util::codec::Framed;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use super::close::Close;
use super::options::ServerOptions;
use crate::busy_poll::BusyPoll;
use crate::{CodecError, JsonCodec, Message, Resp};

/// Read buffer given to a connection that wakes up from idle.
const READ_CHUNK: usize = 8 * 1024;
/// Answers buffered past this many bytes are written out before more are
/// added (tokio-util's default).
const WRITE_BATCH: usize = 8 * 1024;
/// How long a connection waits idle before it gives its buffers back (not
/// at once: a busy connection is idle for a moment after every batch).
const RELEASE_AFTER: Duration = Duration::from_secs(1);
/// Where an unarmed clock sits (about a year away).
const FAR_FUTURE: Duration = Duration::from_secs(365 * 24 * 3600);
/// Requests read in a row before the shutdown signal is checked anyway.
const SHUTDOWN_CHECK_EVERY: u32 = 32;

/// What the connection is waiting for, and so which clock runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wait {
    /// The rest of a frame that has started: the frame timeout runs.
    Frame,
    /// A first byte, with nothing in flight: the idle timeout runs.
    Idle,
    /// Answers to requests in flight: no clock (the handler timeout covers them).
    Answers,
    /// The peer to take the answers written (its socket is full): the write
    /// timeout runs.
    Write,
}

/// A stream of requests that *ends* instead of failing.
///
/// Ending the stream instead of failing lets the driver answer every
/// request decoded so far and flush; the reason is kept in `error` so the
/// connection can send it as a last answer. Shutdown, the idle timeout and
/// the frame timeout (slow senders) end the stream the same way.
///
/// An idle connection keeps no buffers: they are released once it has been
/// idle for a second (`RELEASE_AFTER`), and a read buffer is only given
/// back once the socket is readable.
#[derive(Debug)]
pub(crate) struct Transport {
    pub(crate) framed: Framed<TcpStream, JsonCodec<Message>>,
    shutdown: Pin<Box<WaitForCancellationFutureOwned>>,
    /// Why the stream ended early, if it did.
    pub(crate) error: Option<Close>,
    ended: bool,
    /// Requests read minus answers written.
    in_flight: usize,
    /// At this many requests in flight, stop reading (backpressure).
    max_in_flight: usize,
    idle_timeout: Option<Duration>,
    frame_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    /// Keeps an idle connection checking its socket for a while after each
    /// wait begins.
    busy_poll: BusyPoll,
    /// The clock for `waiting`, set from `since`.
    timer: Pin<Box<Sleep>>,
    waiting: Wait,
    /// When the current wait began: the last change of `waiting`, or the
    /// last request read (so a busy connection is never idle for long).
    since: Instant,
    /// The buffers were released during this idle wait.
    released: bool,
    /// Requests read since the shutdown signal was last checked.
    reads_unchecked: u32,
}

impl Transport {
    pub(crate) fn new(
        stream: TcpStream,
        opts: &ServerOptions,
        shutdown: CancellationToken,
    ) -> Self {
        let codec = JsonCodec::with_max_frame_len(opts.max_frame_len);
        // No buffers until there is something to read or write: a
        // connection that never speaks costs no buffer memory.
        let mut framed = Framed::with_capacity(stream, codec, 0);
        *framed.write_buffer_mut() = BytesMut::new();
        // `with_capacity` also sets this to 0, which would flush every answer.
        framed.set_backpressure_boundary(WRITE_BATCH);
        Transport {
            framed,
            shutdown: Box::pin(shutdown.cancelled_owned()),
            error: None,
            ended: false,
            in_flight: 0,
            max_in_flight: opts.max_in_flight,
            idle_timeout: opts.idle_timeout,
            frame_timeout: opts.frame_timeout,
            write_timeout: opts.write_timeout,
            busy_poll: BusyPoll::new(opts.busy_poll),
            // Far away: the first wait pulls it in (no firing at once).
            timer: Box::pin(tokio::time::sleep(FAR_FUTURE)),
            // Not `Idle`, so the first poll arms the idle clock.
            waiting: Wait::Answers,
            since: Instant::now(),
            released: false,
            reads_unchecked: 0,
        }
    }

    fn end(&mut self, error: Option<Close>) -> Poll<Option<Message>> {
        self.error = error;
        self.ended = true;
        Poll::Ready(None)
    }

    /// Nothing more to read for now: write the answers held back (one write
    /// for the whole batch), then let the clocks decide how long we wait.
    fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        if self.shutdown.as_mut().poll(cx).is_ready() {
            return self.end(None);
        }
        if let Poll::Ready(Err(e)) = Sink::<Resp>::poll_flush(Pin::new(&mut self.framed), cx) {
            return self.end(Some(e.into()));
        }
        self.poll_clock(cx)
    }

    /// Nothing to read yet: run the clock for whatever we are waiting for.
    fn poll_clock(&mut self, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        // Called right after a flush: answers still buffered mean the peer
        // is not taking them, and that clock comes first.
        let waiting = if !self.framed.write_buffer().is_empty() {
            Wait::Write
        } else if self.framed.codec().in_frame() {
            Wait::Frame
        } else if self.in_flight == 0 {
            Wait::Idle
        } else {
            Wait::Answers
        };
        match self.run_clock(waiting, cx) {
            Poll::Ready(e) => self.end(Some(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Runs the clock for `waiting`; ready with the error once it runs out.
    fn run_clock(&mut self, waiting: Wait, cx: &mut Context<'_>) -> Poll<Close> {
        if waiting != self.waiting {
            self.waiting = waiting;
            self.since = Instant::now();
            self.busy_poll.restart();
            // Nothing to give back: no release clock.
            self.released = self.framed.read_buffer().capacity() == 0
                && self.framed.write_buffer().capacity() == 0;
        }
        loop {
            let (deadline, ends) = match waiting {
                Wait::Answers => return Poll::Pending,
                Wait::Frame => match self.frame_timeout {
                    Some(limit) => (self.since + limit, Some(Close::FrameTimeout(limit))),
                    None => return Poll::Pending,
                },
                Wait::Write => match self.write_timeout {
                    Some(limit) => (self.since + limit, Some(Close::WriteTimeout(limit))),
                    None => return Poll::Pending,
                },
                Wait::Idle => {
                    let timeout = self
                        .idle_timeout
                        .map(|limit| (self.since + limit, Some(Close::IdleTimeout(limit))));
                    match timeout {
                        Some((at, _)) if self.released || at <= self.since + RELEASE_AFTER => {
                            timeout.expect("matched Some")
                        }
                        None if self.released => return Poll::Pending,
                        _ => (self.since + RELEASE_AFTER, None),
                    }
                }
            };
            // Resetting a timer takes the runtime's timer lock, and a busy
            // connection starts a new wait after every batch: only ever
            // pull the clock earlier here. A clock left set too early
            // fires, finds the wait has moved on, and is set again below,
            // at most once per period.
            if self.timer.deadline() > deadline {
                self.timer.as_mut().reset(deadline);
            }
            if self.timer.as_mut().poll(cx).is_pending() {
                if waiting == Wait::Idle {
                    self.busy_poll.poll(cx, || true);
                }
                return Poll::Pending;
            }
            if self.timer.deadline() < deadline {
                self.timer.as_mut().reset(deadline);
                continue;
            }
            match ends {
                Some(e) => return Poll::Ready(e),
                None => {
                    self.release_buffers();
                    self.released = true;
                }
            }
        }
    }

    /// Frees the read and write buffers if they hold nothing.
    fn release_buffers(&mut self) {
        if self.framed.read_buffer().is_empty() {
            *self.framed.read_buffer_mut() = BytesMut::new();
        }
        if self.framed.write_buffer().is_empty() {
            *self.framed.write_buffer_mut() = BytesMut::new();
        }
    }
}

impl Stream for Transport {
    type Item = Message;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.ended {
            return Poll::Ready(None);
        }
        // Checking the shutdown signal takes a lock: do it before waiting and
        // every `SHUTDOWN_CHECK_EVERY` requests, not for each one.
        this.reads_unchecked += 1;
        if this.reads_unchecked >= SHUTDOWN_CHECK_EVERY {
            this.reads_unchecked = 0;
            if this.shutdown.as_mut().poll(cx).is_ready() {
                return this.end(None);
            }
        }
        // 1. At the in-flight limit, read nothing more until answers go out
        //    (finishing handlers wake the connection).
        if this.in_flight >= this.max_in_flight {
            return this.poll_wait(cx);
        }
        // 2. A released read buffer comes back only once there are bytes to read.
        if this.framed.read_buffer().capacity() == 0 {
            match this.framed.get_ref().poll_read_ready(cx) {
                Poll::Ready(Ok(())) => this.framed.read_buffer_mut().reserve(READ_CHUNK),
                Poll::Ready(Err(e)) => return this.end(Some(CodecError::from(e).into())),
                Poll::Pending => return this.poll_wait(cx),
            }
        }
        // 3. Read and decode.
        match Pin::new(&mut this.framed).poll_next(cx) {
            Poll::Ready(Some(Ok(msg))) => {
                this.in_flight += 1;
                // Activity: whatever the next wait is, its clock starts anew.
                this.waiting = Wait::Answers;
                Poll::Ready(Some(msg))
            }
            Poll::Ready(Some(Err(e))) => this.end(Some(e.into())),
            Poll::Ready(None) => this.end(None),
            // 4. Nothing complete yet.
            Poll::Pending => this.poll_wait(cx),
        }
    }
}

impl Transport {
    /// A write that cannot go on until the peer reads: runs the write clock.
    fn stalled(
        &mut self,
        polled: Poll<Result<(), CodecError>>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), Close>> {
        match polled {
            Poll::Pending => self.run_clock(Wait::Write, cx).map(Err),
            Poll::Ready(done) => Poll::Ready(done.map_err(Close::from)),
        }
    }
}

impl Sink<Resp> for Transport {
    type Error = Close;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Close>> {
        let polled = Sink::<Resp>::poll_ready(Pin::new(&mut self.framed), cx);
        self.stalled(polled, cx)
    }

    fn start_send(mut self: Pin<&mut Self>, item: Resp) -> Result<(), Close> {
        self.in_flight = self.in_flight.saturating_sub(1);
        Ok(Sink::<Resp>::start_send(Pin::new(&mut self.framed), item)?)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Close>> {
        let polled = Sink::<Resp>::poll_flush(Pin::new(&mut self.framed), cx);
        self.stalled(polled, cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Close>> {
        let polled = Sink::<Resp>::poll_close(Pin::new(&mut self.framed), cx);
        self.stalled(polled, cx)
    }
}
