//! The crate's one error type.

use std::sync::Arc;
use std::{fmt, io};

/// Everything that can go wrong in jsonmux, as one enum callers can match.
///
/// `Display` says what happened; the cause, if any, is the
/// [`source()`](std::error::Error::source) (print the chain, e.g. with
/// `anyhow`'s `{:#}`, to see both). [`Error::report`] renders the chain.
///
/// `Error` is `Clone` (causes are shared behind [`Arc`]) so that the one
/// cause of a dead connection can be handed to every request that was in
/// flight on it.
///
/// # Examples
///
/// ```
/// use jsonmux::Error;
///
/// fn retryable(e: &Error) -> bool {
///     matches!(e, Error::Timeout | Error::Closed(_) | Error::Connect(_))
/// }
/// assert!(retryable(&Error::Timeout));
/// assert!(!retryable(&Error::DuplicateUid("pixel-1".into())));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Error {
    /// The request did not complete before its deadline.
    Timeout,
    /// The connection ended before the request was answered;
    /// [`source()`](std::error::Error::source) is the cause (for example
    /// [`Error::PeerClosed`], [`Error::Io`] or [`Error::FrameTooLarge`]).
    Closed(Arc<Error>),
    /// The peer closed the connection (end of stream).
    PeerClosed,
    /// Could not connect: dial error or dial timeout.
    Connect(Arc<io::Error>),
    /// Reading or writing the socket failed.
    Io(Arc<io::Error>),
    /// The peer sent bytes that are not a valid message.
    Protocol(Arc<serde_json::Error>),
    /// The peer sent something other than a JSON object where a message was
    /// expected (the byte found is given).
    NotAnObject(u8),
    /// A frame grew past the size limit (the limit, in bytes, is given).
    FrameTooLarge(usize),
    /// The stream ended in the middle of a frame.
    Truncated,
    /// A request with this `Uid` is already in flight on the connection, or
    /// an earlier one with it was abandoned and its answer has not arrived
    /// yet (accepting it could hand over the stale answer).
    DuplicateUid(String),
    /// The server answered with an error instead of a value.
    Server(String),
    /// The service is overloaded and shed the request.
    Overloaded,
    /// The client's background worker is gone (its runtime shut down).
    WorkerGone,
    /// No connection is up and the client is set to fail fast; `source()`
    /// is the last connect or connection failure.
    Unavailable(Arc<Error>),
    /// Requests were waiting and nothing arrived for this long: the peer is
    /// deemed dead and the connection was replaced.
    PeerSilent(std::time::Duration),
    /// This many calls in a row timed out with no answer in between: the
    /// connection was replaced.
    TooManyTimeouts(usize),
    /// The server's handler did not finish in the server's time limit.
    ServerTimeout,
    /// A frame was started but not finished within this long (a slow sender).
    FrameTimeout(std::time::Duration),
    /// No request arrived on the connection for this long.
    IdleTimeout(std::time::Duration),
    /// The peer took none of its answers for this long (it stopped reading).
    WriteTimeout(std::time::Duration),
    /// The server is at its connection limit (the limit is given).
    TooManyConnections(usize),
}

