//! Writing: the answers buffered, then written out in one write.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_sink::Sink;
use tokio::io::{AsyncRead, AsyncWrite};

use super::Framing;
use crate::proto::{write, NO_LOAD};
use crate::server::close::Close;
use crate::server::connection::buffers;
use crate::server::connection::deadlines::Wait;
use crate::{CodecError, Resp};

impl<T: AsyncRead + AsyncWrite + Unpin> Framing<T> {
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
    pub(super) fn write(&mut self, resp: Resp) -> Result<(), Close> {
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
    pub(super) fn written(&mut self) {
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
}
