//! Reading a frame in its common shape without serde: an object whose
//! keys are the messages' own, written plainly (no escapes), and whose
//! values are plain strings, `null`, whole numbers or booleans where the
//! field takes them. That is every frame the Go peers and jsonmux write
//! for ordinary text; anything else (an escape, an unknown key, a value of
//! another kind, a frame cut short) is left to serde, which reads every
//! frame the same way, only more slowly. So the two cannot disagree on a
//! frame this reads: it either reads it as serde would, or says nothing.

use super::read::{Field, Fields};

/// Reads the frame at the start of `buf` (whitespace before it skipped),
/// taking the fields in `wanted`, if it is in the common shape and no
/// longer than `max` bytes; returns them and the bytes the frame took
/// (with the whitespace before it). `None`: not in the common shape, or
/// not whole yet: serde's turn.
#[inline]
pub(super) fn read(buf: &[u8], wanted: &[Field], max: usize) -> Option<(Fields, usize)> {
    let mut at = Cursor { buf, i: 0 };
    at.spaces();
    let start = at.i;
    at.expect(b'{')?;
    let mut fields = Fields::default();
    at.spaces();
    if at.peek()? == b'}' {
        at.i += 1;
    } else {
        loop {
            at.spaces();
            let key = Field::of(at.plain_str()?);
            if key == Field::Other || !wanted.contains(&key) {
                return None;
            }
            at.spaces();
            at.expect(b':')?;
            at.spaces();
            at.value(key, &mut fields)?;
            at.spaces();
            match at.next()? {
                b',' => continue,
                b'}' => break,
                _ => return None,
            }
        }
    }
    if at.i - start > max {
        return None;
    }
    Some((fields, at.i))
}