impl Error {
    /// True for [`Error::Timeout`].
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout)
    }

    /// True for [`Error::Closed`]: the connection died under the request.
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

    /// The stable kind written in an error answer's `Code` field.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Protocol(_) | Error::NotAnObject(_) | Error::Truncated => "bad_request",
            Error::FrameTooLarge(_) => "frame_too_large",
            Error::FrameTimeout(_) => "frame_timeout",
            Error::IdleTimeout(_) => "idle_timeout",
            Error::WriteTimeout(_) => "write_timeout",
            Error::TooManyConnections(_) => "too_many_connections",
            Error::Overloaded => "overloaded",
            Error::Timeout | Error::ServerTimeout => "timeout",
            Error::Io(_) | Error::Connect(_) | Error::PeerClosed => "io",
            _ => "handler",
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

    /// The text written in an error answer's `Error` field: the handler's
    /// own message for [`Error::Server`], the whole chain otherwise.
    pub(crate) fn wire_message(&self) -> String {
        match self {
            Error::Server(msg) => msg.clone(),
            e => e.report(),
        }
    }

    /// The client's view of an error answer with this code and message.
    pub(crate) fn from_wire(code: Option<&str>, message: String) -> Error {
        match code {
            Some("overloaded") => Error::Overloaded,
            Some("timeout") => Error::ServerTimeout,
            _ => Error::Server(message),
        }
    }

    /// Turns an error from tower middleware back into an `Error`.
    ///
    /// Tower layers return `Box<dyn Error>`; this unwraps ours and maps
    /// tower's own (`Elapsed`, buffer `Closed`, `Overloaded`).
    pub(crate) fn from_tower(e: tower::BoxError) -> Error {
        let e = match e.downcast::<Error>() {
            Ok(e) => return *e,
            Err(e) => e,
        };
        if e.is::<tower::timeout::error::Elapsed>() {
            return Error::Timeout;
        }
        if e.is::<tower::buffer::error::Closed>() {
            return Error::WorkerGone;
        }
        if e.is::<tower::load_shed::error::Overloaded>() {
            return Error::Overloaded;
        }
        // Buffer wraps the inner service's failure; our inner services fail
        // with `Error`, so the source is one.
        if let Some(inner) = e.source().and_then(|s| s.downcast_ref::<Error>()) {
            return inner.clone();
        }
        Error::Io(Arc::new(io::Error::other(e)))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Timeout => f.write_str("request timed out"),
            Error::Closed(_) => f.write_str("connection closed"),
            Error::PeerClosed => f.write_str("connection closed by peer"),
            Error::Connect(_) => f.write_str("connect failed"),
            Error::Io(_) => f.write_str("i/o error"),
            Error::Protocol(_) => f.write_str("invalid message"),
            Error::NotAnObject(b) => {
                write!(
                    f,
                    "invalid message: expected a JSON object, found {:?}",
                    *b as char
                )
            }
            Error::FrameTooLarge(max) => write!(f, "frame larger than the {max} byte limit"),
            Error::Truncated => f.write_str("stream ended in the middle of a frame"),
            Error::DuplicateUid(uid) => write!(f, "uid {uid:?} is already in flight"),
            Error::Server(msg) => write!(f, "server error: {msg}"),
            Error::Overloaded => f.write_str("service overloaded"),
            Error::WorkerGone => f.write_str("client worker is gone"),
            Error::Unavailable(_) => f.write_str("no connection available"),
            Error::PeerSilent(d) => {
                write!(f, "no answer from peer for {d:?} with requests waiting")
            }
            Error::TooManyTimeouts(n) => write!(f, "{n} requests in a row timed out"),
            Error::ServerTimeout => f.write_str("the server's handler timed out"),
            Error::FrameTimeout(d) => write!(f, "frame not completed within {d:?}"),
            Error::IdleTimeout(d) => write!(f, "connection idle for {d:?}"),
            Error::WriteTimeout(d) => write!(f, "peer took no answers for {d:?}"),
            Error::TooManyConnections(n) => {
                write!(f, "server at its limit of {n} connections")
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Closed(cause) | Error::Unavailable(cause) => Some(&**cause),
            Error::Connect(e) | Error::Io(e) => Some(&**e),
            Error::Protocol(e) => Some(&**e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(Arc::new(e))
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        if e.is_io() {
            return Error::Io(Arc::new(e.into()));
        }
        Error::Protocol(Arc::new(e))
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
    fn tower_errors_map_to_variants() {
        let elapsed: tower::BoxError = Box::new(tower::timeout::error::Elapsed::new());
        assert!(Error::from_tower(elapsed).is_timeout());
        let ours: tower::BoxError = Box::new(Error::Truncated);
        assert!(matches!(Error::from_tower(ours), Error::Truncated));
    }

    #[test]
    fn wire_codes_map_back_to_variants() {
        for e in [Error::Overloaded, Error::ServerTimeout] {
            let back = Error::from_wire(Some(e.code()), e.to_string());
            assert_eq!(back.code(), e.code());
        }
        let other = Error::from_wire(Some("bad_request"), "invalid message: x".into());
        assert!(matches!(other, Error::Server(m) if m == "invalid message: x"));
    }
}
