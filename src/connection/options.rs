//! [`ConnectionOptions`]: what one connection needs to know, and the defaults.

use std::time::Duration;

use super::uid_mode::UidMode;
use crate::codec::DEFAULT_MAX_FRAME_LEN;
use crate::{check, Engine, Error};

/// Default read timeout: a connection with requests waiting and no answer
/// for 30 s is deemed dead and replaced.
pub(crate) const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Default limit of calls in a row that time out (with no answer in
/// between) before their connection is replaced: 16.
pub(crate) const DEFAULT_MAX_CONSECUTIVE_TIMEOUTS: usize = 16;
/// Default busy polling: off, a connection waiting for answers sleeps at once.
pub(crate) const DEFAULT_BUSY_POLL: Option<Duration> = None;
/// Default write timeout: a connection whose peer takes no bytes for 30 s
/// while requests wait to be written is deemed dead and replaced.
pub(crate) const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// Default bound on the bytes of requests queued on a connection and not
/// yet written: 4 MiB. A call past it waits, in its own future, for room.
pub(crate) const DEFAULT_MAX_QUEUED_BYTES: usize = 4 * 1024 * 1024;
/// Default time a call given up on keeps its `Uid` reserved for a late
/// answer before its connection is retired: 60 s, twelve times the
/// default request timeout.
pub(crate) const DEFAULT_ABANDONED_TIMEOUT: Duration = Duration::from_secs(60);
/// Default number of calls given up on whose `Uid`s a connection keeps
/// reserved for late answers before it is retired: 1024.
pub(crate) const DEFAULT_MAX_ABANDONED: usize = 1024;

/// One connection's options: its engine, its codec's limit, its task's
/// busy polling, the rules its [`Health`](super::health::Health) applies,
/// and whose `Uid` goes on the wire.
#[derive(Clone, Debug)]
pub(crate) struct ConnectionOptions {
    /// What drives the connection.
    pub(crate) engine: Engine,
    /// Largest answer accepted, in bytes.
    pub(crate) max_frame_len: usize,
    /// How long the task keeps checking for answers before it sleeps.
    pub(crate) busy_poll: Option<Duration>,
    /// Calls waiting with nothing received for this long: the peer is dead.
    pub(crate) read_timeout: Option<Duration>,
    /// This many calls given up on in a row: the peer is dead.
    pub(crate) max_consecutive_timeouts: Option<usize>,
    /// Whose `Uid` goes on the wire.
    pub(crate) uid_mode: UidMode,
    /// Requests waiting to be written and the peer taking nothing for this
    /// long: the peer is dead.
    pub(crate) write_timeout: Option<Duration>,
    /// Bytes of requests queued and not yet written, at most (give or take
    /// one request).
    pub(crate) max_queued_bytes: usize,
    /// A late answer still due this long after its caller gave up: the
    /// connection is retired.
    pub(crate) abandoned_timeout: Option<Duration>,
    /// This many late answers due at once: the connection is retired.
    pub(crate) max_abandoned: Option<usize>,
    /// Requests carry the extension's fields (their number, their
    /// deadline), and a call given up on is cancelled on a server that
    /// answers with them.
    pub(crate) extension: bool,
    /// A call made from a jsonmux handler with no deadline of its own
    /// keeps to the deadline of the request being handled.
    pub(crate) inherit_deadline: bool,
}

impl ConnectionOptions {
    /// The first option that cannot be used.
    pub(crate) fn check(&self) -> Result<(), Error> {
        check::count("max_frame_len", self.max_frame_len)?;
        check::some_time("read_timeout", self.read_timeout)?;
        check::some_count("max_consecutive_timeouts", self.max_consecutive_timeouts)?;
        check::some_time("busy_poll", self.busy_poll)?;
        check::some_time("write_timeout", self.write_timeout)?;
        check::count("max_queued_bytes", self.max_queued_bytes)?;
        check::some_time("abandoned_timeout", self.abandoned_timeout)?;
        check::some_count("max_abandoned", self.max_abandoned)
    }
}

impl Default for ConnectionOptions {
    fn default() -> Self {
        ConnectionOptions {
            engine: Engine::default(),
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
            busy_poll: DEFAULT_BUSY_POLL,
            read_timeout: Some(DEFAULT_READ_TIMEOUT),
            max_consecutive_timeouts: Some(DEFAULT_MAX_CONSECUTIVE_TIMEOUTS),
            uid_mode: UidMode::Caller,
            write_timeout: Some(DEFAULT_WRITE_TIMEOUT),
            max_queued_bytes: DEFAULT_MAX_QUEUED_BYTES,
            abandoned_timeout: Some(DEFAULT_ABANDONED_TIMEOUT),
            max_abandoned: Some(DEFAULT_MAX_ABANDONED),
            extension: true,
            inherit_deadline: true,
        }
    }
}
