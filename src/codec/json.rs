//! [`JsonCodec`]: a stream of JSON objects in, one compact object per line out.

use std::marker::PhantomData;

use bytes::{Buf, BufMut, BytesMut};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio_util::codec::{Decoder, Encoder};

use super::CodecError;

/// The default [`JsonCodec::max_frame_len`]: 1 MiB.
pub(crate) const DEFAULT_MAX_FRAME_LEN: usize = 1024 * 1024;

/// A codec for the protocol's wire: reads a stream of JSON objects, writes one
/// compact object per line.
///
/// ```text
/// in:   {"Uid":"a","Val":"x"}{"Uid":"b",      ← no separator, as the Go client sends
///       "Val":"y"}  \n {"uid":"c","val":"z"}  ← a value may span reads and lines
/// out:  {"Uid":"a","Val":"server: hello, x","Ts":"…"}\n
/// ```
///
/// The decoder finds where each object ends with a small scanner (depth,
/// inside-a-string, escape) whose state is kept between reads, so every byte
/// is looked at once no matter how the stream is split; the finished object
/// is then parsed by `serde_json` into `D`.
///
/// # A note on limits
///
/// Every frame is bounded by [`max_frame_len`](Self::max_frame_len) (default
/// 1 MiB). An object that grows past it is an
/// [`CodecError::FrameTooLarge`] as soon as the limit is crossed, without waiting
/// for its end, so a peer cannot make the reader buffer more than the limit
/// plus one read. After any decode error the stream cannot be resynchronised:
/// close the connection.
///
/// # Examples
///
/// ```
/// use bytes::BytesMut;
/// use jsonmux::{JsonCodec, Message};
/// use tokio_util::codec::Decoder;
///
/// let mut codec = JsonCodec::<Message>::new();
/// let mut buf = BytesMut::from(&br#"{"Uid":"a","Val":"x"}{"Uid":"b","#[..]);
/// assert_eq!(codec.decode(&mut buf).unwrap(), Some(Message::new("a", "x")));
/// assert_eq!(codec.decode(&mut buf).unwrap(), None); // half a frame: wait for more
/// buf.extend_from_slice(br#""Val":"y"}"#);
/// assert_eq!(codec.decode(&mut buf).unwrap(), Some(Message::new("b", "y")));
/// ```
#[derive(Debug)]
pub struct JsonCodec<D> {
    /// Frames longer than this are rejected.
    max_frame_len: usize,
    /// How far into the current frame (which starts at `buf[0]`) the scanner
    /// has already looked; bytes before it are never scanned again.
    scanned: usize,
    /// Open `{`/`[` not yet closed in the current frame; 0 before it starts.
    depth: usize,
    /// The scanner is inside a string, where brackets do not count.
    in_string: bool,
    /// The previous byte was a backslash inside a string.
    escaped: bool,
    /// Reads a whole frame in its common shape without serde (see
    /// `proto::fast`), for the messages that have such a reader.
    fast: Option<FastRead<D>>,
    _decodes: PhantomData<fn() -> D>,
}

/// A reader of a whole frame at the start of a buffer, up to a length:
/// the item and the bytes it took, or `None` to let serde read it.
pub(crate) type FastRead<D> = fn(&[u8], usize) -> Option<(D, usize)>;

impl<D> JsonCodec<D> {
    /// A codec with the default frame limit, 1 MiB.
    pub fn new() -> Self {
        Self::with_max_frame_len(DEFAULT_MAX_FRAME_LEN)
    }

    /// A codec that rejects frames longer than `max_frame_len` bytes.
    pub fn with_max_frame_len(max_frame_len: usize) -> Self {
        JsonCodec {
            max_frame_len,
            scanned: 0,
            depth: 0,
            in_string: false,
            escaped: false,
            fast: None,
            _decodes: PhantomData,
        }
    }

    /// Reads frames in their common shape with `fast` first.
    pub(crate) fn with_fast_read(mut self, fast: FastRead<D>) -> Self {
        self.fast = Some(fast);
        self
    }

    /// The frame limit in bytes.
    pub fn max_frame_len(&self) -> usize {
        self.max_frame_len
    }

    /// True when part of a frame has been received but not its end.
    pub fn in_frame(&self) -> bool {
        self.depth > 0
    }

