//! Writing frames without serde: byte for byte what `serde_json` writes
//! for them (compact, keys in this order, strings escaped as it escapes
//! them), then the newline.

use bytes::{BufMut, BytesMut};

use super::Message;
use crate::Resp;

/// A request: `{"Uid":…,"Val":…}`, with the extension's `Sq` and `Dl` when given.
pub(crate) fn request(buf: &mut BytesMut, msg: &Message, seq: Option<u64>, budget_ms: Option<u64>) {
    buf.put_slice(b"{\"Uid\":");
    string(buf, &msg.uid);
    buf.put_slice(b",\"Val\":");
    string(buf, &msg.val);
    if let Some(seq) = seq {
        buf.put_slice(b",\"Sq\":");
        number(buf, seq);
    }
    if let Some(ms) = budget_ms {
        buf.put_slice(b",\"Dl\":");
        number(buf, ms);
    }
    buf.put_slice(b"}\n");
}

/// The extension's cancel of request `seq`: `{"Uid":…,"Sq":…,"Cancel":true}`.
pub(crate) fn cancel(buf: &mut BytesMut, uid: &str, seq: u64) {
    buf.put_slice(b"{\"Uid\":");
    string(buf, uid);
    buf.put_slice(b",\"Sq\":");
    number(buf, seq);
    buf.put_slice(b",\"Cancel\":true}\n");
}

/// An answer, with `ts` as its `Ts` when it has none of its own, and the
/// server's `load` (`Ld`, its decimal digits) if given.
pub(crate) fn answer(buf: &mut BytesMut, resp: &Resp, ts: &str, load: Option<&[u8]>) {
    buf.put_slice(b"{\"Uid\":");
    string(buf, &resp.uid);
    buf.put_slice(b",\"Val\":");
    string(buf, &resp.val);
    buf.put_slice(b",\"Ts\":");
    string(buf, if resp.ts.is_empty() { ts } else { &resp.ts });
    if let Some(error) = &resp.error {
        buf.put_slice(b",\"Error\":");
        string(buf, error);
    }
    if let Some(code) = resp.code {
        buf.put_slice(b",\"Code\":\"");
        buf.put_slice(code.as_str().as_bytes());
        buf.put_u8(b'"');
    }
    if let Some(seq) = resp.seq {
        buf.put_slice(b",\"Sq\":");
        number(buf, seq);
    }
    if let Some(load) = load {
        buf.put_slice(b",\"Ld\":");
        buf.put_slice(load);
    }
    buf.put_slice(b"}\n");
}

/// A JSON string: the runs that need no escape copied whole.
#[inline]
fn string(buf: &mut BytesMut, s: &str) {
    buf.reserve(s.len() + 2);
    buf.put_u8(b'"');
    let bytes = s.as_bytes();
    let mut run = 0;
    let plain = super::plain::run(bytes);
    for (i, &b) in bytes.iter().enumerate().skip(plain) {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => {
                buf.put_slice(&bytes[run..i]);
                const HEX: &[u8; 16] = b"0123456789abcdef";
                buf.put_slice(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[usize::from(b >> 4)],
                    HEX[usize::from(b & 0xf)],
                ]);
                run = i + 1;
                continue;
            }
            _ => continue,
        };
        buf.put_slice(&bytes[run..i]);
        buf.put_slice(escape);
        run = i + 1;
    }
    buf.put_slice(&bytes[run..]);
    buf.put_u8(b'"');
}

/// A whole number in decimal.
#[inline]
fn number(buf: &mut BytesMut, n: u64) {
    buf.put_slice(itoa::Buffer::new().format(n).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Code;

    fn written(write: impl FnOnce(&mut BytesMut)) -> String {
        let mut buf = BytesMut::new();
        write(&mut buf);
        String::from_utf8(buf.to_vec()).unwrap()
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let odd = "q\"b\\n\nr\rt\tb\u{8}f\u{c}x\u{1}\u{1f}é😀<>&/";
        let mine = written(|b| string(b, odd));
        assert_eq!(mine, serde_json::to_string(odd).unwrap());
    }

    #[test]
    fn strings_of_every_length_and_escape_position_are_written_as_serde_writes_them() {
        for len in 0..20 {
            for at in 0..len {
                for odd in ['"', '\\', '\n', '\u{1}', '\u{1f}', 'é', ' ', '\u{7f}'] {
                    let s: String = (0..len).map(|i| if i == at { odd } else { 'a' }).collect();
                    assert_eq!(
                        written(|b| string(b, &s)),
                        serde_json::to_string(&s).unwrap()
                    );
                }
            }
        }
    }

    #[test]
    fn numbers_are_decimal() {
        for n in [0, 7, 10, 4990, u64::MAX] {
            assert_eq!(written(|b| number(b, n)), n.to_string());
        }
    }

    #[test]
    fn an_answer_is_what_serde_json_writes_for_it() {
        let mut resp = Resp::error("pixel-\"1\"", Code::NotFound, "no\npig");
        resp.val = "v".into();
        resp.seq = Some(12);
        let serde = serde_json::to_string(&resp).unwrap() + "\n";
        assert_eq!(written(|b| answer(b, &resp, "unused", None)), serde);
        let mut plain = Resp::new("a", "b");
        let mine = written(|b| answer(b, &plain, "2026-01-01T00:00:00Z", None));
        plain.ts = "2026-01-01T00:00:00Z".into();
        assert_eq!(mine, serde_json::to_string(&plain).unwrap() + "\n");
    }

    #[test]
    fn requests_and_cancels_have_their_fields_in_order() {
        let msg = Message::new("pixel-1", "pixelpig!");
        assert_eq!(
            written(|b| request(b, &msg, None, None)),
            "{\"Uid\":\"pixel-1\",\"Val\":\"pixelpig!\"}\n"
        );
        assert_eq!(
            written(|b| request(b, &msg, Some(7), Some(4990))),
            "{\"Uid\":\"pixel-1\",\"Val\":\"pixelpig!\",\"Sq\":7,\"Dl\":4990}\n"
        );
        assert_eq!(
            written(|b| cancel(b, "pixel-1", 7)),
            "{\"Uid\":\"pixel-1\",\"Sq\":7,\"Cancel\":true}\n"
        );
    }
}
