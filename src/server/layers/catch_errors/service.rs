//! [`CatchErrors`]: the service.

use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::task::{Context, Poll};

use tower::{BoxError, Service};

use super::future::{log_panic, ResponseFuture};
use super::uid::KeptUid;
use crate::trace::span_at;
use crate::{Message, Resp};

/// Answers every request it is called with: a failure or a panic below
/// becomes an error answer (`Resp { Uid, Error, Code }`) to that request,
/// and every answer gets the request's `Uid`.
///
/// Each request runs in a `request` span carrying its `Uid`, at the
/// server's span level.
/// Readiness errors cannot be tied to a request: they pass through (and
/// end the connection).
#[derive(Clone, Debug)]
pub(crate) struct CatchErrors<S> {
    inner: S,
    /// The connection's peer, named in the log of a panic.
    peer: Option<SocketAddr>,
    span_level: tracing::Level,
}

impl<S> CatchErrors<S> {
    pub(crate) fn new(inner: S, peer: Option<SocketAddr>, span_level: tracing::Level) -> Self {
        CatchErrors {
            inner,
            peer,
            span_level,
        }
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
        let span = span_at!(self.span_level, "request", uid = %msg.uid);
        // Kept to address the answer: the handler owns the request.
        let (uid, seq, read_us) = (KeptUid::new(&msg.uid), msg.ext.seq, msg.ext.read_us);
        // A panic here is this request's alone: the service is called again
        // for the next one.
        let inner = &mut self.inner;
        let called = span.in_scope(|| catch_unwind(AssertUnwindSafe(|| inner.call(msg))));
        let inner = match called {
            Ok(inner) => Some(inner),
            Err(panic) => {
                log_panic(uid.to_str(), self.peer, &*panic);
                None
            }
        };
        ResponseFuture::new(inner, uid, (seq, read_us), self.peer, span)
    }
}