/// A position in a frame's bytes.
struct Cursor<'a> {
    buf: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.buf.get(self.i).copied()
    }

    #[inline]
    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.i += 1;
        Some(b)
    }

    #[inline]
    fn expect(&mut self, want: u8) -> Option<()> {
        (self.next()? == want).then_some(())
    }

    /// Skips JSON's whitespace.
    #[inline]
    fn spaces(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    /// A string with no escape and no control character, as valid UTF-8.
    #[inline]
    fn plain_str(&mut self) -> Option<&'a str> {
        self.expect(b'"')?;
        let rest = &self.buf[self.i..];
        let len = memchr::memchr2(b'"', b'\\', rest)?;
        if rest[len] == b'\\' {
            return None;
        }
        let text = &rest[..len];
        // JSON allows no raw control character in a string (serde says
        // what is wrong with it).
        if text.iter().any(|&b| b < 0x20) {
            return None;
        }
        self.i += len + 1;
        std::str::from_utf8(text).ok()
    }

    /// A whole number, in JSON's form (no leading zero, no sign, fraction
    /// or exponent), that fits a `u64`.
    #[inline]
    fn whole_number(&mut self) -> Option<u64> {
        let digits = self.buf[self.i..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let text = &self.buf[self.i..self.i + digits];
        if digits == 0 || (digits > 1 && text[0] == b'0') {
            return None;
        }
        // A fraction or an exponent follows: not a whole number.
        if let Some(b'.' | b'e' | b'E') = self.buf.get(self.i + digits) {
            return None;
        }
        let mut n: u64 = 0;
        for &d in text {
            n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
        }
        self.i += digits;
        Some(n)
    }

    /// `word` (`null`, `true`, `false`) is next.
    #[inline]
    fn word(&mut self, word: &[u8]) -> bool {
        let found = self.buf[self.i..].starts_with(word);
        if found {
            self.i += word.len();
        }
        found
    }

    /// The value of `key`, into `fields`, if it is of the kind the field
    /// takes in the common shape.
    #[inline]
    fn value(&mut self, key: Field, fields: &mut Fields) -> Option<()> {
        let text = match key {
            Field::Uid => &mut fields.uid,
            Field::Val => &mut fields.val,
            Field::Ts => &mut fields.ts,
            Field::Error => &mut fields.error,
            Field::Code => &mut fields.code,
            Field::Sq => return self.whole_number().map(|n| fields.sq = Some(n)),
            Field::Dl => return self.whole_number().map(|n| fields.dl = Some(n)),
            Field::Cancel => {
                if self.word(b"true") {
                    fields.cancel = true;
                } else if self.word(b"false") {
                    fields.cancel = false;
                } else {
                    return None;
                }
                return Some(());
            }
            Field::Other => return None,
        };
        // Go leaves a field untouched when its value is `null`.
        if self.word(b"null") {
            return Some(());
        }
        *text = Some(self.plain_str()?.to_owned());
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use crate::{Message, Resp};

    /// What serde reads from `frame`, as the fast reader would give it.
    fn serde_message(frame: &str) -> Option<Message> {
        serde_json::from_str(frame).ok()
    }

    #[test]
    fn the_common_shapes_are_read_as_serde_reads_them() {
        for frame in [
            r#"{"Uid":"pixel-1","Val":"pixelpig!"}"#,
            r#"  {"uid":"a","VAL":"b","Sq":7,"Dl":4990}"#,
            r#"{"Uid":null,"Val":"a","val":"b"}"#,
            r#"{"Uid":"x","Sq":3,"Cancel":true}"#,
            r#"{}"#,
            "{ \"Uid\" : \"é😀\" ,\n\"Val\":\"\" }",
        ] {
            let (fast, len) = Message::read_fast(frame.as_bytes(), 1 << 20).expect(frame);
            assert_eq!(len, frame.len(), "{frame}");
            let serde = serde_message(frame).unwrap();
            assert_eq!((&fast, fast.ext), (&serde, serde.ext), "{frame}");
        }
        let frame = r#"{"Uid":"a","Val":"v","Ts":"t","Error":"","Code":"not_found","Sq":9}"#;
        let (fast, _) = Resp::read_fast(frame.as_bytes(), 1 << 20).unwrap();
        assert_eq!(fast, serde_json::from_str::<Resp>(frame).unwrap());
    }

    #[test]
    fn anything_else_is_left_to_serde() {
        for frame in [
            r#"{"Uid":"a\"b","Val":"x"}"#,
            r#"{"Uid":"a","Val":"x","extra":1}"#,
            r#"{"Uid":"a","Val":7}"#,
            r#"{"Uid":"a","Val":"x","Sq":-1}"#,
            r#"{"Uid":"a","Val":"x","Sq":1.5}"#,
            r#"{"Uid":"a","Val":"x","Sq":07}"#,
            r#"{"Uid":"a","Val":"x","Ts":"t"}"#,
            r#"{"Uid":"a","Val":"x",}"#,
            r#"{"Uid":"a","Val":"x""#,
            r#"{"Uid":"a"   "#,
            "{\"Uid\":\"a\u{1}\"}",
            r#"["Uid"]"#,
            "",
        ] {
            assert!(
                Message::read_fast(frame.as_bytes(), 1 << 20).is_none(),
                "{frame}"
            );
        }
        let frame = br#"{"Uid":"a","Val":"0123456789"}"#;
        assert!(Message::read_fast(frame, frame.len()).is_some());
        assert!(
            Message::read_fast(frame, frame.len() - 1).is_none(),
            "over the limit"
        );
    }

    /// Keys in any case and order, values plain or not, the fast reader
    /// either reads what serde reads or leaves the frame to it.
    fn frame() -> impl Strategy<Value = String> {
        let key = prop::sample::select(vec![
            "Uid", "uid", "UID", "Val", "vAl", "Sq", "sq", "Dl", "DL", "Cancel", "Ts", "x",
        ]);
        let value = prop::sample::select(vec![
            r#""plain""#,
            r#""""#,
            r#""é""#,
            r#""a\"b""#,
            "null",
            "0",
            "7",
            "18446744073709551615",
            "18446744073709551616",
            "-3",
            "1.5",
            "true",
            "false",
            "[]",
            "{}",
        ]);
        let space = prop::sample::select(vec!["", " ", "\n", "\t\r "]);
        prop::collection::vec((space.clone(), key, space.clone(), value, space), 0..6).prop_map(
            |pairs| {
                let body: Vec<String> = pairs
                    .iter()
                    .map(|(a, k, b, v, c)| format!("{a}\"{k}\"{b}:{c}{v}"))
                    .collect();
                format!("{{{}}}", body.join(","))
            },
        )
    }

    proptest! {
        #[test]
        fn the_fast_reader_never_disagrees_with_serde(frame in frame()) {
            if let Some((fast, len)) = Message::read_fast(frame.as_bytes(), 1 << 20) {
                prop_assert_eq!(len, frame.len());
                let serde = serde_message(&frame);
                prop_assert!(serde.is_some(), "serde refuses what the fast reader read: {}", frame);
                let serde = serde.unwrap();
                prop_assert_eq!((&fast, fast.ext), (&serde, serde.ext));
            }
        }
    }
}
