//! Frames as jsonmux and the Go peers write them: keys in order and in
//! their case, no space; read by matching the bytes between the values.

use super::cursor::Cursor;
use crate::proto::read::Fields;

/// A request as written: `{"Uid":…,"Val":…}`, then `Sq` and `Dl` if given.
#[inline]
pub(in crate::proto) fn written_request(buf: &[u8], max: usize) -> Option<(Fields, usize)> {
    written(buf, max, |at, fields| {
        if at.literal(b",\"Sq\":").is_some() {
            fields.sq = Some(at.digits()?);
        }
        if at.literal(b",\"Dl\":").is_some() {
            fields.dl = Some(at.digits()?);
        }
        Some(())
    })
}

/// An answer as written: `{"Uid":…,"Val":…,"Ts":…}`, with `Error`, `Code`,
/// `Sq` and `Ld` before the `}` if given.
#[inline]
pub(in crate::proto) fn written_answer(buf: &[u8], max: usize) -> Option<(Fields, usize)> {
    written(buf, max, |at, fields| {
        at.literal(b",\"Ts\":")?;
        fields.ts = Some(at.plain_str()?.to_owned());
        if at.literal(b",\"Error\":").is_some() {
            fields.error = Some(at.plain_str()?.to_owned());
        }
        if at.literal(b",\"Code\":").is_some() {
            fields.code = Some(at.plain_str()?.to_owned());
        }
        if at.literal(b",\"Sq\":").is_some() {
            fields.sq = Some(at.digits()?);
        }
        if at.literal(b",\"Ld\":").is_some() {
            fields.ld = Some(at.digits()?);
        }
        Some(())
    })
}

/// A frame as written: `{"Uid":…,"Val":…`, what `rest` reads after them,
/// and the closing `}`, within `max` bytes; its fields and its end.
#[inline(always)]
fn written(
    buf: &[u8],
    max: usize,
    rest: impl FnOnce(&mut Cursor<'_>, &mut Fields) -> Option<()>,
) -> Option<(Fields, usize)> {
    let mut at = Cursor::new(buf);
    at.spaces();
    let start = at.i;
    let mut fields = Fields::default();
    at.literal(b"{\"Uid\":")?;
    fields.uid = Some(at.plain_str()?.to_owned());
    at.literal(b",\"Val\":")?;
    fields.val = Some(at.plain_str()?.to_owned());
    rest(&mut at, &mut fields)?;
    at.literal(b"}")?;
    at.within(start, max)?;
    Some((fields, at.i))
}
