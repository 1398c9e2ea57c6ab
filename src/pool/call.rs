//! [`Call`]: one call sent on a pool's connection, in its `call` span.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tracing::field;

use super::endpoint::Endpoint;
use crate::connection::{Connection, ResponseFuture};
use crate::trace::span_at;
use crate::{Error, Resp};

/// A call on the connection the pool picked, with its span: `call`, at
/// the pool's span level, with the call's `uid` and `endpoint`, and the
/// `error` it failed with, if it does.
///
/// The span is entered while the call is polled. When no subscriber takes
/// spans of that level, the span is `Span::none()`: a level check to make,
/// and nothing to enter, record or drop. With the `metrics` feature, the
/// call is also counted and timed in its endpoint's metrics.
pub(crate) struct Call {
    inner: ResponseFuture,
    span: tracing::Span,
    /// The endpoint it went to, by identity only (never dereferenced): a
    /// call sent again prefers another.
    pub(crate) endpoint: usize,
    #[cfg(feature = "metrics")]
    measured: crate::metrics::Measured,
}

impl Call {
    /// Starts the span of a call with `uid` (the caller's); the call goes
    /// in with [`Call::sent`].
    #[inline]
    pub(crate) fn span(level: tracing::Level, uid: &str) -> tracing::Span {
        span_at!(level, "call", uid = %uid, endpoint = field::Empty, error = field::Empty)
    }

    /// The call `inner`, sent to `endpoint`, in `span`.
    #[inline]
    pub(crate) fn sent(
        inner: ResponseFuture,
        span: tracing::Span,
        endpoint: &Endpoint,
        #[cfg_attr(not(feature = "metrics"), allow(unused_variables))] conn: &Connection,
    ) -> Call {
        span.record("endpoint", field::display(&endpoint.addr));
        Call {
            inner,
            span,
            endpoint: endpoint.id(),
            #[cfg(feature = "metrics")]
            measured: crate::metrics::Measured::start(&endpoint.metrics, conn.latency()),
        }
    }
}

impl Call {
    /// Its server answered without running it, and it goes again.
    pub(crate) fn retried(&self) {
        #[cfg(feature = "metrics")]
        self.measured.metrics.retries.increment(1);
    }

    /// Its server answered without running it, and the budget keeps it
    /// from going again.
    pub(crate) fn retry_refused(&self) {
        #[cfg(feature = "metrics")]
        self.measured.metrics.retries_refused.increment(1);
    }

    /// Not wanted any more, and not for a timeout: its copy answered
    /// first (see [`ResponseFuture::withdraw`]).
    pub(crate) fn withdraw(&mut self) {
        self.inner.withdraw();
    }

    /// Once it failed `overloaded`: the request as its jsonmux server gave
    /// it back (`Uid`, `Val`), if it did.
    pub(crate) fn given_back(&mut self) -> Option<(String, String)> {
        self.inner.given_back()
    }

    /// It is the copy of a slow call.
    pub(crate) fn hedge_sent(&self) {
        #[cfg(feature = "metrics")]
        self.measured.metrics.hedges.increment(1);
    }

    /// It is the copy of a slow call, and answered first.
    pub(crate) fn hedge_won(&self) {
        #[cfg(feature = "metrics")]
        self.measured.metrics.hedges_won.increment(1);
    }
}

impl Future for Call {
    type Output = Result<Resp, Error>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let _entered = (!this.span.is_disabled()).then(|| this.span.enter());
        let out = ready!(Pin::new(&mut this.inner).poll(cx));
        if let Err(e) = &out {
            this.span.record("error", field::display(e));
        }
        #[cfg(feature = "metrics")]
        this.measured.finish(&out);
        Poll::Ready(out)
    }
}

impl fmt::Debug for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call").field("span", &self.span).finish()
    }
}
