//! [`ResponseFuture`] of [`HandlerTimeout`](super::HandlerTimeout).

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use pin_project::pin_project;
use tokio::time::Sleep;
use tower::timeout::error::Elapsed;
use tower::BoxError;

/// The handler's output, or `Elapsed` once it has taken too long.
#[pin_project]
#[derive(Debug)]
pub(crate) struct ResponseFuture<F> {
    /// The handler at work.
    #[pin]
    inner: F,
    /// The time limit, if any, armed on the handler's first `Pending`.
    limit: Option<Duration>,
    /// The armed limit (boxed: only handlers that wait pay for it).
    clock: Option<Pin<Box<Sleep>>>,
}

impl<F> ResponseFuture<F> {
    pub(super) fn new(inner: F, limit: Option<Duration>) -> Self {
        ResponseFuture {
            inner,
            limit,
            clock: None,
        }
    }
}

impl<F, T> Future for ResponseFuture<F>
where
    F: Future<Output = Result<T, BoxError>>,
{
    type Output = Result<T, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // 1. The handler first: an answer ready now needs no clock.
        if let Poll::Ready(out) = this.inner.poll(cx) {
            return Poll::Ready(out);
        }
        // 2. Still working: the clock starts now, if it has not yet.
        let Some(limit) = *this.limit else {
            return Poll::Pending;
        };
        let clock = this
            .clock
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        // 3. Out of time: the handler is given up (dropped with this future).
        ready!(clock.as_mut().poll(cx));
        Poll::Ready(Err(Elapsed::new().into()))
    }
}
