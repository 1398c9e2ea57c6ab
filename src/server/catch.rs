//! Turns a handler's error into an error answer, so the connection lives on.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use pin_project::pin_project;
use tower::Service;

use crate::{Message, Resp};

/// Wraps the user's service: `Err(e)` becomes `Resp { Uid, Error: e }`.
///
/// tokio-tower's `multiplex::Server` drops the whole connection, and every
/// request in flight on it, when the service fails; with this wrapper it
/// never does, and the caller whose request failed is told why.
#[derive(Clone, Debug)]
pub(crate) struct CatchErrors<S> {
    inner: S,
}

impl<S> CatchErrors<S> {
    pub(crate) fn new(inner: S) -> Self {
        CatchErrors { inner }
    }
}

impl<S> Service<Message> for CatchErrors<S>
where
    S: Service<Message, Response = Resp>,
    S::Error: fmt::Display,
{
    type Response = Resp;
    type Error = S::Error;
    type Future = CatchFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        // Readiness errors cannot be tied to a request: they end the connection.
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, msg: Message) -> Self::Future {
        let uid = msg.uid.clone();
        CatchFuture {
            inner: self.inner.call(msg),
            uid: Some(uid),
        }
    }
}

#[pin_project]
#[derive(Debug)]
pub(crate) struct CatchFuture<F> {
    #[pin]
    inner: F,
    /// The request's `Uid`, needed to address an error answer.
    uid: Option<String>,
}

impl<F, E> Future for CatchFuture<F>
where
    F: Future<Output = Result<Resp, E>>,
    E: fmt::Display,
{
    type Output = Result<Resp, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let out = ready!(this.inner.poll(cx));
        let uid = this.uid.take().expect("polled after completion");
        Poll::Ready(Ok(out.unwrap_or_else(|e| {
            tracing::debug!(%uid, error = %e, "handler failed; answering with an error");
            Resp::error(uid, e.to_string())
        })))
    }
}
