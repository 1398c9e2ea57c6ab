//! [`CatchErrorsLayer`]: applies [`CatchErrors`].

use std::net::SocketAddr;

use tower::Layer;

use super::CatchErrors;

/// Wraps a service in [`CatchErrors`], for one connection.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CatchErrorsLayer {
    peer: Option<SocketAddr>,
}

impl CatchErrorsLayer {
    /// For a connection from `peer` (named in the log of a panic).
    pub(crate) fn new(peer: Option<SocketAddr>) -> Self {
        CatchErrorsLayer { peer }
    }
}

impl<S> Layer<S> for CatchErrorsLayer {
    type Service = CatchErrors<S>;

    fn layer(&self, inner: S) -> CatchErrors<S> {
        CatchErrors::new(inner, self.peer)
    }
}
