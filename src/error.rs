//! The crate's one error type.

use std::sync::Arc;
use std::time::Duration;
use std::{fmt, io};

use tower::BoxError;

use crate::{Code, CodecError};

/// Everything a jsonmux call can fail with, as one enum callers can match.
///
/// `Display` says what happened; the cause, if any, is the
/// [`source()`](std::error::Error::source) ([`Error::report`] renders the
/// whole chain on one line).
///
/// `Error` is `Clone` (causes are shared behind [`Arc`]) so that the one
/// cause of a dead connection can be handed to every call in flight on it.
///
/// Errors from tower middleware convert back with `From<BoxError>`: tower's
/// `Elapsed` is [`Error::Timeout`], its `Overloaded` is
/// [`Error::Overloaded`], a jsonmux error that went through `Buffer` comes
/// back as itself, and an error of a layer of your own is [`Error::Other`].
///
/// # Examples
///
/// ```
/// use jsonmux::{Code, Error};
///
/// fn retryable(e: &Error) -> bool {
///     match e {
///         Error::Timeout | Error::Overloaded | Error::Closed(_) | Error::Unavailable(_) => true,
///         Error::Server { code, .. } => *code == Code::Unavailable,
///         _ => false,
///     }
/// }
/// assert!(retryable(&Error::Timeout));
/// assert!(!retryable(&Error::DuplicateUid("pixel-1".into())));
///
/// // Errors out of tower layers convert back.
/// let elapsed: tower::BoxError = Box::new(tower::timeout::error::Elapsed::new());
/// assert!(Error::from(elapsed).is_timeout());
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Error {
    /// The call did not complete before its deadline (the client's request
    /// timeout, or a tower `Timeout` layer of your own).
    Timeout,
    /// The call was shed: the server answered `overloaded`, or a tower
    /// load-shedding layer refused it.
    Overloaded,
    /// The server answered with an error: the answer's code and message, as
    /// the handler (or the server, for [`Code::Timeout`]) gave them.
    Server {
        /// What kind of error, for programs.
        code: Code,
        /// What went wrong, for people.
        message: String,
    },
    /// A call with this `Uid` is in flight on the connection, or an earlier
    /// one was abandoned and its answer has not arrived yet (accepting it
    /// could hand over the stale answer).
    DuplicateUid(String),
    /// The connection ended before the call was answered;
    /// [`source()`](std::error::Error::source) is the cause (for example
    /// [`Error::PeerClosed`], [`Error::Io`], [`Error::Protocol`], or the
    /// server's last word as [`Error::Server`]).
    Closed(Arc<Error>),
    /// No connection is up and the client fails fast; `source()` is the
    /// last connect or connection failure.
    Unavailable(Arc<Error>),
    /// The pool has no endpoints to send the call to.
    NoEndpoints,
    /// The client was closed on this side: closed with
    /// [`Client::close`](crate::Client::close) or
    /// [`Pool::close`](crate::Pool::close), every handle to the connection
    /// was dropped, or the runtime running its background task shut down.
    ClientClosed,
    /// Connecting failed (refused, unreachable, …); `source()` is the
    /// system's error.
    Connect(Arc<io::Error>),
    /// Connecting (resolving, connecting, the TLS handshake) took longer
    /// than the dial timeout.
    DialTimeout(Duration),
    /// The host name resolved to no address.
    Unresolved(String),
    /// The peer closed the connection.
    PeerClosed,
    /// Reading or writing the socket failed.
    Io(Arc<io::Error>),
    /// The peer sent bytes that are not a valid stream of messages;
    /// `source()` says what was wrong.
    Protocol(CodecError),
    /// Calls were waiting and no answer to any of them arrived for this
    /// long: the peer is deemed dead and the connection was replaced.
    PeerSilent(Duration),
    /// This many calls in a row timed out with no answer in between: the
    /// connection was replaced.
    TooManyTimeouts(usize),
    /// Requests were waiting to be written and the peer took no bytes for
    /// this long: the connection was replaced.
    PeerNotReading(Duration),
    /// This many calls given up on still had their answers due: past the
    /// limit of such calls, or for longer than the time allowed. The
    /// connection was retired (it took no new call, and closed once its
    /// calls in flight were done), which frees their `Uid`s for good.
    AnswersOverdue(usize),
    /// TLS failed: its setup (a certificate or key that cannot be read or
    /// used) or a handshake (the server's certificate not trusted or not
    /// for the name dialed, ours refused, a peer not speaking TLS);
    /// `source()` says what.
    Tls(Arc<dyn std::error::Error + Send + Sync>),
    /// A builder option was given a value it cannot take.
    InvalidOption {
        /// The option's name, as its setter is called.
        option: &'static str,
        /// What the option needs.
        reason: &'static str,
    },
    /// An error from a layer jsonmux does not know (one of your own, or
    /// tower's `Buffer` whose worker is gone); `Display` and `source()`
    /// are its own.
    Other(Arc<dyn std::error::Error + Send + Sync>),
}

