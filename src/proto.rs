//! The protocol's two messages: [`Message`] (request) and [`Resp`] (response).
//!
//! Writing uses the Go peers' exact key names (`Uid`, `Val`, `Ts`). Reading
//! follows Go's `encoding/json`: keys match case-insensitively (`uid`, `UID`),
//! unknown keys are ignored, `null` leaves a field empty, and a key given
//! twice keeps its last value.
//!
//! ```text
//! request   {"Uid":"pixel-1","Val":"pixelpig!"}
//! response  {"Uid":"pixel-1","Val":"server: hello, pixelpig!","Ts":"2026-11-25T08:01:08.123456789Z"}
//! error     {"Uid":"pixel-1","Val":"","Ts":"…","Error":"no such pig","Code":"not_found"}
//! ```
//!
//! `Error` (a message for people) and `Code` (a stable kind for programs,
//! a [`Code`]) are jsonmux's additions to the answers. Both are
//! omitted when empty, and the Go client ignores them (unknown keys
//! are skipped). WIRE.md specifies the whole protocol.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::Code;

/// A request: the caller's correlation id and a value.
///
/// # Examples
///
/// ```
/// use jsonmux::Message;
///
/// let msg = Message::new("pixel-1", "pixelpig!");
/// assert_eq!(serde_json::to_string(&msg).unwrap(), r#"{"Uid":"pixel-1","Val":"pixelpig!"}"#);
///
/// // Go-compatible reading: any key case, unknown keys ignored.
/// let read: Message = serde_json::from_str(r#"{"uid":"a","VAL":"b","extra":1}"#).unwrap();
/// assert_eq!(read, Message::new("a", "b"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Message {
    /// Correlation id: the response carries the same `Uid`. At most one
    /// request per `Uid` may be in flight on a connection.
    #[serde(rename = "Uid")]
    pub uid: String,
    /// The request's payload.
    #[serde(rename = "Val")]
    pub val: String,
}

impl Message {
    /// Builds a request from a `Uid` and a `Val`.
    pub fn new(uid: impl Into<String>, val: impl Into<String>) -> Self {
        Message {
            uid: uid.into(),
            val: val.into(),
        }
    }

    /// Builds a request with a fresh `Uid`, unique in this process: a
    /// random 64-bit prefix drawn once per process, then a counter
    /// (`"5f3a9c0e12b4d7a1-0"`, `"5f3a9c0e12b4d7a1-1"`, …). It never
    /// repeats within the process; across processes two prefixes collide
    /// with a chance of about one in 2⁶⁴ per pair. Cheap: one atomic
    /// increment and the string.
    ///
    /// ```
    /// use jsonmux::Message;
    ///
    /// let (a, b) = (Message::with_fresh_uid("pig"), Message::with_fresh_uid("pig"));
    /// assert_ne!(a.uid, b.uid);
    /// assert_eq!(a.val, "pig");
    /// ```
    pub fn with_fresh_uid(val: impl Into<String>) -> Self {
        Message {
            uid: fresh_uid(),
            val: val.into(),
        }
    }
}

/// The next process-unique `Uid` (see [`Message::with_fresh_uid`]).
fn fresh_uid() -> String {
    static PREFIX: OnceLock<u64> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(|| fastrand::u64(..));
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{prefix:016x}-{n}")
}

/// A response: the request's `Uid`, a value, a timestamp and, when the server
/// could not answer, an error message.
///
/// # Examples
///
/// ```
/// use jsonmux::Resp;
///
/// let resp: Resp = serde_json::from_str(r#"{"Uid":"a","Val":"v","Ts":"t"}"#).unwrap();
/// assert_eq!(resp.error, None);
/// // `Error` is only written when set, so Go peers see the shape they know.
/// assert_eq!(serde_json::to_string(&resp).unwrap(), r#"{"Uid":"a","Val":"v","Ts":"t"}"#);
///
/// // A handler's answer: its `Uid` and `Ts` are the server's to fill in.
/// let resp = Resp::new("", "oink");
/// assert!(resp.ts.is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub struct Resp {
    /// The `Uid` of the request this answers.
    #[serde(rename = "Uid")]
    pub uid: String,
    /// The answer's payload (`"server: hello, " + Val` for [`HelloService`](crate::HelloService)).
    #[serde(rename = "Val")]
    pub val: String,
    /// When the answer was made, RFC 3339 with nanoseconds (Go's
    /// `time.RFC3339Nano`). A server fills it in when a handler leaves it
    /// empty.
    #[serde(rename = "Ts")]
    pub ts: String,
    /// Why the server could not answer (handler error, timeout, overload, bad
    /// input); `None` for a normal answer. The client turns it into
    /// [`Error::Server`](crate::Error::Server) (or
    /// [`Error::Overloaded`](crate::Error::Overloaded)).
    #[serde(rename = "Error", skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The kind of error, for programs (see [`Code`]). An error answer with
    /// an empty `Uid` is about the whole connection, which the server
    /// closes next (after a grace period, for [`Code::GoingAway`]).
    #[serde(rename = "Code", skip_serializing_if = "Option::is_none")]
    pub code: Option<Code>,
}

impl Resp {
    /// Builds an answer for `uid` with `val`. A server fills in `Ts` as it
    /// writes the answer (and puts the request's `Uid` on it, whatever
    /// `uid` says), so a handler can leave both to it.
    ///
    /// ```
    /// use jsonmux::Resp;
    ///
    /// let resp = Resp::new("pixel-1", "oink");
    /// assert_eq!((resp.uid.as_str(), resp.val.as_str(), resp.error), ("pixel-1", "oink", None));
    /// ```
    pub fn new(uid: impl Into<String>, val: impl Into<String>) -> Self {
        Resp {
            uid: uid.into(),
            val: val.into(),
            ts: String::new(),
            error: None,
            code: None,
        }
    }

