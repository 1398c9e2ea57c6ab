//! [`HandlerTimeoutLayer`]: applies [`HandlerTimeout`].

use std::time::Duration;

use tower::Layer;

use super::HandlerTimeout;

/// Wraps a service in [`HandlerTimeout`] with a limit, or none.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HandlerTimeoutLayer {
    limit: Option<Duration>,
}

impl HandlerTimeoutLayer {
    pub(crate) fn new(limit: Option<Duration>) -> Self {
        HandlerTimeoutLayer { limit }
    }
}

impl<S> Layer<S> for HandlerTimeoutLayer {
    type Service = HandlerTimeout<S>;

    fn layer(&self, inner: S) -> HandlerTimeout<S> {
        HandlerTimeout::new(inner, self.limit)
    }
}
