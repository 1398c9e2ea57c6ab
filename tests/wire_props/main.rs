//! Property tests for the wire codec, [`JsonCodec`]: a valid stream decodes
//! to the same messages however it is split, hostile bytes never panic nor
//! make the decoder hold more than a frame and one read, whatever the encoder
//! writes is one line that reads back, and the frame limit is exact.
//!
//! Valid streams are written the ways a Go `encoding/json` reader accepts:
//! the encoder's compact lines, and objects with whitespace between tokens,
//! keys in any case or escaped, unknown keys with nested values, `null`
//! fields (Go leaves the field as it was) and repeated keys (the last wins).

mod strategies;

use bytes::BytesMut;
use jsonmux::{CodecError, JsonCodec, Message};
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::TestCaseError;
use strategies::{encode, frame, junk, message, resp, separator, stream};
use tokio_util::codec::{Decoder, Encoder};

/// Enough cases to cover the shapes, few enough for a debug build to take
/// seconds; no regression files are written.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Points to cut a stream at (anywhere, including inside UTF-8 characters).
fn cuts() -> impl Strategy<Value = Vec<Index>> {
    prop::collection::vec(any::<Index>(), 0..24)
}

fn pieces<'a>(wire: &'a [u8], cuts: &[Index]) -> Vec<&'a [u8]> {
    let mut at: Vec<usize> = cuts.iter().map(|c| c.index(wire.len() + 1)).collect();
    at.extend([0, wire.len()]);
    at.sort_unstable();
    at.dedup();
    at.windows(2).map(|w| &wire[w[0]..w[1]]).collect()
}

/// What one decoder made of a stream fed to it piece by piece.
#[derive(Debug)]
struct Fed<D> {
    items: Vec<D>,
    /// The first error, and whether `decode_eof` returned it. Nothing is
    /// fed after an error: the stream cannot be resynchronised.
    error: Option<(CodecError, bool)>,
    /// After each piece (up to an error): bytes left in the buffer once
    /// decoding returned `None`, and the piece's length.
    held: Vec<(usize, usize)>,
    /// Bytes still buffered after `decode_eof` returned `None`.
    left: usize,
}

/// Feeds `pieces` to `codec` as a reader would: decode until `None` after
/// each piece, then `decode_eof` until `None` at the end.
fn feed<D>(mut codec: JsonCodec<D>, pieces: &[&[u8]]) -> Fed<D>
where
    JsonCodec<D>: Decoder<Item = D, Error = CodecError>,
{
    let mut fed = Fed {
        items: Vec::new(),
        error: None,
        held: Vec::new(),
        left: 0,
    };
    let mut buf = BytesMut::new();
    let ends = pieces
        .iter()
        .map(|p| (Some(*p), false))
        .chain([(None, true)]);
    for (piece, eof) in ends {
        buf.extend_from_slice(piece.unwrap_or_default());
        loop {
            let before = buf.len();
            let item = match eof {
                false => codec.decode(&mut buf),
                true => codec.decode_eof(&mut buf),
            };
            match item {
                Ok(Some(item)) => {
                    assert!(buf.len() < before, "an item decoded from no bytes");
                    fed.items.push(item);
                }
                Ok(None) => break,
                Err(e) => {
                    fed.error = Some((e, eof));
                    return fed;
                }
            }
        }
        if let Some(piece) = piece {
            fed.held.push((buf.len(), piece.len()));
        }
    }
    fed.left = buf.len();
    fed
}

