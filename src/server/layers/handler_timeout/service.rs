//! [`HandlerTimeout`]: the service.

use std::task::{Context, Poll};
use std::time::Duration;

use tower::{BoxError, Service};

use super::future::ResponseFuture;
use crate::Message;

/// Fails a call whose handler is still working `limit` after it was first
/// found working, or at its caller's deadline, whichever comes first. (A
/// request whose deadline has passed before its handler starts never gets
/// here: the connection answers it.)
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

impl<S> Service<Message> for HandlerTimeout<S>
where
    S: Service<Message, Error = BoxError>,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    #[inline]
    fn call(&mut self, msg: Message) -> Self::Future {
        let deadline = msg.deadline();
        ResponseFuture::new(self.inner.call(msg), self.limit, deadline)
    }
}
