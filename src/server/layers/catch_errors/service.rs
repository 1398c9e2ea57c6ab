//! [`CatchErrors`]: the service.

use std::task::{Context, Poll};

use tower::{BoxError, Service};

use super::future::ResponseFuture;
use crate::{Message, Resp};

/// Answers every request it is called with: a failure below becomes an
/// error answer (`Resp { Uid, Error, Code }`) to that request.
///
/// Each request runs in a `request` span carrying its `Uid`.
/// Readiness errors cannot be tied to a request: they pass through (and
/// end the connection).
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
    S::Error: Into<BoxError>,
{
    type Response = Resp;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, msg: Message) -> Self::Future {
        let span = tracing::debug_span!("request", uid = %msg.uid);
        // Kept to address an error answer: the handler owns the request.
        let uid = msg.uid.clone();
        let inner = span.in_scope(|| self.inner.call(msg));
        ResponseFuture::new(inner, uid, span)
    }
}
