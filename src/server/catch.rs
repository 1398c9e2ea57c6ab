//! Turns a failed request into an error answer, so the connection lives on.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use pin_project::pin_project;
use tower::{BoxError, Service};

use super::stats::ServerStats;
use crate::{Error, Message, Resp};

/// Wraps a connection's service: `Err(e)` becomes `Resp { Uid, Error, Code }`.
///
/// tokio-tower's `multiplex::Server` drops the whole connection, and every
/// request in flight on it, when the service fails; with this wrapper it
/// never does, and the caller whose request failed is told why, with a code
/// its client can match (`timeout`, `overloaded`, `handler`). Each request
/// runs in a `request` span carrying its `Uid`, and is counted.
#[derive(Clone, Debug)]
pub(crate) struct CatchErrors<S> {
    inner: S,
    stats: ServerStats,
}

impl<S> CatchErrors<S> {
    pub(crate) fn new(inner: S, stats: ServerStats) -> Self {
        CatchErrors { inner, stats }
    }
}

/// What a failure below us means for the caller.
fn classify(e: BoxError) -> Error {
    if e.is::<tower::timeout::error::Elapsed>() {
        Error::ServerTimeout
    } else if e.is::<tower::load_shed::error::Overloaded>() {
        Error::Overloaded
    } else {
        Error::Server(e.to_string())
    }
}

impl<S> Service<Message> for CatchErrors<S>
where
    S: Service<Message, Response = Resp, Error = BoxError>,
{
    type Response = Resp;
    type Error = BoxError;
    type Future = CatchFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // Readiness errors cannot be tied to a request: they end the connection.
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, msg: Message) -> Self::Future {
        self.stats.request();
        let span = tracing::debug_span!("request", uid = %msg.uid);
        let uid = msg.uid.clone();
        let inner = span.in_scope(|| self.inner.call(msg));
        CatchFuture {
            inner,
            uid: Some(uid),
            span,
            stats: self.stats.clone(),
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
    span: tracing::Span,
    stats: ServerStats,
}

impl<F> Future for CatchFuture<F>
where
    F: Future<Output = Result<Resp, BoxError>>,
{
    type Output = Result<Resp, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        let out = ready!(this.inner.poll(cx));
        let uid = this.uid.take().expect("polled after completion");
        Poll::Ready(Ok(out.unwrap_or_else(|e| {
            let e = classify(e);
            tracing::debug!(error = %e, "request failed; answering with an error");
            this.stats.error(&e);
            Resp::error(uid, e.code(), e.wire_message())
        })))
    }
}
