//! [`StatsHandle`]: a server's live counters; [`ServerStats`]: what they read.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use super::close::Close;
use crate::Code;

/// A handle on a [`Server`](crate::Server)'s live counters, from
/// [`Server::stats`](crate::Server::stats). Cheap to clone; clones share
/// the counters.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), tower::BoxError> {
/// let server = jsonmux::Server::builder().bind("127.0.0.1:0").await?;
/// let stats = server.stats();
/// let snap = stats.snapshot();
/// assert_eq!((snap.connections_open, snap.requests), (0, 0));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
pub struct StatsHandle {
    inner: Arc<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    /// The same events, for the `metrics` recorder.
    #[cfg(feature = "metrics")]
    metrics: crate::metrics::ServerMetrics,
    connections_open: AtomicU64,
    connections_total: AtomicU64,
    connections_rejected: AtomicU64,
    requests: AtomicU64,
    handler_errors: AtomicU64,
    timeouts: AtomicU64,
    shed: AtomicU64,
    bad_requests: AtomicU64,
    frames_too_large: AtomicU64,
    frame_timeouts: AtomicU64,
    write_timeouts: AtomicU64,
    idle_closed: AtomicU64,
    tls_handshake_failures: AtomicU64,
    tls_handshake_timeouts: AtomicU64,
    deadlines_received: AtomicU64,
    expired_on_arrival: AtomicU64,
    cancels_received: AtomicU64,
    handlers_cancelled: AtomicU64,
    /// The recent delay per request, in microseconds: a moving average
    /// over the writes of every connection.
    delay_us: AtomicU64,
}

/// What a server's counters read at one moment, from
/// [`StatsHandle::snapshot`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerStats {
    /// Connections open now.
    pub connections_open: u64,
    /// Connections accepted since start.
    pub connections_total: u64,
    /// Connections turned away at the connection limit.
    pub connections_rejected: u64,
    /// Requests read.
    pub requests: u64,
    /// Requests answered with a handler's error (it failed, or answered
    /// with an error `Code` of its own).
    pub handler_errors: u64,
    /// Requests whose handler ran past the handler timeout.
    pub timeouts: u64,
    /// Requests shed because the server was overloaded.
    pub shed: u64,
    /// Connections closed for sending something that is not a valid message.
    pub bad_requests: u64,
    /// Connections closed for a frame over the size limit.
    pub frames_too_large: u64,
    /// Connections closed for a frame not finished in time (slow senders).
    pub frame_timeouts: u64,
    /// Connections closed for not taking their answers (peers that stopped reading).
    pub write_timeouts: u64,
    /// Connections closed for being idle.
    pub idle_closed: u64,
    /// Connections whose TLS handshake failed: not TLS (a plaintext
    /// client), a client certificate missing, untrusted or expired, …
    pub tls_handshake_failures: u64,
    /// Connections whose TLS handshake did not finish within the
    /// handshake timeout (silent or slow clients).
    pub tls_handshake_timeouts: u64,
    /// Requests that came with their caller's deadline (from jsonmux clients).
    pub deadlines_received: u64,
    /// Requests that arrived with their deadline passed: answered
    /// `deadline_exceeded`, their handler not started.
    pub expired_on_arrival: u64,
    /// Cancels read: jsonmux clients that gave up on a call.
    pub cancels_received: u64,
    /// Handlers stopped by a cancel (dropped, their places freed, nothing
    /// written for them); the other cancels came for requests already
    /// answered, or never sent.
    pub handlers_cancelled: u64,
    /// The server's recent delay per request, from reading a request to
    /// writing its answer: an exponential moving average over its writes
    /// to jsonmux clients (each write's mean delay weighs 1/8), which is
    /// what their answers tell those clients to balance by.
    pub delay: Duration,
}

impl StatsHandle {
    /// Reads every counter.
    pub fn snapshot(&self) -> ServerStats {
        let c = &*self.inner;
        ServerStats {
            connections_open: c.connections_open.load(Relaxed),
            connections_total: c.connections_total.load(Relaxed),
            connections_rejected: c.connections_rejected.load(Relaxed),
            requests: c.requests.load(Relaxed),
            handler_errors: c.handler_errors.load(Relaxed),
            timeouts: c.timeouts.load(Relaxed),
            shed: c.shed.load(Relaxed),
            bad_requests: c.bad_requests.load(Relaxed),
            frames_too_large: c.frames_too_large.load(Relaxed),
            frame_timeouts: c.frame_timeouts.load(Relaxed),
            write_timeouts: c.write_timeouts.load(Relaxed),
            idle_closed: c.idle_closed.load(Relaxed),
            tls_handshake_failures: c.tls_handshake_failures.load(Relaxed),
            tls_handshake_timeouts: c.tls_handshake_timeouts.load(Relaxed),
            deadlines_received: c.deadlines_received.load(Relaxed),
            expired_on_arrival: c.expired_on_arrival.load(Relaxed),
            cancels_received: c.cancels_received.load(Relaxed),
            handlers_cancelled: c.handlers_cancelled.load(Relaxed),
            delay: Duration::from_micros(c.delay_us.load(Relaxed)),
        }
    }

