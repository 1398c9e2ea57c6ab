//! Turns a failed request into an error answer, so the connection lives on.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use pin_project::pin_project;
use tower::{BoxError, Service};

use super::admission::{Admission, Admitted};
use super::stats::ServerStats;
use crate::{Error, Message, Resp};

/// Wraps a connection's service: `Err(e)` becomes `Resp { Uid, Error, Code }`,
/// and a request past the server-wide cap is answered `overloaded` at once.
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
    /// The server-wide cap on requests being handled, if any.
    admission: Option<Arc<Admission>>,
}

impl<S> CatchErrors<S> {
    pub(crate) fn new(inner: S, stats: ServerStats, admission: Option<Arc<Admission>>) -> Self {
        CatchErrors {
            inner,
            stats,
            admission,
        }
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
        let admitted = match self.admission.as_ref().map(|a| a.try_admit()) {
            Some(None) => {
                // Over the cap: the handler is not called at all.
                let e = Error::Overloaded;
                self.stats.error(&e);
                return CatchFuture {
                    state: State::Answered(Some(Resp::error(msg.uid, e.code(), e.wire_message()))),
                    span: tracing::Span::none(),
                };
            }
            Some(admitted) => admitted,
            None => None,
        };
        let span = tracing::debug_span!("request", uid = %msg.uid);
        let uid = msg.uid.clone();
        let inner = span.in_scope(|| self.inner.call(msg));
        CatchFuture {
            state: State::Running {
                inner,
                uid: Some(uid),
                stats: self.stats.clone(),
                _admitted: admitted,
            },
            span,
        }
    }
}

#[pin_project]
#[derive(Debug)]
pub(crate) struct CatchFuture<F> {
    #[pin]
    state: State<F>,
    span: tracing::Span,
}

#[pin_project(project = StateProj)]
#[derive(Debug)]
enum State<F> {
    /// The handler is working on it.
    Running {
        #[pin]
        inner: F,
        /// The request's `Uid`, needed to address an error answer.
        uid: Option<String>,
        stats: ServerStats,
        /// Holds the request's place under the server-wide cap.
        _admitted: Option<Admitted>,
    },
    /// Answered without calling the handler (shed).
    Answered(Option<Resp>),
}

impl<F> Future for CatchFuture<F>
where
    F: Future<Output = Result<Resp, BoxError>>,
{
    type Output = Result<Resp, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        let (inner, uid, stats) = match this.state.project() {
            StateProj::Running {
                inner, uid, stats, ..
            } => (inner, uid, stats),
            StateProj::Answered(resp) => {
                return Poll::Ready(Ok(resp.take().expect("polled after completion")));
            }
        };
        let out = ready!(inner.poll(cx));
        let uid = uid.take().expect("polled after completion");
        Poll::Ready(Ok(out.unwrap_or_else(|e| {
            let e = classify(e);
            tracing::debug!(error = %e, "request failed; answering with an error");
            stats.error(&e);
            Resp::error(uid, e.code(), e.wire_message())
        })))
    }
}
