//! [`ResponseFuture`]: one call through the [`Client`](super::Client) stack.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project::pin_project;
use tower::Service;

use super::stack::Stack;
use crate::{Error, Message, Resp};

/// The future a [`Client`](crate::Client) call returns.
#[pin_project]
pub struct ResponseFuture {
    #[pin]
    inner: <Stack as Service<Message>>::Future,
}

impl ResponseFuture {
    pub(crate) fn new(inner: <Stack as Service<Message>>::Future) -> Self {
        ResponseFuture { inner }
    }
}

impl fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl Future for ResponseFuture {
    type Output = Result<Resp, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().inner.poll(cx)
    }
}