impl Error {
    /// True for [`Error::Timeout`]: the call ran out of time on this side.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout)
    }

    /// True for [`Error::Overloaded`]: the call was shed.
    pub fn is_overloaded(&self) -> bool {
        matches!(self, Error::Overloaded)
    }

    /// True for [`Error::Closed`]: the connection died under the call.
    pub fn is_closed(&self) -> bool {
        matches!(self, Error::Closed(_))
    }

    /// Wraps `cause` as [`Error::Closed`], unless it already is one.
    pub(crate) fn closed(cause: Error) -> Error {
        match cause {
            e @ Error::Closed(_) => e,
            cause => Error::Closed(Arc::new(cause)),
        }
    }

    /// The client's view of an error answer: [`Error::Overloaded`] for a
    /// shed request, [`Error::Server`] otherwise.
    pub(crate) fn from_answer(code: Option<Code>, message: String) -> Error {
        match code {
            Some(Code::Overloaded) => Error::Overloaded,
            code => Error::Server {
                code: code.unwrap_or(Code::Unknown),
                message,
            },
        }
    }

    /// The error and its causes on one line, `outer: cause: root`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use jsonmux::Error;
    ///
    /// let e = Error::Closed(Arc::new(Error::PeerClosed));
    /// assert_eq!(e.to_string(), "connection closed");
    /// assert_eq!(e.report(), "connection closed: connection closed by peer");
    /// ```
    pub fn report(&self) -> String {
        let mut out = self.to_string();
        let mut next = std::error::Error::source(self);
        while let Some(cause) = next {
            out.push_str(": ");
            out.push_str(&cause.to_string());
            next = cause.source();
        }
        out
    }

    /// Recognises an error a tower layer returned: ours, tower's own
    /// (`Elapsed`, `Overloaded`), or either wrapped by `Buffer`.
    fn recognise(e: &(dyn std::error::Error + 'static)) -> Option<Error> {
        if let Some(ours) = e.downcast_ref::<Error>() {
            return Some(ours.clone());
        }
        if e.is::<tower::timeout::error::Elapsed>() {
            return Some(Error::Timeout);
        }
        if e.is::<tower::load_shed::error::Overloaded>() {
            return Some(Error::Overloaded);
        }
        if e.is::<tower::buffer::error::ServiceError>() {
            // The inner service failed; `Buffer` hands every caller its error.
            return e.source().and_then(Error::recognise);
        }
        None
    }
}

