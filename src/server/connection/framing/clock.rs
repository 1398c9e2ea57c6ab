//! The clock of what the connection waits for, and the buffers an idle
//! connection gives back.

use std::task::{Context, Poll};

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;

use super::Framing;
use crate::server::close::Close;
use crate::server::connection::deadlines::{Due, Wait};

impl<T: AsyncRead + AsyncWrite + Unpin> Framing<T> {
    /// Runs the clock for `wait`: ready with the reason to end once it runs
    /// out; releases the buffers of an idle connection on the way.
    pub(super) fn poll_clock(&mut self, wait: Wait, cx: &mut Context<'_>) -> Poll<Close> {
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
}
