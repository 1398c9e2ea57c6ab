//! [`ResponseFuture`] of [`CatchErrors`](super::CatchErrors), and the error
//! answer it makes of a failure.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use pin_project::pin_project;
use tower::BoxError;

use crate::{Code, Error, Resp};

/// The message of a handler timeout's answer.
const HANDLER_TIMED_OUT: &str = "the server's handler timed out";

/// The handler's answer, or an error answer in its place.
#[pin_project]
#[derive(Debug)]
pub(crate) struct ResponseFuture<F> {
    /// The handler at work.
    #[pin]
    inner: F,
    /// The request's `Uid`, to address an error answer; taken when done.
    uid: Option<String>,
    span: tracing::Span,
}

impl<F> ResponseFuture<F> {
    pub(super) fn new(inner: F, uid: String, span: tracing::Span) -> Self {
        ResponseFuture {
            inner,
            uid: Some(uid),
            span,
        }
    }
}

impl<F, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Resp, E>>,
    E: Into<BoxError>,
{
    /// Never an `Err`: the type is the stack's, so layers above can be any.
    type Output = Result<Resp, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        let out = ready!(this.inner.poll(cx));
        let uid = this.uid.take().expect("polled after completion");
        Poll::Ready(Ok(out.unwrap_or_else(|e| {
            let (code, message) = answer_for(e.into());
            tracing::debug!(%code, error = %message, "request failed; answering with an error");
            Resp::error(uid, code, message)
        })))
    }
}

/// The error answer for a failure below: its code and message.
///
/// A jsonmux error answer that the handler passes on (a proxy relaying its
/// upstream's failure) keeps its code and message as they were.
pub(super) fn answer_for(e: BoxError) -> (Code, String) {
    match Error::from(e) {
        Error::Server { code, message } => (code, message),
        Error::Timeout => (Code::Timeout, HANDLER_TIMED_OUT.to_owned()),
        e @ Error::Overloaded => (Code::Overloaded, e.to_string()),
        e => (Code::Handler, e.report()),
    }
}
