//! [`Cursor`]: a position in a frame's bytes, and the readers of the
//! pieces of a frame in the common shape.

use crate::proto::read::{Field, Fields};

/// A position in a frame's bytes.
pub(super) struct Cursor<'a> {
    buf: &'a [u8],
    pub(super) i: usize,
}

impl<'a> Cursor<'a> {
    /// At the start of `buf`.
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Cursor { buf, i: 0 }
    }

    #[inline]
    pub(super) fn peek(&self) -> Option<u8> {
        self.buf.get(self.i).copied()
    }

    #[inline]
    pub(super) fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.i += 1;
        Some(b)
    }

    #[inline]
    pub(super) fn expect(&mut self, want: u8) -> Option<()> {
        (self.next()? == want).then_some(())
    }

    /// `bytes` are next.
    #[inline(always)]
    pub(super) fn literal<const N: usize>(&mut self, bytes: &[u8; N]) -> Option<()> {
        (self.buf.get(self.i..self.i + N)? == bytes).then(|| self.i += N)
    }

    /// The frame that started at `start` is no longer than `max` bytes.
    #[inline]
    pub(super) fn within(&self, start: usize, max: usize) -> Option<()> {
        (self.i - start <= max).then_some(())
    }

    /// Skips JSON's whitespace.
    #[inline]
    pub(super) fn spaces(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    /// A string with no escape and no control character, as valid UTF-8.
    #[inline]
    pub(super) fn plain_str(&mut self) -> Option<&'a str> {
        self.expect(b'"')?;
        let rest = &self.buf[self.i..];
        let len = crate::proto::plain::run(rest);
        // An escape, or a raw control character (which JSON allows in no
        // string, serde says what is wrong with it), or no end yet.
        if rest.get(len) != Some(&b'"') {
            return None;
        }
        let text = &rest[..len];
        self.i += len + 1;
        std::str::from_utf8(text).ok()
    }

    /// An object's key, if it is one of the messages' own written plainly:
    /// keys are short, so a byte at a time beats a search.
    #[inline]
    pub(super) fn key(&mut self) -> Option<Field> {
        self.expect(b'"')?;
        let rest = self.buf.get(self.i..)?;
        for (len, &b) in rest.iter().enumerate() {
            match b {
                b'"' => {
                    self.i += len + 1;
                    return Some(Field::of_bytes(&rest[..len]));
                }
                // An escape, a control character or a byte of a wider
                // character: serde's to read.
                b'\\' | ..0x20 | 0x80.. => return None,
                _ => {}
            }
        }
        None
    }

    /// A whole number, in JSON's form (no leading zero, no sign, fraction
    /// or exponent), of at most 19 digits (so it fits a `u64`).
    #[inline]
    pub(super) fn whole_number(&mut self) -> Option<u64> {
        let n = self.digits()?;
        // A fraction or an exponent after the digits: not a whole number.
        match self.peek() {
            Some(b'.' | b'e' | b'E') => None,
            _ => Some(n),
        }
    }

    /// The digits of a whole number (1 to 19 of them, no leading zero),
    /// where what follows them is checked by the caller: in a frame as
    /// written, the bytes that must come next.
    #[inline(always)]
    pub(super) fn digits(&mut self) -> Option<u64> {
        let rest = self.buf.get(self.i..)?;
        let (mut n, mut digits, first) = match rest.first_chunk::<8>() {
            Some(chunk) => {
                let chunk = u64::from_le_bytes(*chunk);
                let (n, digits) = eight_digits(chunk);
                (n, digits, chunk as u8)
            }
            None => (0, 0, rest.first().copied().unwrap_or(0)),
        };
        if digits == 8 || rest.len() < 8 {
            for &b in &rest[digits..] {
                let d = b.wrapping_sub(b'0');
                if d > 9 {
                    break;
                }
                n = n.wrapping_mul(10).wrapping_add(u64::from(d));
                digits += 1;
            }
        }
        let leading_zero = first == b'0' && digits > 1;
        if !(1..=19).contains(&digits) || leading_zero {
            return None;
        }
        self.i += digits;
        Some(n)
    }

    /// `word` (`null`, `true`, `false`) is next.
    #[inline]
    pub(super) fn word(&mut self, word: &[u8]) -> bool {
        let found = self.buf[self.i..].starts_with(word);
        if found {
            self.i += word.len();
        }
        found
    }

    /// The value of `key`, into `fields`, if it is of the kind the field
    /// takes in the common shape.
    #[inline]
    pub(super) fn value(&mut self, key: Field, fields: &mut Fields) -> Option<()> {
        if let Some(text) = fields.text(key) {
            // Go leaves a field untouched when its value is `null`.
            if !self.word(b"null") {
                *text = Some(self.plain_str()?.to_owned());
            }
            return Some(());
        }
        let n = match key {
            Field::Cancel if self.word(b"true") => 1,
            Field::Cancel if self.word(b"false") => 0,
            Field::Cancel | Field::Other => return None,
            _ => self.whole_number()?,
        };
        fields.set_number(key, n);
        Some(())
    }
}

/// The value of the digits that start `chunk` (eight bytes, the first
/// the lowest) and how many there are, up to eight, all at once.
#[inline(always)]
pub(super) fn eight_digits(chunk: u64) -> (u64, usize) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // A byte is a digit when its high nibble is 3 before and after adding
    // 6: the first byte that is not one ends the number. (A carry out of a
    // byte past 0xf9 only reaches the bytes after it.)
    let high = |x: u64| (x & (0xf0 * ONES)) ^ (0x30 * ONES);
    let not_digit = high(chunk) | high(chunk.wrapping_add(6 * ONES));
    let digits = (not_digit.trailing_zeros() / 8) as usize;
    if digits == 0 {
        return (0, 0);
    }
    // The digits' values, moved up so that the bytes before them are
    // leading zeros, then summed in pairs, fours and eights.
    let values = (chunk.wrapping_sub(b'0' as u64 * ONES)) << (8 * (8 - digits));
    let pairs = (values & (0x0f * ONES))
        .wrapping_mul(10)
        .wrapping_add(values >> 8);
    let pairs = pairs & 0x00ff_00ff_00ff_00ff;
    let fours = (pairs.wrapping_mul(100).wrapping_add(pairs >> 16)) & 0x0000_ffff_0000_ffff;
    let eight = fours.wrapping_mul(10_000).wrapping_add(fours >> 32) & 0xffff_ffff;
    (eight, digits)
}
