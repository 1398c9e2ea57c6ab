//! Dialing and socket setters: the connector, dial timeout, keepalive,
//! `TCP_NODELAY`, `SO_LINGER`, `TCP_USER_TIMEOUT`.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tower::{BoxError, Service};

use super::ClientBuilder;
use crate::Addr;

impl ClientBuilder {
    /// Dials every endpoint through `connector`, a tower `Service` from an
    /// [`Addr`] to an open byte stream (as hyper's connectors are), instead
    /// of the built-in one (TCP for `host:port`, a Unix socket for
    /// `unix:/path`): an in-memory pipe in tests, a proxy, a tunnel.
    ///
    /// Each dial runs on a clone of it, within the
    /// [dial timeout](Self::dial_timeout); TLS (`tls`, with the `tls`
    /// feature), if set, runs over the stream it gives. The socket options
    /// below apply only to the built-in connector. An I/O error it fails
    /// with becomes [`Error::Connect`](crate::Error::Connect).
    ///
    /// ```
    /// use jsonmux::{Addr, ClientBuilder};
    ///
    /// // Every endpoint is reached through an in-memory pipe.
    /// let connector = tower::service_fn(|_: Addr| async {
    ///     let (ours, _theirs) = tokio::io::duplex(64 * 1024);
    ///     Ok::<_, std::io::Error>(ours)
    /// });
    /// let b = ClientBuilder::new().connector(connector);
    /// ```
    pub fn connector<C>(mut self, connector: C) -> Self
    where
        C: Service<Addr> + Clone + Send + 'static,
        C::Response: AsyncRead + AsyncWrite + Send + Unpin + 'static,
        C::Error: Into<BoxError>,
        C::Future: Send + 'static,
    {
        self.opts.pool.dialer.set_connector(connector);
        self
    }

    /// Deadline for connecting: resolving, connecting and the TLS
    /// handshake, together (or whatever a [connector](Self::connector) does).
    /// Default: 3 s.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = jsonmux::ClientBuilder::new().dial_timeout(Duration::from_millis(500));
    /// ```
    pub fn dial_timeout(mut self, timeout: Duration) -> Self {
        self.opts.pool.dialer.dial_timeout = timeout;
        self
    }

    /// Idle time before the first TCP keepalive probe; `None` turns
    /// keepalive off. Default: 30 s.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = jsonmux::ClientBuilder::new().keepalive_time(Some(Duration::from_secs(10)));
    /// ```
    pub fn keepalive_time(mut self, time: Option<Duration>) -> Self {
        self.opts.pool.dialer.tcp.keepalive_time = time;
        self
    }

    /// Time between keepalive probes. Default: 10 s.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = jsonmux::ClientBuilder::new().keepalive_interval(Duration::from_secs(5));
    /// ```
    pub fn keepalive_interval(mut self, interval: Duration) -> Self {
        self.opts.pool.dialer.tcp.keepalive_interval = interval;
        self
    }

    /// Unanswered probes before the kernel drops the connection. Default: 3.
    ///
    /// ```
    /// let b = jsonmux::ClientBuilder::new().keepalive_retries(5);
    /// ```
    pub fn keepalive_retries(mut self, retries: u32) -> Self {
        self.opts.pool.dialer.tcp.keepalive_retries = retries;
        self
    }

    /// `TCP_NODELAY`: send small writes at once. Default: `true`.
    ///
    /// ```
    /// let b = jsonmux::ClientBuilder::new().nodelay(false);
    /// ```
    pub fn nodelay(mut self, nodelay: bool) -> Self {
        self.opts.pool.dialer.tcp.nodelay = nodelay;
        self
    }

    /// `SO_LINGER`; `Some(Duration::ZERO)` makes close send a reset, as
    /// the Go peers do (the one option where zero means something).
    /// Default: `None` (the system's orderly close).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = jsonmux::ClientBuilder::new().linger(Some(Duration::ZERO));
    /// ```
    pub fn linger(mut self, linger: Option<Duration>) -> Self {
        self.opts.pool.dialer.tcp.linger = linger;
        self
    }

    /// `TCP_USER_TIMEOUT` (Linux): data unacknowledged this long closes
    /// the connection; `None` for the system's default. Default: 30 s.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = jsonmux::ClientBuilder::new().tcp_user_timeout(Some(Duration::from_secs(10)));
    /// ```
    pub fn tcp_user_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.opts.pool.dialer.tcp.tcp_user_timeout = timeout;
        self
    }
}