/// Encodes `item`, checks the output is exactly one line, then decodes it
/// fed in two pieces cut at `cut`: nothing comes out before the object's
/// last byte, the item after it, and the newline is consumed.
fn round_trip<T: Clone>(item: &T, cut: Index) -> Result<T, TestCaseError>
where
    JsonCodec<T>: Encoder<T, Error = CodecError> + Decoder<Item = T, Error = CodecError>,
{
    let line = encode(item.clone());
    let object = &line[..line.len() - 1];
    prop_assert_eq!(line.last(), Some(&b'\n'));
    prop_assert!(
        !object.contains(&b'\n') && !object.contains(&b'\r'),
        "{line:?}"
    );

    let mut codec = JsonCodec::<T>::new();
    let at = cut.index(object.len());
    let mut buf = BytesMut::from(&line[..at]);
    prop_assert!(
        codec.decode(&mut buf)?.is_none(),
        "decoded at {at}: {line:?}"
    );
    buf.extend_from_slice(&line[at..]);
    let got = codec.decode(&mut buf)?;
    prop_assert!(codec.decode_eof(&mut buf)?.is_none() && buf.is_empty());
    got.ok_or_else(|| TestCaseError::fail(format!("no item from {line:?}")))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_valid_stream_split_anywhere_decodes_to_its_messages_in_order(
        stream in stream(),
        cuts in cuts(),
    ) {
        let fed = feed(JsonCodec::<Message>::new(), &pieces(stream.wire.as_bytes(), &cuts));
        prop_assert!(fed.error.is_none(), "{:?}", fed.error);
        prop_assert_eq!(fed.left, 0);
        prop_assert_eq!(fed.items, stream.messages());
    }

    #[test]
    fn any_bytes_never_panic_nor_leave_more_than_the_limit_and_one_read_buffered(
        limit in 64usize..512,
        prefix in prop::option::of(stream()),
        junk in junk(),
        cuts in cuts(),
    ) {
        let mut wire = prefix.as_ref().map_or_else(Vec::new, |s| s.wire.clone().into_bytes());
        wire.extend_from_slice(&junk);
        let fed = feed(JsonCodec::<Message>::with_max_frame_len(limit), &pieces(&wire, &cuts));

        for &(held, read) in &fed.held {
            prop_assert!(held <= limit + read, "{held} bytes held after a {read} byte read");
        }
        match &fed.error {
            None => prop_assert_eq!(fed.left, 0, "a clean end left bytes unread"),
            Some((CodecError::Json(_), _)) => {}
            Some((CodecError::FrameTooLarge(n), _)) => prop_assert_eq!(*n, limit),
            Some((CodecError::NotAnObject(b), _)) => {
                prop_assert!(*b != b'{' && !b.is_ascii_whitespace(), "NotAnObject({b})");
            }
            Some((CodecError::Truncated, eof)) => prop_assert!(*eof, "truncated before eof"),
            Some((other, _)) => prop_assert!(false, "unexpected error {other:?}"),
        }
        // The valid prefix's messages come out first, up to a frame over the limit.
        if let Some(prefix) = prefix {
            let fit = prefix.frames.iter().take_while(|f| f.text.len() <= limit).count();
            prop_assert!(fed.items.len() >= fit, "{} of {fit} frames", fed.items.len());
            prop_assert_eq!(&fed.items[..fit], &prefix.messages()[..fit]);
            if fit < prefix.frames.len() {
                prop_assert_eq!(fed.items.len(), fit);
                prop_assert!(matches!(fed.error, Some((CodecError::FrameTooLarge(_), _))));
            }
        }
    }

    #[test]
    fn every_message_encodes_to_one_line_that_decodes_back(msg in message(), cut in any::<Index>()) {
        prop_assert_eq!(round_trip(&msg, cut)?, msg);
    }

    #[test]
    fn every_resp_encodes_to_one_line_that_decodes_back(resp in resp(), cut in any::<Index>()) {
        // An empty `Error` reads as none, as Go's `omitempty` would write it.
        let mut want = resp.clone();
        want.error = want.error.filter(|e| !e.is_empty());
        prop_assert_eq!(round_trip(&resp, cut)?, want);
    }

    #[test]
    fn a_frame_of_exactly_the_limit_decodes_and_one_byte_more_is_too_large(
        frame in frame(),
        before in separator(),
        after in select(&["", "\n", "{", "{\"Uid\":\"next\"", "{}", " x"][..]),
        cuts in cuts(),
    ) {
        let wire = format!("{before}{}{after}", frame.text);
        let pieces = pieces(wire.as_bytes(), &cuts);
        let limit = frame.text.len();

        let fed = feed(JsonCodec::<Message>::with_max_frame_len(limit), &pieces);
        prop_assert_eq!(fed.items.first(), Some(&frame.msg), "{:?}", fed.error);

        let fed = feed(JsonCodec::<Message>::with_max_frame_len(limit - 1), &pieces);
        prop_assert!(fed.items.is_empty());
        let too_large = matches!(fed.error, Some((CodecError::FrameTooLarge(n), false)) if n == limit - 1);
        prop_assert!(too_large, "{:?}", fed.error);
    }
}
