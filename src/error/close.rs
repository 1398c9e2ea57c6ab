//! [`CloseReason`]: why a connection ended.

use std::sync::Arc;
use std::time::Duration;
use std::{fmt, io};

use crate::{Code, CodecError};

/// Why a connection ended: the cause behind [`Error::Closed`](crate::Error::Closed),
/// and its [`source()`](std::error::Error::source).
///
/// The dead-peer rules a [`Pool`](crate::Pool) applies
/// ([`read_timeout`](crate::ClientBuilder::read_timeout),
/// [`write_timeout`](crate::ClientBuilder::write_timeout),
/// [`max_consecutive_timeouts`](crate::ClientBuilder::max_consecutive_timeouts),
/// [`max_abandoned`](crate::ClientBuilder::max_abandoned)) each have a
/// reason of their own, so a caller, a log line or a metric can tell a
/// dead server from a closed one.
///
/// # Examples
///
/// ```
/// use jsonmux::{CloseReason, Error};
///
/// fn server_went_away(e: &Error) -> bool {
///     matches!(e, Error::Closed(CloseReason::PeerClosed | CloseReason::PeerSilent(_)))
/// }
/// assert!(server_went_away(&Error::Closed(CloseReason::PeerClosed)));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum CloseReason {
    /// The peer closed the connection.
    PeerClosed,
    /// Reading or writing the socket failed; `source()` is the system's error.
    Io(Arc<io::Error>),
    /// The peer sent bytes that are not a valid stream of messages;
    /// `source()` says what was wrong.
    Protocol(CodecError),
    /// Calls were waiting and no answer to any of them arrived for this
    /// long: the peer was deemed dead.
    PeerSilent(Duration),
    /// This many calls in a row timed out with no answer in between.
    TooManyTimeouts(usize),
    /// Requests were waiting to be written and the peer took no bytes for
    /// this long.
    PeerNotReading(Duration),
    /// This many calls given up on still had their answers due: past the
    /// limit of such calls, or for longer than the time allowed. The
    /// connection was retired: it took no new call, and closed once its
    /// calls in flight were done, which frees their `Uid`s for good.
    AnswersOverdue(usize),
    /// The server's last word about the connection: an error answer with
    /// an empty `Uid` ([`Code::GoingAway`] when it shuts down, or why it
    /// closes the connection: [`Code::IdleTimeout`], [`Code::BadRequest`], …).
    Server {
        /// What the server said, for programs.
        code: Code,
        /// What the server said, for people.
        message: String,
    },
    /// Closed on this side: the client or pool was closed, every handle to
    /// the connection was dropped, or the runtime running its task shut down.
    ClientClosed,
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::PeerClosed => f.write_str("closed by the peer"),
            CloseReason::Io(_) => f.write_str("i/o error"),
            CloseReason::Protocol(_) => f.write_str("protocol error"),
            CloseReason::PeerSilent(d) => {
                write!(f, "no answer from peer for {d:?} with calls waiting")
            }
            CloseReason::TooManyTimeouts(n) => write!(f, "{n} calls in a row timed out"),
            CloseReason::PeerNotReading(d) => write!(
                f,
                "peer took no bytes for {d:?} with requests waiting to be written"
            ),
            CloseReason::AnswersOverdue(n) => {
                write!(f, "answers to {n} calls given up on are overdue")
            }
            CloseReason::Server { code, message } => write!(f, "server said ({code}): {message}"),
            CloseReason::ClientClosed => f.write_str("closed on this side"),
        }
    }
}

impl std::error::Error for CloseReason {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CloseReason::Io(e) => Some(&**e),
            CloseReason::Protocol(e) => Some(e),
            _ => None,
        }
    }
}

impl From<CodecError> for CloseReason {
    fn from(e: CodecError) -> Self {
        match e {
            CodecError::Io(e) => CloseReason::Io(e),
            e => CloseReason::Protocol(e),
        }
    }
}

impl From<io::Error> for CloseReason {
    fn from(e: io::Error) -> Self {
        CloseReason::Io(Arc::new(e))
    }
}
