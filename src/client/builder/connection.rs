//! Each connection's setters: engine, frame limit, dead-peer rules, busy
//! polling, whose `Uid` goes on the wire, the bounds on what it holds for
//! a peer.

use std::time::Duration;

use super::ClientBuilder;
use crate::client::UidMode;
use crate::Engine;

impl ClientBuilder {
    /// Speaks jsonmux's extension with jsonmux servers: every request
    /// carries its number on the connection and the time left to its
    /// deadline (fields a Go server ignores), so the server can keep to the
    /// deadline; once a server answers with the numbers (a jsonmux server
    /// does), a call given up on is cancelled on it (its handler stopped,
    /// its `Uid` free again at once) instead of keeping its `Uid` reserved
    /// for a late answer. Nothing is sent that a Go server would answer.
    /// `false` sends the Go peers' requests only. Default: `true`.
    ///
    /// ```
    /// let b = jsonmux::ClientBuilder::new().extension(false);
    /// ```
    pub fn extension(mut self, on: bool) -> Self {
        self.opts.pool.connection.extension = on;
        self
    }

    /// What drives each connection: jsonmux's own engine, or tokio-tower's
    /// `multiplex::Client` ([`Engine::TokioTower`], with
    /// the cargo feature `tokio-tower`). Every guarantee, option, the pool,
    /// reconnect and dead-peer detection are the same on both; [`Engine`]
    /// says what each costs. Default: [`Engine::Jsonmux`].
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
    /// connection ([`CloseReason::Protocol`](crate::CloseReason::Protocol),
    /// [`CodecError::FrameTooLarge`](crate::CodecError::FrameTooLarge)).
    /// Default: 1 MiB.
    ///
    /// ```
    /// let b = jsonmux::ClientBuilder::new().max_frame_len(64 * 1024);
    /// ```
    pub fn max_frame_len(mut self, bytes: usize) -> Self {
        self.opts.pool.connection.max_frame_len = bytes;
        self
    }

    /// A connection with requests waiting and no answer to any of them
    /// for this long is closed ([`CloseReason::PeerSilent`](crate::CloseReason::PeerSilent))
    /// and replaced; `None` turns the check off. Default: 30 s.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = jsonmux::ClientBuilder::new().read_timeout(Some(Duration::from_secs(5)));
    /// ```
    pub fn read_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.opts.pool.connection.read_timeout = timeout;
        self
    }

    /// A connection on which this many calls in a row time out (with no
    /// answer in between) is closed
    /// ([`CloseReason::TooManyTimeouts`](crate::CloseReason::TooManyTimeouts))
    /// and replaced; `None` turns the check off. Default: 16.
    ///
    /// ```
    /// let b = jsonmux::ClientBuilder::new().max_consecutive_timeouts(Some(4));
    /// ```
    pub fn max_consecutive_timeouts(mut self, max: Option<usize>) -> Self {
        self.opts.pool.connection.max_consecutive_timeouts = max;
        self
    }

    /// Busy polling, for latency at light load: a connection waiting
    /// for answers keeps checking its socket for this long after it
    /// last sent or received before it sleeps, yielding to the
    /// runtime's other tasks between checks. `None` sleeps at once.
    /// It costs CPU while calls wait; PERFORMANCE.md measures what it
    /// saves and costs, here and on the server
    /// ([`ServerBuilder::busy_poll`](crate::ServerBuilder::busy_poll)).
    /// Default: `None`.
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
    /// takes no bytes for this long is closed
    /// ([`CloseReason::PeerNotReading`](crate::CloseReason::PeerNotReading))
    /// and replaced; `None` turns the check off. Default: 30 s.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = jsonmux::ClientBuilder::new().write_timeout(Some(Duration::from_secs(5)));
    /// ```
    pub fn write_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.opts.pool.connection.write_timeout = timeout;
        self
    }

    /// Bytes of requests a connection queues for its peer, at most (give
    /// or take one request): a call past it waits in its own future for
    /// room, its deadline running, and a call given up on while it waits
    /// leaves nothing behind. Bounds the memory a peer that stops reading
    /// can hold. Default: 4 MiB.
    ///
    /// ```
    /// let b = jsonmux::ClientBuilder::new().max_queued_bytes(1024 * 1024);
    /// ```
    pub fn max_queued_bytes(mut self, bytes: usize) -> Self {
        self.opts.pool.connection.max_queued_bytes = bytes;
        self
    }

    /// How long a call given up on keeps its `Uid` reserved for its late
    /// answer: once an answer is due this long, its connection is retired
    /// ([`CloseReason::AnswersOverdue`](crate::CloseReason::AnswersOverdue)):
    /// it takes no new call, finishes its calls in flight and closes, and a
    /// pool dials its replacement. A late answer gets at least this long to
    /// come, and no reservation lives more than twice it. `None`:
    /// reservations wait for their answers as long as the connection lives.
    /// Keep it well above the request timeout. Default: 60 s.
    ///
    /// The reservation is what keeps a late answer from reaching a later
    /// call with the same `Uid` (see [`Connection`](crate::Connection)), so
    /// it is never dropped while the connection takes calls: the
    /// connection goes, with every reservation, instead.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = jsonmux::ClientBuilder::new().abandoned_timeout(Some(Duration::from_secs(30)));
    /// ```
    pub fn abandoned_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.opts.pool.connection.abandoned_timeout = timeout;
        self
    }

    /// How many calls given up on may keep their `Uid`s reserved for late
    /// answers on one connection: at this many, it is retired
    /// ([`CloseReason::AnswersOverdue`](crate::CloseReason::AnswersOverdue)),
    /// as for [`abandoned_timeout`](Self::abandoned_timeout). Bounds the
    /// memory a peer that drops requests can hold. `None`: no limit.
    /// Default: 1024.
    ///
    /// ```
    /// let b = jsonmux::ClientBuilder::new().max_abandoned(Some(256));
    /// ```
    pub fn max_abandoned(mut self, max: Option<usize>) -> Self {
        self.opts.pool.connection.max_abandoned = max;
        self
    }
}