impl From<BoxError> for Error {
    /// Turns an error out of a tower stack back into an `Error`; see
    /// [`Error`] for the mapping.
    fn from(e: BoxError) -> Error {
        let e = match e.downcast::<Error>() {
            Ok(ours) => return *ours,
            Err(e) => e,
        };
        Error::recognise(&*e).unwrap_or_else(|| Error::Other(Arc::from(e)))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Timeout => f.write_str("request timed out"),
            Error::Overloaded => f.write_str("service overloaded"),
            Error::Server { code, message } => write!(f, "server error ({code}): {message}"),
            Error::DuplicateUid(uid) => write!(f, "uid {uid:?} is already in flight"),
            Error::Closed(_) => f.write_str("connection closed"),
            Error::Unavailable(_) => f.write_str("no connection available"),
            Error::NoEndpoints => f.write_str("the pool has no endpoints"),
            Error::ClientClosed => f.write_str("client closed"),
            Error::Connect(_) => f.write_str("connect failed"),
            Error::DialTimeout(d) => write!(f, "connect timed out after {d:?}"),
            Error::Unresolved(addr) => write!(f, "{addr:?} resolved to no address"),
            Error::PeerClosed => f.write_str("connection closed by peer"),
            Error::Io(_) => f.write_str("i/o error"),
            Error::Protocol(_) => f.write_str("protocol error"),
            Error::PeerSilent(d) => {
                write!(f, "no answer from peer for {d:?} with calls waiting")
            }
            Error::TooManyTimeouts(n) => write!(f, "{n} calls in a row timed out"),
            Error::PeerNotReading(d) => {
                write!(
                    f,
                    "peer took no bytes for {d:?} with requests waiting to be written"
                )
            }
            Error::AnswersOverdue(n) => {
                write!(f, "answers to {n} calls given up on are overdue")
            }
            Error::Tls(_) => f.write_str("tls error"),
            Error::InvalidOption { option, reason } => write!(f, "invalid {option}: {reason}"),
            Error::Other(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Closed(cause) | Error::Unavailable(cause) => Some(&**cause),
            Error::Connect(e) | Error::Io(e) => Some(&**e),
            Error::Protocol(e) => Some(e),
            Error::Tls(e) => Some(&**e),
            Error::Other(e) => e.source(),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(Arc::new(e))
    }
}

impl From<CodecError> for Error {
    fn from(e: CodecError) -> Self {
        match e {
            CodecError::Io(e) => Error::Io(e),
            e => Error::Protocol(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn closed_keeps_its_cause_as_source() {
        let e = Error::closed(Error::PeerClosed);
        assert_eq!(e.to_string(), "connection closed");
        assert_eq!(e.report(), "connection closed: connection closed by peer");
        assert!(matches!(
            e.source().unwrap().downcast_ref(),
            Some(Error::PeerClosed)
        ));
        assert!(matches!(Error::closed(e), Error::Closed(c) if matches!(*c, Error::PeerClosed)));
    }

    #[test]
    fn tower_errors_convert_to_variants() {
        let elapsed: BoxError = Box::new(tower::timeout::error::Elapsed::new());
        assert!(Error::from(elapsed).is_timeout());
        let shed: BoxError = Box::new(tower::load_shed::error::Overloaded::new());
        assert!(Error::from(shed).is_overloaded());
        let ours: BoxError = Box::new(Error::DuplicateUid("a".into()));
        assert!(matches!(Error::from(ours), Error::DuplicateUid(u) if u == "a"));
    }

    #[test]
    fn a_foreign_error_is_other_and_keeps_its_message() {
        let theirs: BoxError = "no pigs today".into();
        let e = Error::from(theirs);
        assert!(matches!(e, Error::Other(_)));
        assert_eq!(e.to_string(), "no pigs today");
    }

    #[test]
    fn an_overloaded_answer_is_overloaded_and_others_keep_their_code() {
        assert!(Error::from_answer(Some(Code::Overloaded), "x".into()).is_overloaded());
        let e = Error::from_answer(Some(Code::NotFound), "no pig".into());
        assert!(
            matches!(e, Error::Server { code: Code::NotFound, ref message } if message == "no pig")
        );
        let e = Error::from_answer(None, "?".into());
        assert!(matches!(
            e,
            Error::Server {
                code: Code::Unknown,
                ..
            }
        ));
    }

    #[test]
    fn codec_errors_are_protocol_errors_except_io() {
        let io = CodecError::from(io::Error::other("boom"));
        assert!(matches!(Error::from(io), Error::Io(_)));
        assert!(matches!(
            Error::from(CodecError::FrameTooLarge(8)),
            Error::Protocol(CodecError::FrameTooLarge(8))
        ));
    }
}
