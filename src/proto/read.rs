//! Reading messages the way Go's `encoding/json` reads them into a struct:
//! keys matched case-insensitively, unknown keys ignored, `null` leaving a
//! field as it was, the last of a key given twice winning.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// Which of the messages' fields a JSON key names, matched like Go does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Field {
    Uid,
    Val,
    Ts,
    Error,
    Code,
    /// The extension's request number (`Sq`), on requests and their answers.
    Sq,
    /// The extension's deadline, in milliseconds from now (`Dl`), on requests.
    Dl,
    /// The extension's server load (`Ld`), on answers.
    Ld,
    /// The extension's cancellation (`Cancel`), on a cancel frame.
    Cancel,
    Other,
}

impl Field {
    pub(super) fn of(key: &str) -> Field {
        Field::of_bytes(key.as_bytes())
    }

    /// The field `key` names, its ASCII letters matched in any case; a key
    /// with any other byte is no field of ours.
    pub(super) fn of_bytes(key: &[u8]) -> Field {
        // `b | 0x20` is `b` in lower case when `b` is an ASCII letter, and
        // equals a lower-case letter only when `b` is that letter.
        let lower = |i: usize| key[i] | 0x20;
        match key.len() {
            2 => match [lower(0), lower(1)] {
                [b't', b's'] => Field::Ts,
                [b's', b'q'] => Field::Sq,
                [b'd', b'l'] => Field::Dl,
                [b'l', b'd'] => Field::Ld,
                _ => Field::Other,
            },
            3 => match [lower(0), lower(1), lower(2)] {
                [b'u', b'i', b'd'] => Field::Uid,
                [b'v', b'a', b'l'] => Field::Val,
                _ => Field::Other,
            },
            4 if key.eq_ignore_ascii_case(b"code") => Field::Code,
            5 if key.eq_ignore_ascii_case(b"error") => Field::Error,
            6 if key.eq_ignore_ascii_case(b"cancel") => Field::Cancel,
            _ => Field::Other,
        }
    }

    /// This field's bit in a [`Wanted`] set.
    const fn bit(self) -> u16 {
        1 << self as u16
    }
}

/// The fields a type keeps, as a set.
#[derive(Clone, Copy, Debug)]
pub(super) struct Wanted(u16);

impl Wanted {
    pub(super) const fn of(fields: &[Field]) -> Wanted {
        let mut bits = 0;
        let mut i = 0;
        while i < fields.len() {
            bits |= fields[i].bit();
            i += 1;
        }
        Wanted(bits)
    }

    #[inline]
    pub(super) fn has(self, field: Field) -> bool {
        self.0 & field.bit() != 0
    }
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct FieldVisitor;
        impl Visitor<'_> for FieldVisitor {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<Field, E> {
                Ok(Field::of(key))
            }
        }
        d.deserialize_identifier(FieldVisitor)
    }
}

/// Every field a message can carry, as read; the caller keeps what its
/// type has.
#[derive(Debug, Default)]
pub(super) struct Fields {
    pub(super) uid: Option<String>,
    pub(super) val: Option<String>,
    pub(super) ts: Option<String>,
    pub(super) error: Option<String>,
    pub(super) code: Option<String>,
    pub(super) sq: Option<u64>,
    pub(super) dl: Option<u64>,
    pub(super) ld: Option<u64>,
    pub(super) cancel: bool,
}

impl Fields {
    /// The text field `key` names; `None` for the extension's numbers and
    /// flag (and for an unknown key).
    #[inline]
    pub(super) fn text(&mut self, key: Field) -> Option<&mut Option<String>> {
        match key {
            Field::Uid => Some(&mut self.uid),
            Field::Val => Some(&mut self.val),
            Field::Ts => Some(&mut self.ts),
            Field::Error => Some(&mut self.error),
            Field::Code => Some(&mut self.code),
            Field::Sq | Field::Dl | Field::Ld | Field::Cancel | Field::Other => None,
        }
    }