    /// Scans `buf` from where the last call stopped and returns the length
    /// of the first complete object, if it has arrived.
    fn find_frame_end(&mut self, buf: &mut BytesMut) -> Result<Option<usize>, CodecError> {
        if self.depth == 0 {
            // Between frames: drop separating whitespace, then expect `{`.
            let ws = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
            buf.advance(ws);
            match buf.first() {
                None => return Ok(None),
                Some(b'{') => {
                    self.depth = 1;
                    self.scanned = 1;
                }
                Some(&b) => return Err(CodecError::NotAnObject(b)),
            }
        }
        // Never look past the limit: a frame that needs more is too large.
        let end = buf.len().min(self.max_frame_len);
        let mut i = self.scanned;
        while i < end {
            if self.in_string {
                // A backslash escapes exactly the next byte, whatever it is.
                if self.escaped {
                    self.escaped = false;
                    i += 1;
                    continue;
                }
                // Jump to the next quote or backslash; strings are most of a frame.
                let Some(n) = memchr::memchr2(b'"', b'\\', &buf[i..end]) else {
                    i = end;
                    break;
                };
                i += n;
                if buf[i] == b'\\' {
                    self.escaped = true;
                } else {
                    self.in_string = false;
                }
                i += 1;
                continue;
            }
            match buf[i] {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        self.scanned = 0;
                        return Ok(Some(i + 1));
                    }
                }
                _ => {}
            }
            i += 1;
        }
        self.scanned = i;
        if i >= self.max_frame_len {
            return Err(CodecError::FrameTooLarge(self.max_frame_len));
        }
        Ok(None)
    }
}

impl<D: DeserializeOwned> JsonCodec<D> {
    /// The fast path, for a buffer that starts with a whole, valid frame
    /// (most of them): parse it in one pass, without scanning it first.
    /// Anything else (a frame cut short, bad input, a frame over the limit)
    /// returns `None` and goes the scanner's way, which knows where a frame
    /// ends before the read that ends it and says exactly what is wrong.
    fn decode_whole(&mut self, buf: &mut BytesMut) -> Option<D> {
        if self.depth != 0 {
            return None;
        }
        let start = buf.iter().position(|b| !b.is_ascii_whitespace())?;
        if buf[start] != b'{' {
            return None;
        }
        let end = buf.len().min(start.saturating_add(self.max_frame_len));
        // No `}` at all: the frame cannot be whole yet, skip the attempt
        // (a large frame arriving in many reads would otherwise be parsed
        // in vain on its first read).
        memchr::memrchr(b'}', &buf[start..end])?;
        let mut frames = serde_json::Deserializer::from_slice(&buf[start..end]).into_iter::<D>();
        let item = frames.next()?.ok()?;
        let len = frames.byte_offset();
        buf.advance(start + len);
        Some(item)
    }
}

impl<D> Default for JsonCodec<D> {
    fn default() -> Self {
        Self::new()
    }
}

impl<D: DeserializeOwned> Decoder for JsonCodec<D> {
    type Item = D;
    type Error = CodecError;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<D>, CodecError> {
        if let (Some(fast), 0) = (self.fast, self.depth) {
            if let Some((item, len)) = fast(buf, self.max_frame_len) {
                buf.advance(len);
                return Ok(Some(item));
            }
        }
        if let Some(item) = self.decode_whole(buf) {
            return Ok(Some(item));
        }
        let Some(len) = self.find_frame_end(buf)? else {
            return Ok(None);
        };
        let item = serde_json::from_slice(&buf[..len]);
        buf.advance(len);
        Ok(Some(item?))
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<D>, CodecError> {
        match self.decode(buf)? {
            Some(item) => Ok(Some(item)),
            None if self.in_frame() => Err(CodecError::Truncated),
            None => Ok(None),
        }
    }
}

impl<D, E: Serialize> Encoder<E> for JsonCodec<D> {
    type Error = CodecError;

    fn encode(&mut self, item: E, buf: &mut BytesMut) -> Result<(), CodecError> {
        serde_json::to_writer(buf.writer(), &item)?;
        buf.put_u8(b'\n');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Message, Resp};

    fn decode_all(codec: &mut JsonCodec<Message>, buf: &mut BytesMut) -> Vec<Message> {
        std::iter::from_fn(|| codec.decode(buf).unwrap()).collect()
    }

