//! Turns a failed request into an error answer, so the connection lives on.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project::pin_project;
use tokio::time::Sleep;
use tower::{BoxError, Service};

use crate::{Code, Error, Message, Resp};

/// Wraps a connection's service: `Err(e)` becomes `Resp { Uid, Error, Code }`,
/// and a handler past the timeout is answered `timeout`.
///
/// The timeout is armed only when a handler does not answer on its first
/// poll: a handler that answers at once (the common case) costs no timer,
/// no clock read and no allocation. tower's `Timeout` would create one for
/// every request.
///
/// The connection's driver ends the connection, and every request in
/// flight on it, if the service fails; with this wrapper it never does, and
/// the caller whose request failed is told why, with a code its client can
/// match (`timeout`, `overloaded`, `handler`). Each request
/// runs in a `request` span carrying its `Uid`. (The driver counts the
/// requests and the error answers, and applies the server-wide cap: it
/// does so once per batch, or only for handlers that wait, where a layer
/// would pay for shared counters on every request.)
#[derive(Clone, Debug)]
pub(crate) struct CatchErrors<S> {
    inner: S,
    /// How long a handler may take, if limited.
    timeout: Option<Duration>,
}

impl<S> CatchErrors<S> {
    pub(crate) fn new(inner: S, timeout: Option<Duration>) -> Self {
        CatchErrors { inner, timeout }
    }
}

/// The message of a handler timeout's answer.
const HANDLER_TIMED_OUT: &str = "the server's handler timed out";

/// The error answer for a failure below us: its code and message.
///
/// A jsonmux error answer that the handler passes on (a proxy relaying its
/// upstream's failure) keeps its code and message as they were.
fn answer_for(e: BoxError) -> (Code, String) {
    match Error::from(e) {
        Error::Server { code, message } => (code, message),
        Error::Timeout => (Code::Timeout, HANDLER_TIMED_OUT.to_owned()),
        e @ Error::Overloaded => (Code::Overloaded, e.to_string()),
        e => (Code::Handler, e.report()),
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
        let span = tracing::debug_span!("request", uid = %msg.uid);
        let uid = msg.uid.clone();
        let inner = span.in_scope(|| self.inner.call(msg));
        CatchFuture {
            inner,
            uid: Some(uid),
            timeout: self.timeout,
            clock: None,
            span,
        }
    }
}

#[pin_project]
#[derive(Debug)]
pub(crate) struct CatchFuture<F> {
    /// The handler at work.
    #[pin]
    inner: F,
    /// The request's `Uid`, needed to address an error answer.
    uid: Option<String>,
    /// The handler timeout, not yet armed.
    timeout: Option<Duration>,
    /// The armed timeout, once the handler has not answered at once.
    clock: Option<Pin<Box<Sleep>>>,
    span: tracing::Span,
}

impl<F> Future for CatchFuture<F>
where
    F: Future<Output = Result<Resp, BoxError>>,
{
    type Output = Result<Resp, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        let out = match this.inner.poll(cx) {
            Poll::Ready(out) => out,
            Poll::Pending => {
                let Some(limit) = *this.timeout else {
                    return Poll::Pending;
                };
                let clock = this
                    .clock
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                if clock.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                Err(Error::Timeout.into())
            }
        };
        let uid = this.uid.take().expect("polled after completion");
        Poll::Ready(Ok(out.unwrap_or_else(|e| {
            let (code, message) = answer_for(e);
            tracing::debug!(%code, error = %message, "request failed; answering with an error");
            Resp::error(uid, code, message)
        })))
    }
}
