//! [`CatchErrorsLayer`]: applies [`CatchErrors`].

use std::net::SocketAddr;

use tower::Layer;

use super::CatchErrors;

/// Wraps a service in [`CatchErrors`], for one connection, its `request`
/// spans at `span_level`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CatchErrorsLayer {
    peer: Option<SocketAddr>,
    span_level: tracing::Level,
}

impl CatchErrorsLayer {
    /// For a connection from `peer` (named in the log of a panic).
    pub(crate) fn new(peer: Option<SocketAddr>, span_level: tracing::Level) -> Self {
        CatchErrorsLayer { peer, span_level }
    }
}

impl<S> Layer<S> for CatchErrorsLayer {
    type Service = CatchErrors<S>;

    fn layer(&self, inner: S) -> CatchErrors<S> {
        CatchErrors::new(inner, self.peer, self.span_level)
    }
}
