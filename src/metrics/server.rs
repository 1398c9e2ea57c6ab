//! [`ServerMetrics`]: a server's handles on its metrics.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Instant;

use metrics::{Counter, Gauge, Histogram, Unit};
use pin_project::pin_project;

use super::*;
use crate::Code;

/// The server's metrics, registered once, when the server is built.
#[derive(Debug)]
pub(crate) struct ServerMetrics {
    pub(crate) connections_total: Counter,
    pub(crate) connections_open: Gauge,
    pub(crate) requests: Counter,
    pub(crate) request_duration: Histogram,
    pub(crate) deadlines_received: Counter,
    cancels_received: Counter,
    handlers_cancelled: Counter,
    pub(crate) delay: Gauge,
}

impl Default for ServerMetrics {
    fn default() -> Self {
        metrics::describe_counter!(SERVER_CONNECTIONS_TOTAL, "connections accepted");
        metrics::describe_gauge!(SERVER_CONNECTIONS_OPEN, "connections open now");
        metrics::describe_counter!(SERVER_REQUESTS_TOTAL, "requests read");
        metrics::describe_counter!(
            SERVER_ERRORS_TOTAL,
            "error answers and connections ended, by code"
        );
        metrics::describe_histogram!(
            SERVER_REQUEST_DURATION_SECONDS,
            Unit::Seconds,
            "from a request's call to its answer"
        );
        metrics::describe_counter!(
            SERVER_DEADLINES_RECEIVED_TOTAL,
            "requests that came with their caller's deadline"
        );
        metrics::describe_counter!(SERVER_CANCELS_RECEIVED_TOTAL, "cancels read");
        metrics::describe_counter!(
            SERVER_HANDLERS_CANCELLED_TOTAL,
            "handlers stopped by a cancel"
        );
        metrics::describe_gauge!(
            SERVER_DELAY_SECONDS,
            Unit::Seconds,
            "recent delay per request, as told to jsonmux clients"
        );
        ServerMetrics {
            delay: metrics::gauge!(SERVER_DELAY_SECONDS),
            deadlines_received: metrics::counter!(SERVER_DEADLINES_RECEIVED_TOTAL),
            cancels_received: metrics::counter!(SERVER_CANCELS_RECEIVED_TOTAL),
            handlers_cancelled: metrics::counter!(SERVER_HANDLERS_CANCELLED_TOTAL),
            connections_total: metrics::counter!(SERVER_CONNECTIONS_TOTAL),
            connections_open: metrics::gauge!(SERVER_CONNECTIONS_OPEN),
            requests: metrics::counter!(SERVER_REQUESTS_TOTAL),
            request_duration: metrics::histogram!(SERVER_REQUEST_DURATION_SECONDS),
        }
    }
}

impl ServerMetrics {
    /// Counts an error answer or a connection ended with `code`. (Looked
    /// up at each error, so only the codes that occur show.)
    pub(crate) fn error(&self, code: Code) {
        metrics::counter!(SERVER_ERRORS_TOTAL, "code" => code.as_str()).increment(1);
    }

    /// Counts a cancel read, and whether it stopped a handler.
    pub(crate) fn cancel_received(&self, stopped: bool) {
        self.cancels_received.increment(1);
        if stopped {
            self.handlers_cancelled.increment(1);
        }
    }
}

/// A request's answer, its time recorded when it is ready.
#[pin_project]
#[derive(Debug)]
pub(crate) struct Timed<F> {
    #[pin]
    inner: F,
    started: Instant,
    histogram: Histogram,
}

impl<F> Timed<F> {
    /// Times `inner` from now into `histogram`.
    pub(crate) fn new(inner: F, histogram: &Histogram) -> Self {
        Timed {
            inner,
            started: Instant::now(),
            histogram: histogram.clone(),
        }
    }
}

impl<F: Future> Future for Timed<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let out = ready!(this.inner.poll(cx));
        this.histogram.record(this.started.elapsed());
        Poll::Ready(out)
    }
}

/// Times every request of the service it wraps into the server's
/// `request_duration` histogram.
#[derive(Clone, Debug)]
pub(crate) struct TimeRequests<S> {
    inner: S,
    histogram: Histogram,
}

impl<S> TimeRequests<S> {
    pub(crate) fn new(inner: S, metrics: &ServerMetrics) -> Self {
        TimeRequests {
            inner,
            histogram: metrics.request_duration.clone(),
        }
    }
}

impl<S: tower::Service<R>, R> tower::Service<R> for TimeRequests<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = Timed<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: R) -> Self::Future {
        Timed::new(self.inner.call(req), &self.histogram)
    }
}
