//! The server's limits and their defaults, kept in one place.

use std::time::Duration;

use super::overload::Overload;
use crate::codec::DEFAULT_MAX_FRAME_LEN;
use crate::{check, Engine, Error};

/// Default most open connections: 10 000.
pub(crate) const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
/// Default most requests handled at once on one connection: 1024.
pub(crate) const DEFAULT_MAX_IN_FLIGHT: usize = 1024;
/// Default most requests handled at once over all connections before new
/// ones are shed with an `overloaded` answer (or wait, see
/// [`Overload`]): 16 384.
pub(crate) const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 16_384;
/// Default time limit for one handler call: 30 s.
pub(crate) const DEFAULT_HANDLER_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time a connection may sit with no request before it is closed: 5 min.
pub(crate) const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// Default time a started frame has to arrive in full: 10 s.
pub(crate) const DEFAULT_FRAME_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time a peer gets to take a batch of answers before it is cut: 30 s.
pub(crate) const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time connections get to finish after shutdown before they are cut: 30 s.
pub(crate) const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time a connection keeps reading after the going-away notice: 10 s.
pub(crate) const DEFAULT_DRAIN_GRACE: Duration = Duration::from_secs(10);
/// Default at the server-wide limit: shed (see [`Overload`] for why).
pub(crate) const DEFAULT_OVERLOAD: Overload = Overload::Shed;
/// Default level of the server's `connection` and `request` spans: debug.
pub(crate) const DEFAULT_SPAN_LEVEL: tracing::Level = tracing::Level::DEBUG;
/// Default busy polling: off, a connection with nothing to do sleeps at once.
pub(crate) const DEFAULT_BUSY_POLL: Option<Duration> = None;

/// Every server option.
#[derive(Clone, Debug)]
pub(crate) struct ServerOptions {
    pub(crate) engine: Engine,
    pub(crate) max_frame_len: usize,
    pub(crate) max_connections: usize,
    pub(crate) max_in_flight: usize,
    pub(crate) max_concurrent_requests: Option<usize>,
    pub(crate) handler_timeout: Option<Duration>,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) frame_timeout: Option<Duration>,
    pub(crate) write_timeout: Option<Duration>,
    pub(crate) drain_timeout: Duration,
    pub(crate) drain_grace: Duration,
    pub(crate) busy_poll: Option<Duration>,
    /// Every connection speaks TLS, with this handshake.
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<crate::transport::tls::TlsAcceptor>,
    pub(crate) overload: Overload,
    pub(crate) span_level: tracing::Level,
    /// Deadlines, cancels and request numbers of jsonmux clients are kept.
    pub(crate) extension: bool,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            engine: Engine::default(),
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            max_concurrent_requests: Some(DEFAULT_MAX_CONCURRENT_REQUESTS),
            handler_timeout: Some(DEFAULT_HANDLER_TIMEOUT),
            idle_timeout: Some(DEFAULT_IDLE_TIMEOUT),
            frame_timeout: Some(DEFAULT_FRAME_TIMEOUT),
            write_timeout: Some(DEFAULT_WRITE_TIMEOUT),
            drain_timeout: DEFAULT_DRAIN_TIMEOUT,
            drain_grace: DEFAULT_DRAIN_GRACE,
            busy_poll: DEFAULT_BUSY_POLL,
            #[cfg(feature = "tls")]
            tls: None,
            overload: DEFAULT_OVERLOAD,
            span_level: DEFAULT_SPAN_LEVEL,
            extension: true,
        }
    }
}

impl ServerOptions {
    /// The first option that cannot be used, in the order of the setters.
    pub(crate) fn check(&self) -> Result<(), Error> {
        check::count("max_frame_len", self.max_frame_len)?;
        check::count("max_connections", self.max_connections)?;
        check::count("max_in_flight", self.max_in_flight)?;
        check::some_count("max_concurrent_requests", self.max_concurrent_requests)?;
        check::some_time("handler_timeout", self.handler_timeout)?;
        check::some_time("idle_timeout", self.idle_timeout)?;
        check::some_time("frame_timeout", self.frame_timeout)?;
        check::some_time("write_timeout", self.write_timeout)?;
        check::some_time("busy_poll", self.busy_poll)
    }

    /// True unless connections speak TLS: a peer can then read a
    /// plaintext last answer before its handshake.
    pub(crate) fn speaks_plaintext(&self) -> bool {
        #[cfg(feature = "tls")]
        return self.tls.is_none();
        #[cfg(not(feature = "tls"))]
        true
    }
}
