//! Each connection's setters: engine, frame limit, dead-peer rules, busy
//! polling, whose `Uid` goes on the wire.

use std::time::Duration;

use super::{invalid, ClientBuilder};
use crate::connection::UidMode;
use crate::{Engine, Error};

impl ClientBuilder {
    /// What drives each connection: jsonmux's own engine, or tokio-tower's
    /// `multiplex::Client` behind a `Buffer` ([`Engine::TokioTower`], with
    /// the cargo feature `tokio-tower`). Every guarantee, option, the pool,
    /// reconnect and dead-peer detection are the same on both; jsonmux's
    /// is the faster (PERFORMANCE.md compares them), tokio-tower's the
    /// shape the product brief names.
    /// Default: [`Engine::Jsonmux`].
    ///
    /// ```
    /// # #[cfg(feature = "tokio-tower")]
    /// let b = jsonmux::ClientBuilder::new().engine(jsonmux::Engine::TokioTower);
    /// ```
    pub fn engine(mut self, engine: Engine) -> Self {
        self.opts.pool.connection.engine = engine;
        self
    }

    /// Largest answer accepted, in bytes; a larger one closes its
    /// connection with [`Error::Protocol`] ([`CodecError::FrameTooLarge`](crate::CodecError::FrameTooLarge)).
    /// Default: [`DEFAULT_MAX_FRAME_LEN`](crate::DEFAULT_MAX_FRAME_LEN).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidOption`] for 0.
    ///
    /// ```
    /// let b = jsonmux::ClientBuilder::new().max_frame_len(64 * 1024)?;
    /// assert!(jsonmux::ClientBuilder::new().max_frame_len(0).is_err());
    /// # Ok::<(), jsonmux::Error>(())
    /// ```
    pub fn max_frame_len(mut self, bytes: usize) -> Result<Self, Error> {
        if bytes == 0 {
            return Err(invalid("max_frame_len", "must be at least 1 byte"));
        }
        self.opts.pool.connection.max_frame_len = bytes;
        Ok(self)
    }

    /// A connection with requests waiting and nothing received for this
    /// long is closed ([`Error::PeerSilent`]) and replaced; `None` turns
    /// the check off. Default: [`DEFAULT_READ_TIMEOUT`](crate::client::DEFAULT_READ_TIMEOUT).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidOption`] for `Some(Duration::ZERO)`, which would
    /// close every connection with a call waiting.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = jsonmux::ClientBuilder::new().read_timeout(Some(Duration::from_secs(5)))?;
    /// assert!(jsonmux::ClientBuilder::new().read_timeout(Some(Duration::ZERO)).is_err());
    /// # Ok::<(), jsonmux::Error>(())
    /// ```
    pub fn read_timeout(mut self, timeout: Option<Duration>) -> Result<Self, Error> {
        if timeout.is_some_and(|t| t.is_zero()) {
            return Err(invalid(
                "read_timeout",
                "must be above zero, or None for no check",
            ));
        }
        self.opts.pool.connection.read_timeout = timeout;
        Ok(self)
    }

    /// A connection on which this many calls in a row time out (with no
    /// answer in between) is closed ([`Error::TooManyTimeouts`]) and
    /// replaced; `None` turns the check off.
    /// Default: [`DEFAULT_MAX_CONSECUTIVE_TIMEOUTS`](crate::client::DEFAULT_MAX_CONSECUTIVE_TIMEOUTS).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidOption`] for `Some(0)`, which would close every
    /// connection, idle ones too.
    ///
    /// ```
    /// let b = jsonmux::ClientBuilder::new().max_consecutive_timeouts(Some(4))?;
    /// assert!(jsonmux::ClientBuilder::new().max_consecutive_timeouts(Some(0)).is_err());
    /// # Ok::<(), jsonmux::Error>(())
    /// ```
    pub fn max_consecutive_timeouts(mut self, max: Option<usize>) -> Result<Self, Error> {
        if max == Some(0) {
            return Err(invalid(
                "max_consecutive_timeouts",
                "must be at least 1, or None for no check",
            ));
        }
        self.opts.pool.connection.max_consecutive_timeouts = max;
        Ok(self)
    }

    /// Busy polling, for latency at light load: a connection waiting
    /// for answers keeps checking its socket for this long after it
    /// last sent or received before it sleeps, yielding to the
    /// runtime's other tasks between checks. `None` sleeps at once.
    /// It costs CPU while calls wait; PERFORMANCE.md measures what it
    /// saves and costs, here and on the server
    /// ([`ServerBuilder::busy_poll`](crate::ServerBuilder::busy_poll)).
    /// Default: [`DEFAULT_BUSY_POLL`](crate::client::DEFAULT_BUSY_POLL) (off).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = jsonmux::ClientBuilder::new().busy_poll(Some(Duration::from_micros(50)));
    /// ```
    pub fn busy_poll(mut self, window: Option<Duration>) -> Self {
        self.opts.pool.connection.busy_poll = window;
        self
    }

    /// Whose `Uid` goes on the wire: the caller's ([`UidMode::Caller`]),
    /// or a tag each connection makes, given back to the caller as its own
    /// `Uid` in the answer ([`UidMode::Tagged`]: the same `Uid` can then be
    /// in flight any number of times, and the server sees the tag, not the
    /// caller's `Uid`). Default: [`UidMode::Caller`].
    ///
    /// ```
    /// use jsonmux::client::UidMode;
    /// let b = jsonmux::ClientBuilder::new().uid_mode(UidMode::Tagged);
    /// ```
    pub fn uid_mode(mut self, mode: UidMode) -> Self {
        self.opts.pool.connection.uid_mode = mode;
        self
    }
}
