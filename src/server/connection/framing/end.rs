//! How a connection ends: the server's shutdown as this connection lives
//! it, then the reason counted and told to the peer.

use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::SinkExt;
use tokio::io::{AsyncRead, AsyncWrite};

use super::Framing;
use crate::server::close::Close;
use crate::server::shutdown;
use crate::Resp;

impl<T: AsyncRead + AsyncWrite + Unpin> Framing<T> {
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
