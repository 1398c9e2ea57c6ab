//! The wire's framing: [`JsonCodec`] reads a stream of JSON objects and
//! writes one compact object per line; [`CodecError`] says what was wrong
//! with the bytes.

mod error;
mod json;

pub use error::CodecError;
pub use json::JsonCodec;
pub(crate) use json::DEFAULT_MAX_FRAME_LEN;
