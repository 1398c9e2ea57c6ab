//! The crate's one error type, and why a connection ended.

mod close;
mod recognise;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;
use std::{fmt, io};

pub use close::CloseReason;

use crate::Code;

/// Everything a jsonmux operation can fail with, as one enum callers can match.
///
/// `Display` says what happened; the cause, if any, is the
/// [`source()`](std::error::Error::source) ([`Error::report`] renders the
/// whole chain on one line).
///
/// `Error` is `Clone` (causes are shared behind [`Arc`]) so that the one
/// cause of a dead connection can be handed to every call in flight on it.
///
/// # Errors out of a tower stack
///
/// tower's middleware returns `tower::BoxError`; turn it back into an
/// `Error` with `Error::from(e)` where your stack ends (a `.map_err(Error::from)`
/// after the last layer, or in your handler), or ask about it without
/// taking it with [`Error::from_ref`] (in a `tower::retry::Policy`, which
/// only sees `&mut Result`). Either way tower's `Elapsed` is
/// [`Error::Timeout`], its `Overloaded` is [`Error::Overloaded`], a jsonmux
/// error that went through `Buffer` comes back as itself, and an error of a
/// layer of your own is [`Error::Other`].
///
/// # Examples
///
/// ```
/// use jsonmux::{Code, Error};
///
/// fn worth_a_retry(e: &Error) -> bool {
///     e.is_retryable() || matches!(e, Error::Server { code: Code::Unavailable, .. })
/// }
/// assert!(worth_a_retry(&Error::Overloaded));
/// assert!(!worth_a_retry(&Error::Timeout(None)), "it may have run");
///
/// // Errors out of tower layers convert back.
/// let elapsed: tower::BoxError = Box::new(tower::timeout::error::Elapsed::new());
/// assert!(Error::from(elapsed).is_timeout());
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Error {
    /// The call did not complete before its deadline (the client's request
    /// timeout, the call's own deadline, or a tower `Timeout` layer of
    /// yours). When no connection was up to send it on, the last connect or
    /// connection failure is the `source()`; when a jsonmux server's word
    /// that the deadline passed came first, that answer is.
    Timeout(Option<Arc<Error>>),
    /// The call was shed, without running: the server answered
    /// `overloaded`, or a tower load-shedding layer refused it.
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
    /// could hand over the stale answer). Nothing was sent.
    DuplicateUid(String),
    /// The connection ended before the call was answered; the
    /// [`CloseReason`] (also the `source()`) says why.
    Closed(CloseReason),
    /// No connection is up and the client fails fast
    /// ([`ClientBuilder::fail_fast`](crate::ClientBuilder::fail_fast));
    /// `source()` is the last connect or connection failure. Nothing was sent.
    Unavailable(Arc<Error>),
    /// The pool has no endpoints to send the call to.
    NoEndpoints,
    /// The client was closed on this side
    /// ([`Client::close`](crate::Client::close), [`Pool::close`](crate::Pool::close)).
    ClientClosed,
    /// Connecting failed (refused, unreachable, …); `source()` is the
    /// system's error.
    Connect(Arc<io::Error>),
    /// Connecting (resolving, connecting, the TLS handshake) took longer
    /// than the dial timeout.
    DialTimeout(Duration),
    /// The host name resolved to no address.
    Unresolved(String),
    /// TLS failed: its setup (a certificate or key that cannot be read or
    /// used) or a handshake (the server's certificate not trusted or not
    /// for the name dialed, ours refused, a peer not speaking TLS);
    /// `source()` says what.
    #[cfg(feature = "tls")]
    Tls(Arc<dyn std::error::Error + Send + Sync>),
    /// The server could not bind its address; `source()` is the system's error.
    Bind(Arc<io::Error>),
    /// A builder option was given a value it cannot take; the builder's
    /// terminal call (`connect`, `bind`, …) names the first such option.
    InvalidOption {
        /// The option's name, as its setter is called.
        option: &'static str,
        /// The value it was given.
        value: String,
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
        matches!(self, Error::Timeout(_))
    }

    /// True for [`Error::Overloaded`]: the call was shed.
    pub fn is_overloaded(&self) -> bool {
        matches!(self, Error::Overloaded)
    }

    /// True for [`Error::Closed`]: the connection ended under the call.
    pub fn is_closed(&self) -> bool {
        matches!(self, Error::Closed(_))
    }

    /// True if the server surely did not run the call, so sending it again
    /// (to this server or another) cannot run it twice: it was shed or
    /// refused before its handler started, or it never left this client
    /// (no connection was up, its `Uid` was taken, its connection was going
    /// away). Whether a retry is still worth it (the deadline, the cause) is
    /// the caller's to judge.
    ///
    /// ```
    /// use jsonmux::{CloseReason, Error};
    ///
    /// assert!(Error::Overloaded.is_retryable());
    /// assert!(!Error::Closed(CloseReason::PeerClosed).is_retryable(), "it may have run");
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Overloaded
            | Error::Unavailable(_)
            | Error::NoEndpoints
            | Error::DuplicateUid(_)
            | Error::Connect(_)
            | Error::DialTimeout(_)
            | Error::Unresolved(_) => true,
            // The server's answer at the deadline says whether it ran;
            // any other cause: the call waited for a connection, unsent.
            Error::Timeout(Some(cause)) => match &**cause {
                Error::Server { code, .. } => code.is_not_processed(),
                _ => true,
            },
            Error::Server { code, .. } => code.is_not_processed(),
            // A call a connection refuses because its server is going away
            // never left this client.
            Error::Closed(CloseReason::Server { code, .. }) => *code == Code::GoingAway,
            _ => false,
        }
    }

    /// An [`Error::InvalidOption`] for `option`, given `value`.
    pub(crate) fn invalid(
        option: &'static str,
        value: impl fmt::Debug,
        reason: &'static str,
    ) -> Error {
        Error::InvalidOption {
            option,
            value: format!("{value:?}"),
            reason,
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
    /// use jsonmux::{CloseReason, Error};
    ///
    /// let e = Error::Closed(CloseReason::PeerClosed);
    /// assert_eq!(e.to_string(), "connection closed");
    /// assert_eq!(e.report(), "connection closed: closed by the peer");
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
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Timeout(_) => f.write_str("request timed out"),
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
            #[cfg(feature = "tls")]
            Error::Tls(_) => f.write_str("tls error"),
            Error::Bind(_) => f.write_str("bind failed"),
            Error::InvalidOption {
                option,
                value,
                reason,
            } => write!(f, "invalid {option} {value}: {reason}"),
            Error::Other(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Timeout(cause) => cause.as_deref().map(|e| e as _),
            Error::Closed(reason) => Some(reason),
            Error::Unavailable(cause) => Some(&**cause),
            Error::Connect(e) | Error::Bind(e) => Some(&**e),
            #[cfg(feature = "tls")]
            Error::Tls(e) => Some(&**e),
            Error::Other(e) => e.source(),
            _ => None,
        }
    }
}

impl From<CloseReason> for Error {
    fn from(reason: CloseReason) -> Self {
        Error::Closed(reason)
    }
}
