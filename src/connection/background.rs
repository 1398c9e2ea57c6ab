//! [`Background`]: a connection's task, for the executor of your choice.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite};

use super::dispatch::Dispatch;

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
