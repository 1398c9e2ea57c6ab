//! [`HandlerTimeout`]: the service.

use std::task::{Context, Poll};
use std::time::Duration;

use tower::{BoxError, Service};

use super::future::ResponseFuture;

/// Fails a call whose handler has not answered within `limit` of its
/// first poll, with tower's `Elapsed` (a `timeout` answer, once caught);
/// with no limit, passes calls through.
#[derive(Clone, Debug)]
pub(crate) struct HandlerTimeout<S> {
    inner: S,
    limit: Option<Duration>,
}

impl<S> HandlerTimeout<S> {
    pub(crate) fn new(inner: S, limit: Option<Duration>) -> Self {
        HandlerTimeout { inner, limit }
    }
}

impl<S, R> Service<R> for HandlerTimeout<S>
where
    S: Service<R, Error = BoxError>,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: R) -> Self::Future {
        ResponseFuture::new(self.inner.call(req), self.limit)
    }
}
