//! [`UntilEnded`]: the multiplex client as the `Buffer`'s worker sees it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio_util::sync::WaitForCancellationFutureOwned;
use tower::Service;

use super::tags::Tagged;
use crate::connection::shared::Shared;
use crate::Error;

/// tokio-tower's multiplex client, whose `poll_ready` also fails once the
/// connection has ended.
///
/// The client's `poll_ready` waits for its one-slot hand-off to its task.
/// When that task ends with a request in the slot (a peer that stopped
/// reading, then a dead-peer abort), the slot's receiver goes without
/// waking the sender: the `Buffer`'s worker would wait forever, and every
/// call queued behind it with it. Watching the connection's end wakes the
/// worker, and the queued calls fail with the connection's cause.
pub(crate) struct UntilEnded<S> {
    inner: S,
    /// Resolves once the connection's cause is recorded.
    ended: Pin<Box<WaitForCancellationFutureOwned>>,
    shared: Arc<Shared>,
}

impl<S> UntilEnded<S> {
    pub(crate) fn new(inner: S, shared: Arc<Shared>) -> Self {
        UntilEnded {
            inner,
            ended: Box::pin(shared.ended_owned()),
            shared,
        }
    }
}

impl<S: Service<Tagged, Error = Error>> Service<Tagged> for UntilEnded<S> {
    type Response = S::Response;
    type Error = Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        match self.inner.poll_ready(cx) {
            // 1. No room in the client's hand-off: the connection's end
            //    must wake the worker too, as no slot frees up then.
            Poll::Pending => match self.ended.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Err(self.shared.closed_error())),
                Poll::Pending => Poll::Pending,
            },
            // 2. Room (or the client's error): the common case, nothing to
            //    register.
            ready => ready,
        }
    }

    fn call(&mut self, req: Tagged) -> S::Future {
        self.inner.call(req)
    }
}
