//! [`Readable`]: a stream that can tell it has bytes to read before the
//! connection gives it a read buffer.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A stream with room for one byte read ahead.
///
/// An idle connection holds no read buffer; it waits with
/// [`poll_readable`](Readable::poll_readable), which reads one byte into
/// this wrapper, and takes a buffer only once that returns. Any stream
/// works this way (TCP, Unix, TLS, a user's), where a socket's readiness
/// would say nothing about the bytes a TLS session has decrypted. The
/// byte is handed back first by the next read.
#[derive(Debug)]
pub(crate) struct Readable<T> {
    io: T,
    /// The byte read ahead, not yet handed to a reader.
    ahead: Option<u8>,
    /// The peer closed while nothing was buffered.
    eof: bool,
    /// The last read filled the buffer it was given.
    filled: bool,
}

impl<T: AsyncRead + Unpin> Readable<T> {
    pub(crate) fn new(io: T) -> Self {
        Readable {
            io,
            ahead: None,
            eof: false,
            filled: false,
        }
    }

    /// True if a read filled the buffer it was given since the last call:
    /// more may have been waiting.
    pub(crate) fn take_filled(&mut self) -> bool {
        std::mem::take(&mut self.filled)
    }

    /// Ready once there is something to read: a byte (kept for the next
    /// read) or the end of the stream.
    pub(crate) fn poll_readable(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.ahead.is_some() || self.eof {
            return Poll::Ready(Ok(()));
        }
        let mut byte = [0u8; 1];
        let mut buf = ReadBuf::new(&mut byte);
        std::task::ready!(Pin::new(&mut self.io).poll_read(cx, &mut buf))?;
        match buf.filled() {
            [b] => self.ahead = Some(*b),
            _ => self.eof = true,
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Readable<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        // The common case: nothing read ahead, straight through.
        let Some(b) = this.ahead else {
            if this.eof {
                return Poll::Ready(Ok(()));
            }
            let read = Pin::new(&mut this.io).poll_read(cx, buf);
            this.filled |= buf.remaining() == 0;
            return read;
        };
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        this.ahead = None;
        buf.put_slice(&[b]);
        // Whatever else is there comes in the same read; the byte alone
        // if nothing is (the reader calls again, the waker is set).
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            _ => {
                this.filled |= buf.remaining() == 0;
                Poll::Ready(Ok(()))
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Readable<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    /// False: the framing writes one contiguous buffer, and on a socket a
    /// plain write (`send`) is a shorter way through the kernel than a
    /// vectored one (`writev`, through the file layer).
    fn is_write_vectored(&self) -> bool {
        false
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn the_byte_read_ahead_comes_first_and_nothing_is_lost() {
        let (mut peer, ours) = tokio::io::duplex(64);
        let mut ours = Readable::new(ours);
        peer.write_all(b"pig").await.unwrap();
        std::future::poll_fn(|cx| ours.poll_readable(cx))
            .await
            .unwrap();
        drop(peer);
        let mut all = Vec::new();
        ours.read_to_end(&mut all).await.unwrap();
        assert_eq!(all, b"pig");
    }

    #[tokio::test]
    async fn a_read_that_fills_its_buffer_says_so_once() {
        let (mut peer, ours) = tokio::io::duplex(64);
        let mut ours = Readable::new(ours);
        peer.write_all(b"pixelpig").await.unwrap();
        std::future::poll_fn(|cx| ours.poll_readable(cx))
            .await
            .unwrap();
        let mut buf = [0u8; 4];
        assert_eq!(ours.read(&mut buf).await.unwrap(), 4);
        assert!(ours.take_filled(), "the byte read ahead and three more");
        assert!(!ours.take_filled(), "once");
        assert_eq!(ours.read(&mut [0u8; 8]).await.unwrap(), 4);
        assert!(!ours.take_filled(), "room to spare");
        peer.write_all(b"oink").await.unwrap();
        assert_eq!(ours.read(&mut buf).await.unwrap(), 4);
        assert!(ours.take_filled());
    }

    #[tokio::test]
    async fn the_end_of_the_stream_is_readable_and_reads_as_the_end() {
        let (peer, ours) = tokio::io::duplex(64);
        let mut ours = Readable::new(ours);
        drop(peer);
        std::future::poll_fn(|cx| ours.poll_readable(cx))
            .await
            .unwrap();
        assert_eq!(ours.read(&mut [0u8; 8]).await.unwrap(), 0);
    }
}
