//! Each connection's setters: engine, frame limit, dead-peer rules, busy
//! polling, whose `Uid` goes on the wire, the bounds on what it holds for
//! a peer.

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

    /// A connection with requests waiting to be written and a peer that
    /// takes no bytes for this long is closed ([`Error::PeerNotReading`])
    /// and replaced; `None` turns the check off.
    /// Default: [`DEFAULT_WRITE_TIMEOUT`](crate::client::DEFAULT_WRITE_TIMEOUT).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidOption`] for `Some(Duration::ZERO)`, which would
    /// close every connection whose socket buffer is full for an instant.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = jsonmux::ClientBuilder::new().write_timeout(Some(Duration::from_secs(5)))?;
    /// assert!(jsonmux::ClientBuilder::new().write_timeout(Some(Duration::ZERO)).is_err());
    /// # Ok::<(), jsonmux::Error>(())
    /// ```
    pub fn write_timeout(mut self, timeout: Option<Duration>) -> Result<Self, Error> {
        if timeout.is_some_and(|t| t.is_zero()) {
            return Err(invalid(
                "write_timeout",
                "must be above zero, or None for no check",
            ));
        }
        self.opts.pool.connection.write_timeout = timeout;
        Ok(self)
    }

    /// Bytes of requests a connection queues for its peer, at most (give
    /// or take one request): a call past it waits in its own future for
    /// room, its deadline running, and a call given up on while it waits
    /// leaves nothing behind. Bounds the memory a peer that stops reading
    /// can hold. Default: [`DEFAULT_MAX_QUEUED_BYTES`](crate::client::DEFAULT_MAX_QUEUED_BYTES).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidOption`] for 0, which would queue nothing.
    ///
    /// ```
    /// let b = jsonmux::ClientBuilder::new().max_queued_bytes(1024 * 1024)?;
    /// assert!(jsonmux::ClientBuilder::new().max_queued_bytes(0).is_err());
    /// # Ok::<(), jsonmux::Error>(())
    /// ```
    pub fn max_queued_bytes(mut self, bytes: usize) -> Result<Self, Error> {
        if bytes == 0 {
            return Err(invalid("max_queued_bytes", "must be at least 1 byte"));
        }
        self.opts.pool.connection.max_queued_bytes = bytes;
        Ok(self)
    }

    /// How long a call given up on keeps its `Uid` reserved for its late
    /// answer: once an answer is due this long, its connection is retired
    /// ([`Error::AnswersOverdue`]): it takes no new call, finishes its
    /// calls in flight and closes, and a pool dials its replacement. A late
    /// answer gets at least this long to come, and no reservation lives
    /// more than twice it. `None`: reservations wait for their answers as
    /// long as the connection lives. Keep it well above the request
    /// timeout. Default: [`DEFAULT_ABANDONED_TIMEOUT`](crate::client::DEFAULT_ABANDONED_TIMEOUT).
    ///
    /// The reservation is what keeps a late answer from reaching a later
    /// call with the same `Uid` (see [`Connection`](crate::Connection)), so
    /// it is never dropped while the connection takes calls: the
    /// connection goes, with every reservation, instead.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidOption`] for `Some(Duration::ZERO)`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = jsonmux::ClientBuilder::new().abandoned_timeout(Some(Duration::from_secs(30)))?;
    /// assert!(jsonmux::ClientBuilder::new().abandoned_timeout(Some(Duration::ZERO)).is_err());
    /// # Ok::<(), jsonmux::Error>(())
    /// ```
    pub fn abandoned_timeout(mut self, timeout: Option<Duration>) -> Result<Self, Error> {
        if timeout.is_some_and(|t| t.is_zero()) {
            return Err(invalid(
                "abandoned_timeout",
                "must be above zero, or None for no limit",
            ));
        }
        self.opts.pool.connection.abandoned_timeout = timeout;
        Ok(self)
    }

    /// How many calls given up on may keep their `Uid`s reserved for late
    /// answers on one connection: at this many, it is retired
    /// ([`Error::AnswersOverdue`]), as for
    /// [`abandoned_timeout`](Self::abandoned_timeout). Bounds the memory a
    /// peer that drops requests can hold. `None`: no limit.
    /// Default: [`DEFAULT_MAX_ABANDONED`](crate::client::DEFAULT_MAX_ABANDONED).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidOption`] for `Some(0)`, which would retire a
    /// connection at its first call given up on.
    ///
    /// ```
    /// let b = jsonmux::ClientBuilder::new().max_abandoned(Some(256))?;
    /// assert!(jsonmux::ClientBuilder::new().max_abandoned(Some(0)).is_err());
    /// # Ok::<(), jsonmux::Error>(())
    /// ```
    pub fn max_abandoned(mut self, max: Option<usize>) -> Result<Self, Error> {
        if max == Some(0) {
            return Err(invalid(
                "max_abandoned",
                "must be at least 1, or None for no limit",
            ));
        }
        self.opts.pool.connection.max_abandoned = max;
        Ok(self)
    }
}
