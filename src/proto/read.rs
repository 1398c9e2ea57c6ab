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
    /// The extension's cancellation (`Cancel`), on a cancel frame.
    Cancel,
    Other,
}

impl Field {
    pub(super) fn of(key: &str) -> Field {
        // The common keys first: most frames carry only those.
        const KEYS: [(&str, Field); 8] = [
            ("uid", Field::Uid),
            ("val", Field::Val),
            ("ts", Field::Ts),
            ("sq", Field::Sq),
            ("dl", Field::Dl),
            ("error", Field::Error),
            ("code", Field::Code),
            ("cancel", Field::Cancel),
        ];
        KEYS.iter()
            .find(|(name, _)| key.eq_ignore_ascii_case(name))
            .map_or(Field::Other, |(_, field)| *field)
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
    pub(super) cancel: bool,
}

/// Reads a whole object the Go way into [`Fields`], keeping only the
/// fields listed: the others are skipped like unknown keys.
pub(super) struct GoObject {
    /// What is read, for errors.
    pub(super) what: &'static str,
    pub(super) wanted: &'static [Field],
}

impl<'de> Visitor<'de> for GoObject {
    type Value = Fields;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a JSON object ({})", self.what)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
        let mut out = Fields::default();
        while let Some(key) = map.next_key::<Field>()? {
            if key == Field::Other || !self.wanted.contains(&key) {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let text = match key {
                Field::Uid => &mut out.uid,
                Field::Val => &mut out.val,
                Field::Ts => &mut out.ts,
                Field::Error => &mut out.error,
                Field::Code => &mut out.code,
                Field::Sq | Field::Dl | Field::Cancel => {
                    // The extension's numbers: anything else in their
                    // place is passed over, as an unknown key would be.
                    if let Lenient(Some(n)) = map.next_value()? {
                        match key {
                            Field::Sq => out.sq = Some(n),
                            Field::Dl => out.dl = Some(n),
                            _ => out.cancel = n != 0,
                        }
                    }
                    continue;
                }
                Field::Other => unreachable!("skipped above"),
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
