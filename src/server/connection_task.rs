//! [`ConnectionTask`]: what the server spawns for each accepted connection.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project::pin_project;
use tokio::sync::OwnedSemaphorePermit;

use super::stats::OpenConnection;
use super::watch::Watch;

/// One accepted connection's task: it serves the connection until it ends
/// or the server cuts it, holding its place under the connection limit and
/// its count as open until then.
///
/// The cut is checked first, at every poll (a [`Watch`]: one atomic
/// load). A named future rather than an `async` block, which would hold
/// the connection's state twice: every open connection pays for its size.
#[pin_project]
pub(crate) struct ConnectionTask<F> {
    /// Serving the connection; dropped first, closing the socket.
    #[pin]
    serve: F,
    /// The server's signal that connections still open must end at once.
    #[pin]
    cut: Watch,
    /// The connection's place under `max_connections`.
    _permit: OwnedSemaphorePermit,
    /// Counts the connection as open until the task ends, however it ends.
    _open: OpenConnection,
}

impl<F> ConnectionTask<F> {
    pub(crate) fn new(
        serve: F,
        cut: Watch,
        permit: OwnedSemaphorePermit,
        open: OpenConnection,
    ) -> Self {
        ConnectionTask {
            serve,
            cut,
            _permit: permit,
            _open: open,
        }
    }
}

impl<F: Future<Output = ()>> Future for ConnectionTask<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        if this.cut.poll(cx).is_ready() {
            return Poll::Ready(());
        }
        this.serve.poll(cx)
    }
}
