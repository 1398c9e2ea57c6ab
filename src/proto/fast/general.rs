//! Frames in the common shape with their keys in any order and case.

use super::cursor::Cursor;
use crate::proto::read::{Fields, Wanted};

/// Reads the frame at the start of `buf` (whitespace before it skipped),
/// taking the fields in `wanted`, if it is in the common shape and no
/// longer than `max` bytes; returns them and the bytes the frame took
/// (with the whitespace before it). `None`: not in the common shape, or
/// not whole yet: serde's turn.
#[inline]
pub(in crate::proto) fn read(buf: &[u8], wanted: Wanted, max: usize) -> Option<(Fields, usize)> {
    let mut at = Cursor::new(buf);
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
            let key = at.key()?;
            if !wanted.has(key) {
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
    at.within(start, max)?;
    Some((fields, at.i))
}
