//! [`Code`]: the kind of an error answer, the wire's `Code` field.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// The kind of an error answer, written in the wire's `Code` field so that
/// programs can tell failures apart without parsing messages.
///
/// A request's own error answer carries the request's `Uid`; an error
/// answer with an empty `Uid` is about the whole connection, and the
/// server closes it next (the *connection* codes below), except
/// [`GoingAway`](Code::GoingAway): the server is shutting down, and still
/// answers what arrives for a grace period.
///
/// | code | `as_str` | who sets it |
/// |---|---|---|
/// | [`Handler`](Code::Handler) | `handler` | the server, when a handler fails |
/// | [`Timeout`](Code::Timeout) | `timeout` | the server, when a handler runs past its time limit |
/// | [`Overloaded`](Code::Overloaded) | `overloaded` | the server, when it sheds a request |
/// | [`InvalidArgument`](Code::InvalidArgument), [`NotFound`](Code::NotFound), [`PermissionDenied`](Code::PermissionDenied), [`Unauthenticated`](Code::Unauthenticated), [`Unavailable`](Code::Unavailable) | `invalid_argument`, … | handlers, with [`Resp::error`](crate::Resp::error) |
/// | [`BadRequest`](Code::BadRequest), [`FrameTooLarge`](Code::FrameTooLarge), [`FrameTimeout`](Code::FrameTimeout), [`IdleTimeout`](Code::IdleTimeout), [`WriteTimeout`](Code::WriteTimeout), [`TooManyConnections`](Code::TooManyConnections) | `bad_request`, … | the server, about the connection |
/// | [`GoingAway`](Code::GoingAway) | `going_away` | the server, about the connection, when it starts to drain |
/// | [`Unknown`](Code::Unknown) | `unknown` | the reader, for a code it does not know |
///
/// # Examples
///
/// ```
/// use jsonmux::{Code, Resp};
///
/// assert_eq!(Code::NotFound.as_str(), "not_found");
/// assert_eq!("not_found".parse::<Code>(), Ok(Code::NotFound));
///
/// let resp = Resp::error("pixel-1", Code::NotFound, "no such pig");
/// let json = serde_json::to_string(&resp).unwrap();
/// assert!(json.ends_with(r#""Error":"no such pig","Code":"not_found"}"#));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Code {
    /// The handler failed.
    Handler,
    /// The handler did not finish within the server's handler timeout.
    Timeout,
    /// The server shed the request (a server-wide limit, or a service not ready).
    Overloaded,
    /// The handler rejected the request's value.
    InvalidArgument,
    /// The handler found nothing for the request.
    NotFound,
    /// The caller may not make this request.
    PermissionDenied,
    /// The caller is not known.
    Unauthenticated,
    /// Something the handler needs is down; a retry later may succeed.
    Unavailable,
    /// Connection: the peer sent bytes that are not a valid message.
    BadRequest,
    /// Connection: the peer sent a frame over the size limit.
    FrameTooLarge,
    /// Connection: a frame was started but not finished in time.
    FrameTimeout,
    /// Connection: no request arrived for the idle timeout.
    IdleTimeout,
    /// Connection: the peer took none of its answers for the write timeout.
    WriteTimeout,
    /// Connection: the server is at its connection limit.
    TooManyConnections,
    /// Connection: the server is shutting down. It still reads and answers
    /// for a grace period, then closes the connection once it is quiet; a
    /// jsonmux client sends nothing more on it, lets its calls in flight
    /// finish and moves to a new connection.
    GoingAway,
    /// A code this version does not know, or an error answer with no code.
    Unknown,
}

impl Code {
    /// Every code, in declaration order.
    pub(crate) const ALL: [Code; 16] = [
        Code::Handler,
        Code::Timeout,
        Code::Overloaded,
        Code::InvalidArgument,
        Code::NotFound,
        Code::PermissionDenied,
        Code::Unauthenticated,
        Code::Unavailable,
        Code::BadRequest,
        Code::FrameTooLarge,
        Code::FrameTimeout,
        Code::IdleTimeout,
        Code::WriteTimeout,
        Code::TooManyConnections,
        Code::GoingAway,
        Code::Unknown,
    ];

    /// The code as written on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Code::Handler => "handler",
            Code::Timeout => "timeout",
            Code::Overloaded => "overloaded",
            Code::InvalidArgument => "invalid_argument",
            Code::NotFound => "not_found",
            Code::PermissionDenied => "permission_denied",
            Code::Unauthenticated => "unauthenticated",
            Code::Unavailable => "unavailable",
            Code::BadRequest => "bad_request",
            Code::FrameTooLarge => "frame_too_large",
            Code::FrameTimeout => "frame_timeout",
            Code::IdleTimeout => "idle_timeout",
            Code::WriteTimeout => "write_timeout",
            Code::TooManyConnections => "too_many_connections",
            Code::GoingAway => "going_away",
            Code::Unknown => "unknown",
        }
    }

    /// True for the codes that say the request's handler did not run, so
    /// the request can be sent again, here or elsewhere, without running
    /// twice: [`Overloaded`](Code::Overloaded) (shed before its handler
    /// started) and [`GoingAway`](Code::GoingAway) (the server refused it
    /// while shutting down). A handler that answers with one of these
    /// codes itself promises the same.
    ///
    /// ```
    /// use jsonmux::Code;
    ///
    /// assert!(Code::Overloaded.is_not_processed());
    /// assert!(!Code::Timeout.is_not_processed(), "the handler ran, for a while");
    /// ```
    pub const fn is_not_processed(self) -> bool {
        matches!(self, Code::Overloaded | Code::GoingAway)
    }

    /// Reads a wire code; one this version does not know is [`Code::Unknown`].
    pub(crate) fn from_wire(s: &str) -> Code {
        s.parse().unwrap_or(Code::Unknown)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing a [`Code`] from a string that names none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownCode(String);

impl fmt::Display for UnknownCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown error code {:?}", self.0)
    }
}

impl std::error::Error for UnknownCode {}

impl FromStr for Code {
    type Err = UnknownCode;

    fn from_str(s: &str) -> Result<Code, UnknownCode> {
        Code::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_parses_back_from_its_wire_form() {
        for code in Code::ALL {
            assert_eq!(code.as_str().parse::<Code>(), Ok(code));
        }
    }

    #[test]
    fn codes_key_an_ordered_map_in_declaration_order() {
        let mut seen = std::collections::BTreeMap::new();
        seen.insert(Code::GoingAway, 1);
        seen.insert(Code::Handler, 2);
        let order: Vec<Code> = seen.into_keys().collect();
        assert_eq!(order, [Code::Handler, Code::GoingAway]);
    }

    #[test]
    fn an_unknown_wire_code_reads_as_unknown() {
        assert_eq!(Code::from_wire("teapot"), Code::Unknown);
        assert!("teapot".parse::<Code>().is_err());
    }
}
