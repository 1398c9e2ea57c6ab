//! Reading: the next request, and what happens when reading runs dry.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_sink::Sink;
use tokio::io::{AsyncRead, AsyncWrite};

use super::Framing;
use crate::server::close::Close;
use crate::server::connection::buffers;
use crate::server::connection::deadlines::Wait;
use crate::server::connection::requests::{Frame, MAX_CANCELS_IN_A_ROW};
use crate::{CodecError, Message, Resp};

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

impl<T: AsyncRead + AsyncWrite + Unpin> Framing<T> {
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
            buffers::keep_room(self.framed.read_buffer_mut());
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

    /// No request read is waiting for its answer.
    #[cfg(feature = "tokio-tower")]
    #[inline]
    pub(crate) fn is_idle(&self) -> bool {
        self.requests.is_idle()
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
}