    #[test]
    fn decodes_objects_separated_by_nothing_newlines_or_whitespace() {
        let mut c = JsonCodec::new();
        let mut buf = BytesMut::from(
            &b"{\"Uid\":\"1\",\"Val\":\"a\"}{\"Uid\":\"2\",\"Val\":\"b\"}\n \t\r\n{\"Uid\":\"3\",\n\"Val\":\"c\"}  "[..],
        );
        let got = decode_all(&mut c, &mut buf);
        let uids: Vec<_> = got.iter().map(|m| m.uid.as_str()).collect();
        assert_eq!(uids, ["1", "2", "3"]);
        assert!(buf.is_empty(), "trailing whitespace is consumed");
    }

    #[test]
    fn a_frame_fed_one_byte_at_a_time_completes_only_at_its_last_byte() {
        let wire = br#"{"Uid":"x}{\"\\","Val":"[{]}\u0041","n":{"a":[1,{"b":"}"}]}}"#;
        let mut c = JsonCodec::<Message>::new();
        let mut buf = BytesMut::new();
        for (i, b) in wire.iter().enumerate() {
            buf.put_u8(*b);
            let got = c.decode(&mut buf).unwrap();
            if i + 1 < wire.len() {
                assert_eq!(got, None, "completed early at byte {i}");
            } else {
                assert_eq!(got, Some(Message::new("x}{\"\\", "[{]}A")));
            }
        }
    }

    #[test]
    fn a_frame_at_the_limit_passes_and_one_byte_over_fails() {
        let frame = br#"{"Uid":"a","Val":"0123456789"}"#;
        let mut c = JsonCodec::<Message>::with_max_frame_len(frame.len());
        let mut buf = BytesMut::from(&frame[..]);
        assert!(c.decode(&mut buf).unwrap().is_some());

        let mut c = JsonCodec::<Message>::with_max_frame_len(frame.len() - 1);
        let mut buf = BytesMut::from(&frame[..]);
        assert!(
            matches!(c.decode(&mut buf), Err(CodecError::FrameTooLarge(n)) if n == frame.len() - 1)
        );
    }

    #[test]
    fn an_unterminated_frame_fails_once_it_crosses_the_limit() {
        let mut c = JsonCodec::<Message>::with_max_frame_len(64);
        let mut buf = BytesMut::from(&br#"{"Uid":""#[..]);
        assert_eq!(c.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(&[b'a'; 100]);
        assert!(matches!(
            c.decode(&mut buf),
            Err(CodecError::FrameTooLarge(64))
        ));
    }

    #[test]
    fn a_non_object_is_rejected_with_the_byte_found() {
        let mut c = JsonCodec::<Message>::new();
        let mut buf = BytesMut::from(&b"  [1]"[..]);
        assert!(matches!(
            c.decode(&mut buf),
            Err(CodecError::NotAnObject(b'['))
        ));
    }

    #[test]
    fn malformed_json_is_a_protocol_error_and_frames_before_it_are_kept() {
        let mut c = JsonCodec::<Message>::new();
        let mut buf = BytesMut::from(&br#"{"Uid":"ok"}{"Uid":nope}"#[..]);
        assert_eq!(c.decode(&mut buf).unwrap(), Some(Message::new("ok", "")));
        assert!(matches!(c.decode(&mut buf), Err(CodecError::Json(_))));
    }

    #[test]
    fn eof_inside_a_frame_is_truncated_and_eof_between_frames_is_clean() {
        let mut c = JsonCodec::<Message>::new();
        let mut buf = BytesMut::from(&br#"{"Uid":"a"} {"Uid""#[..]);
        assert!(c.decode_eof(&mut buf).unwrap().is_some());
        assert!(matches!(c.decode_eof(&mut buf), Err(CodecError::Truncated)));

        let mut c = JsonCodec::<Message>::new();
        let mut buf = BytesMut::from(&b" \n"[..]);
        assert_eq!(c.decode_eof(&mut buf).unwrap(), None);
    }

    #[test]
    fn encodes_compact_json_and_a_newline() {
        let mut c = JsonCodec::<Resp>::new();
        let mut buf = BytesMut::new();
        c.encode(Message::new("a", "<b>"), &mut buf).unwrap();
        assert_eq!(&buf[..], b"{\"Uid\":\"a\",\"Val\":\"<b>\"}\n");
    }
}
