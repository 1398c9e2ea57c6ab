//! [`CodecError`]: what was wrong with the bytes.

use std::sync::Arc;
use std::{fmt, io};

/// An error reading or writing the wire with [`JsonCodec`](super::JsonCodec).
///
/// After any decode error the stream cannot be resynchronised: close the
/// connection. `CodecError` is `Clone` (causes are shared behind [`Arc`]),
/// so one connection's cause can be handed to every call it fails.
///
/// # Examples
///
/// ```
/// use bytes::BytesMut;
/// use jsonmux::{CodecError, JsonCodec, Message};
/// use tokio_util::codec::Decoder;
///
/// let mut codec = JsonCodec::<Message>::with_max_frame_len(8);
/// let mut buf = BytesMut::from(&br#"{"Uid":"far too long"}"#[..]);
/// assert!(matches!(codec.decode(&mut buf), Err(CodecError::FrameTooLarge(8))));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum CodecError {
    /// Reading or writing the socket failed.
    Io(Arc<io::Error>),
    /// A frame is not valid JSON for the message expected;
    /// [`source()`](std::error::Error::source) says where.
    Json(Arc<serde_json::Error>),
    /// Something other than a JSON object where a frame starts (the byte found).
    NotAnObject(u8),
    /// A frame grew past the size limit (the limit, in bytes).
    FrameTooLarge(usize),
    /// The stream ended in the middle of a frame.
    Truncated,
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodecError::Io(_) => f.write_str("i/o error"),
            CodecError::Json(_) => f.write_str("invalid message"),
            CodecError::NotAnObject(b) => write!(
                f,
                "invalid message: expected a JSON object, found {:?}",
                *b as char
            ),
            CodecError::FrameTooLarge(max) => write!(f, "frame larger than the {max} byte limit"),
            CodecError::Truncated => f.write_str("stream ended in the middle of a frame"),
        }
    }
}

impl std::error::Error for CodecError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CodecError::Io(e) => Some(&**e),
            CodecError::Json(e) => Some(&**e),
            _ => None,
        }
    }
}

impl From<io::Error> for CodecError {
    fn from(e: io::Error) -> Self {
        CodecError::Io(Arc::new(e))
    }
}

impl From<serde_json::Error> for CodecError {
    fn from(e: serde_json::Error) -> Self {
        if e.is_io() {
            return CodecError::Io(Arc::new(e.into()));
        }
        CodecError::Json(Arc::new(e))
    }
}