    /// Sets the extension's field `key` to `n` (`Cancel`: set unless 0).
    #[inline]
    pub(super) fn set_number(&mut self, key: Field, n: u64) {
        match key {
            Field::Sq => self.sq = Some(n),
            Field::Dl => self.dl = Some(n),
            Field::Ld => self.ld = Some(n),
            Field::Cancel => self.cancel = n != 0,
            Field::Uid | Field::Val | Field::Ts | Field::Error | Field::Code | Field::Other => {}
        }
    }
}

/// Reads a whole object the Go way into [`Fields`], keeping only the
/// fields listed: the others are skipped like unknown keys.
pub(super) struct GoObject {
    /// What is read, for errors.
    pub(super) what: &'static str,
    pub(super) wanted: Wanted,
}

impl<'de> Visitor<'de> for GoObject {
    type Value = Fields;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a JSON object ({})", self.what)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
        let mut out = Fields::default();
        while let Some(key) = map.next_key::<Field>()? {
            if !self.wanted.has(key) {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let Some(text) = out.text(key) else {
                // The extension's numbers: anything else in their place is
                // passed over, as an unknown key would be.
                if let Lenient(Some(n)) = map.next_value()? {
                    out.set_number(key, n);
                }
                continue;
            };
            // Go leaves a field untouched when its value is `null`.
            if let Some(v) = map.next_value::<Option<String>>()? {
                *text = Some(v);
            }
        }
        Ok(out)
    }
}

/// An extension field's value: a whole number (or `true`, read as 1), as
/// the extension writes it; any other value reads as absent, so a peer
/// that uses these keys for something else is read as a plain peer.
struct Lenient(Option<u64>);

impl<'de> Deserialize<'de> for Lenient {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct LenientVisitor;
        impl<'de> Visitor<'de> for LenientVisitor {
            type Value = Lenient;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Lenient, E> {
                Ok(Lenient(Some(n)))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Lenient, E> {
                Ok(Lenient(u64::try_from(n).ok()))
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<Lenient, E> {
                Ok(Lenient(Some(u64::from(b))))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Lenient, E> {
                Ok(Lenient(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Lenient, E> {
                Ok(Lenient(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Lenient, E> {
                Ok(Lenient(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Lenient, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Lenient(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Lenient, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Lenient(None))
            }
        }
        d.deserialize_any(LenientVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_matched_in_any_case_and_nothing_else_matches() {
        const NAMES: [(&str, Field); 9] = [
            ("uid", Field::Uid),
            ("val", Field::Val),
            ("ts", Field::Ts),
            ("sq", Field::Sq),
            ("dl", Field::Dl),
            ("ld", Field::Ld),
            ("error", Field::Error),
            ("code", Field::Code),
            ("cancel", Field::Cancel),
        ];
        let by_name = |key: &[u8]| {
            NAMES
                .iter()
                .find(|(name, _)| key.eq_ignore_ascii_case(name.as_bytes()))
                .map_or(Field::Other, |(_, field)| *field)
        };
        // Every key of two and three printable bytes, and each name with
        // each of its bytes replaced by every printable byte.
        let printable = 0x20u8..0x7f;
        for a in printable.clone() {
            for b in printable.clone() {
                assert_eq!(Field::of_bytes(&[a, b]), by_name(&[a, b]));
                for c in printable.clone() {
                    assert_eq!(Field::of_bytes(&[a, b, c]), by_name(&[a, b, c]));
                }
            }
        }
        for (name, _) in NAMES {
            for i in 0..name.len() {
                for b in printable.clone() {
                    let mut key = name.as_bytes().to_vec();
                    key[i] = b;
                    assert_eq!(Field::of_bytes(&key), by_name(&key), "{key:?}");
                }
            }
        }
        assert_eq!(Field::of("CaNcEl"), Field::Cancel);
        assert_eq!(Field::of("ſq"), Field::Other);
    }
}
