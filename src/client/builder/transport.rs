//! Dialing and socket setters: dial timeout, keepalive, `TCP_NODELAY`,
//! `SO_LINGER`, `TCP_USER_TIMEOUT`.

use std::time::Duration;

use super::ClientBuilder;

impl ClientBuilder {
    /// Deadline for resolving and connecting, together.
    /// Default: [`DEFAULT_DIAL_TIMEOUT`](crate::client::DEFAULT_DIAL_TIMEOUT).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = jsonmux::ClientBuilder::new().dial_timeout(Duration::from_millis(500));
    /// ```
    pub fn dial_timeout(mut self, timeout: Duration) -> Self {
        self.opts.pool.transport.dial_timeout = timeout;
        self
    }

    /// Idle time before the first TCP keepalive probe; `None` turns
    /// keepalive off. Default: [`DEFAULT_KEEPALIVE_TIME`](crate::client::DEFAULT_KEEPALIVE_TIME).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = jsonmux::ClientBuilder::new().keepalive_time(Some(Duration::from_secs(10)));
    /// ```
    pub fn keepalive_time(mut self, time: Option<Duration>) -> Self {
        self.opts.pool.transport.keepalive_time = time;
        self
    }

    /// Time between keepalive probes.
    /// Default: [`DEFAULT_KEEPALIVE_INTERVAL`](crate::client::DEFAULT_KEEPALIVE_INTERVAL).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = jsonmux::ClientBuilder::new().keepalive_interval(Duration::from_secs(5));
    /// ```
    pub fn keepalive_interval(mut self, interval: Duration) -> Self {
        self.opts.pool.transport.keepalive_interval = interval;
        self
    }

    /// Unanswered probes before the kernel drops the connection.
    /// Default: [`DEFAULT_KEEPALIVE_RETRIES`](crate::client::DEFAULT_KEEPALIVE_RETRIES).
    ///
    /// ```
    /// let b = jsonmux::ClientBuilder::new().keepalive_retries(5);
    /// ```
    pub fn keepalive_retries(mut self, retries: u32) -> Self {
        self.opts.pool.transport.keepalive_retries = retries;
        self
    }

    /// `TCP_NODELAY`: send small writes at once. Default: `true`.
    ///
    /// ```
    /// let b = jsonmux::ClientBuilder::new().nodelay(false);
    /// ```
    pub fn nodelay(mut self, nodelay: bool) -> Self {
        self.opts.pool.transport.nodelay = nodelay;
        self
    }

    /// `SO_LINGER`; `Some(Duration::ZERO)` makes close send a reset, as
    /// the seed does. Default: `None` (the system's orderly close).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = jsonmux::ClientBuilder::new().linger(Some(Duration::ZERO));
    /// ```
    pub fn linger(mut self, linger: Option<Duration>) -> Self {
        self.opts.pool.transport.linger = linger;
        self
    }

    /// `TCP_USER_TIMEOUT` (Linux): data unacknowledged this long closes
    /// the connection; `None` for the system's default.
    /// Default: [`DEFAULT_TCP_USER_TIMEOUT`](crate::client::DEFAULT_TCP_USER_TIMEOUT).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = jsonmux::ClientBuilder::new().tcp_user_timeout(Some(Duration::from_secs(10)));
    /// ```
    pub fn tcp_user_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.opts.pool.transport.tcp_user_timeout = timeout;
        self
    }
}
