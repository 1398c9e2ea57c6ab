//! Why the server ends a connection on its own.

use std::fmt;
use std::time::Duration;

use tower::BoxError;

use crate::{Code, CodecError, Resp};

/// A reason for the server to end a connection, told to the peer in a last
/// error answer (empty `Uid`) when the connection can still carry one.
#[derive(Debug)]
pub(crate) enum Close {
    /// The peer sent bytes that are not a valid message, or the socket failed.
    Codec(CodecError),
    /// A frame was started but not finished within this long.
    FrameTimeout(Duration),
    /// No request arrived for this long.
    IdleTimeout(Duration),
    /// The peer took none of its answers for this long.
    WriteTimeout(Duration),
    /// The server is at its limit of this many connections.
    TooManyConnections(usize),
    /// The service failed to become ready (a failed request is an answer,
    /// not this).
    Service(BoxError),
    /// The server is shutting down and the connection is done: quiet after
    /// the going-away notice, or at the end of its grace.
    Drained,
}

impl Close {
    /// The code of the last answer; `None` when the socket itself failed
    /// (the peer's network, not something to tell it), the service did
    /// (the connection ends at once, without last words), or the
    /// connection drained (the going-away notice said it all).
    pub(crate) fn code(&self) -> Option<Code> {
        Some(match self {
            Close::Codec(CodecError::Io(_)) | Close::Service(_) | Close::Drained => return None,
            Close::Codec(CodecError::FrameTooLarge(_)) => Code::FrameTooLarge,
            Close::Codec(_) => Code::BadRequest,
            Close::FrameTimeout(_) => Code::FrameTimeout,
            Close::IdleTimeout(_) => Code::IdleTimeout,
            Close::WriteTimeout(_) => Code::WriteTimeout,
            Close::TooManyConnections(_) => Code::TooManyConnections,
        })
    }

    /// The last answer telling the peer why, if it can be told.
    pub(crate) fn last_answer(&self) -> Option<Resp> {
        let code = self.code()?;
        Some(Resp::error("", code, self.to_string()))
    }
}

impl fmt::Display for Close {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Close::Codec(CodecError::Json(e)) => write!(f, "invalid message: {e}"),
            Close::Codec(e) => fmt::Display::fmt(e, f),
            Close::FrameTimeout(d) => write!(f, "frame not completed within {d:?}"),
            Close::IdleTimeout(d) => write!(f, "connection idle for {d:?}"),
            Close::WriteTimeout(d) => write!(f, "peer took no answers for {d:?}"),
            Close::TooManyConnections(n) => write!(f, "server at its limit of {n} connections"),
            Close::Service(e) => write!(f, "service failed: {e}"),
            Close::Drained => f.write_str("drained for shutdown"),
        }
    }
}

impl std::error::Error for Close {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Close::Codec(e) => Some(e),
            Close::Service(e) => Some(&**e),
            _ => None,
        }
    }
}

impl From<CodecError> for Close {
    fn from(e: CodecError) -> Self {
        Close::Codec(e)
    }
}