    /// Builds an error answer for `uid`, stamped with the current time.
    ///
    /// A handler returns it to fail one request with a code of its choice;
    /// the caller gets [`Error::Server`](crate::Error::Server) with this
    /// code and message.
    ///
    /// ```
    /// use jsonmux::{Code, Resp};
    ///
    /// let resp = Resp::error("pixel-1", Code::InvalidArgument, "pigs only");
    /// assert_eq!((resp.code, resp.error.as_deref()), (Some(Code::InvalidArgument), Some("pigs only")));
    /// ```
    pub fn error(uid: impl Into<String>, code: Code, message: impl Into<String>) -> Self {
        Resp {
            uid: uid.into(),
            val: String::new(),
            ts: crate::timestamp::now(),
            error: Some(message.into()),
            code: Some(code),
        }
    }
}

/// Which of a message's fields a JSON key names, matched like Go does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Uid,
    Val,
    Ts,
    Error,
    Code,
    Other,
}

impl Field {
    fn of(key: &str) -> Field {
        if key.eq_ignore_ascii_case("uid") {
            Field::Uid
        } else if key.eq_ignore_ascii_case("val") {
            Field::Val
        } else if key.eq_ignore_ascii_case("ts") {
            Field::Ts
        } else if key.eq_ignore_ascii_case("error") {
            Field::Error
        } else if key.eq_ignore_ascii_case("code") {
            Field::Code
        } else {
            Field::Other
        }
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

/// Reads a whole object the Go way into `[uid, val, ts, error, code]`,
/// keeping only the fields listed.
struct GoObject<'a>(&'static str, &'a [Field]);

impl<'de> Visitor<'de> for GoObject<'_> {
    type Value = [Option<String>; 5];

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a JSON object ({})", self.0)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out: [Option<String>; 5] = Default::default();
        while let Some(key) = map.next_key::<Field>()? {
            let slot = match key {
                Field::Uid => 0,
                Field::Val => 1,
                Field::Ts => 2,
                Field::Error => 3,
                Field::Code => 4,
                Field::Other => usize::MAX,
            };
            if slot == usize::MAX || !self.1.contains(&key) {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            // Go leaves a field untouched when its value is `null`.
            if let Some(v) = map.next_value::<Option<String>>()? {
                out[slot] = Some(v);
            }
        }
        Ok(out)
    }
}

impl<'de> Deserialize<'de> for Message {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let [uid, val, ..] = d.deserialize_map(GoObject("Message", &[Field::Uid, Field::Val]))?;
        Ok(Message {
            uid: uid.unwrap_or_default(),
            val: val.unwrap_or_default(),
        })
    }
}

impl<'de> Deserialize<'de> for Resp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let fields = &[Field::Uid, Field::Val, Field::Ts, Field::Error, Field::Code];
        let [uid, val, ts, error, code] = d.deserialize_map(GoObject("Resp", fields))?;
        Ok(Resp {
            uid: uid.unwrap_or_default(),
            val: val.unwrap_or_default(),
            ts: ts.unwrap_or_default(),
            // An empty error is no error, as for Go's `omitempty`.
            error: error.filter(|e| !e.is_empty()),
            code: code.filter(|c| !c.is_empty()).map(|c| Code::from_wire(&c)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_case_insensitively_and_unknown_keys_are_ignored() {
        let m: Message =
            serde_json::from_str(r#"{"UID":"u","vAl":"v","Ts":"x","n":[1,{"a":2}]}"#).unwrap();
        assert_eq!(m, Message::new("u", "v"));
    }

    #[test]
    fn missing_and_null_fields_are_empty_and_last_duplicate_wins() {
        let m: Message = serde_json::from_str(r#"{"Uid":null,"Val":"a","val":"b"}"#).unwrap();
        assert_eq!(m, Message::new("", "b"));
    }

    #[test]
    fn a_wrong_typed_field_is_an_error() {
        let err = serde_json::from_str::<Message>(r#"{"Uid":7}"#).unwrap_err();
        assert!(err.to_string().contains("expected a string"), "{err}");
    }

    #[test]
    fn a_non_object_is_an_error() {
        assert!(serde_json::from_str::<Message>(r#"["Uid","Val"]"#).is_err());
    }

    #[test]
    fn resp_round_trips_and_writes_error_only_when_set() {
        let r = Resp {
            uid: "u".into(),
            val: "v".into(),
            ts: "t".into(),
            error: Some("boom".into()),
            code: Some(Code::Handler),
        };
        let s = serde_json::to_string(&r).unwrap();
        assert_eq!(
            s,
            r#"{"Uid":"u","Val":"v","Ts":"t","Error":"boom","Code":"handler"}"#
        );
        assert_eq!(serde_json::from_str::<Resp>(&s).unwrap(), r);
    }

    #[test]
    fn fresh_uids_share_the_process_prefix_and_never_repeat() {
        let uids: Vec<String> = (0..1000).map(|_| fresh_uid()).collect();
        let unique: std::collections::HashSet<&String> = uids.iter().collect();
        assert_eq!(unique.len(), uids.len());
        let prefix = |u: &String| u.split_once('-').map(|(p, _)| p.to_owned());
        assert!(uids.iter().all(|u| prefix(u) == prefix(&uids[0])));
    }

    #[test]
    fn an_empty_error_field_reads_as_none() {
        let r: Resp = serde_json::from_str(r#"{"uid":"u","error":""}"#).unwrap();
        assert_eq!(r.error, None);
    }
}