    /// The recent delay per request, in microseconds.
    #[inline]
    pub(crate) fn delay_us(&self) -> u64 {
        self.inner.delay_us.load(Relaxed)
    }

    /// A write went out whose answers waited `mean_us` on average: moves
    /// the delay an eighth of the way to it. (Connections update it
    /// without a lock; one update lost to a race is one sample less.)
    #[inline]
    pub(crate) fn delayed(&self, mean_us: u64) {
        let old = self.inner.delay_us.load(Relaxed);
        let new = match old {
            0 => mean_us,
            _ => old - old / 8 + mean_us / 8,
        };
        self.inner.delay_us.store(new, Relaxed);
        #[cfg(feature = "metrics")]
        self.inner.metrics.delay.set(new as f64 / 1e6);
    }

    /// Counts a connection opened; it counts as closed when the guard is
    /// dropped, however its task ends (a panic included).
    pub(crate) fn connection_opened(&self) -> OpenConnection {
        self.inner.connections_open.fetch_add(1, Relaxed);
        self.inner.connections_total.fetch_add(1, Relaxed);
        #[cfg(feature = "metrics")]
        {
            self.inner.metrics.connections_total.increment(1);
            self.inner.metrics.connections_open.increment(1.0);
        }
        OpenConnection(self.clone())
    }

    /// The handles the same events are recorded with.
    #[cfg(feature = "metrics")]
    pub(crate) fn metrics(&self) -> &crate::metrics::ServerMetrics {
        &self.inner.metrics
    }

    /// Counts `n` requests read.
    pub(crate) fn requests(&self, n: u64) {
        if n > 0 {
            self.inner.requests.fetch_add(n, Relaxed);
            #[cfg(feature = "metrics")]
            self.inner.metrics.requests.increment(n);
        }
    }

    /// Counts `n` requests that came with a deadline.
    pub(crate) fn deadlines_received(&self, n: u64) {
        if n > 0 {
            self.inner.deadlines_received.fetch_add(n, Relaxed);
            #[cfg(feature = "metrics")]
            self.inner.metrics.deadlines_received.increment(n);
        }
    }

    /// Counts a cancel read, and whether it stopped a handler.
    pub(crate) fn cancel_received(&self, stopped: bool) {
        self.inner.cancels_received.fetch_add(1, Relaxed);
        if stopped {
            self.inner.handlers_cancelled.fetch_add(1, Relaxed);
        }
        #[cfg(feature = "metrics")]
        self.inner.metrics.cancel_received(stopped);
    }

    /// Counts a connection the server ended (a failed socket, the peer's
    /// network rather than the server's doing, is not counted).
    pub(crate) fn closed(&self, why: &Close) {
        if let Some(code) = why.code() {
            self.error_code(code);
        }
    }

    /// Counts a connection whose TLS handshake did not succeed.
    #[cfg(feature = "tls")]
    pub(crate) fn tls_refused(&self, why: &crate::transport::tls::Refused) {
        use crate::transport::tls::Refused;
        let counter = match why {
            Refused::Failed(_) => &self.inner.tls_handshake_failures,
            Refused::TimedOut(_) => &self.inner.tls_handshake_timeouts,
        };
        counter.fetch_add(1, Relaxed);
    }

    /// Counts an error by its code: answered to a request or ending a
    /// connection.
    pub(crate) fn error_code(&self, code: Code) {
        let c = &*self.inner;
        let counter = match code {
            Code::Timeout => &c.timeouts,
            Code::Overloaded => &c.shed,
            Code::DeadlineExceeded => &c.expired_on_arrival,
            Code::BadRequest => &c.bad_requests,
            Code::FrameTooLarge => &c.frames_too_large,
            Code::FrameTimeout => &c.frame_timeouts,
            Code::WriteTimeout => &c.write_timeouts,
            Code::IdleTimeout => &c.idle_closed,
            Code::TooManyConnections => &c.connections_rejected,
            Code::Handler
            | Code::InvalidArgument
            | Code::NotFound
            | Code::PermissionDenied
            | Code::Unauthenticated
            | Code::Unavailable
            | Code::Unknown => &c.handler_errors,
            // Not an error: the server is draining.
            Code::GoingAway => return,
        };
        counter.fetch_add(1, Relaxed);
        #[cfg(feature = "metrics")]
        c.metrics.error(code);
    }
}

/// One open connection in [`StatsHandle`]: counted closed when dropped.
#[derive(Debug)]
pub(crate) struct OpenConnection(StatsHandle);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.inner.connections_open.fetch_sub(1, Relaxed);
        #[cfg(feature = "metrics")]
        self.0.inner.metrics.connections_open.decrement(1.0);
    }
}
