//! [`Resp`]: an answer.

use serde::{Deserialize, Deserializer, Serialize};

use super::read::{Field, Fields, GoObject, Wanted};
use crate::Code;

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
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
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
    /// The extension: the number of the request answered, given back to
    /// the jsonmux client that numbered it.
    #[serde(rename = "Sq", skip_serializing_if = "Option::is_none")]
    pub(crate) seq: Option<u64>,
    /// The extension's load field, [`NO_LOAD`] if none: on a client, the
    /// server's recent delay per request as its answer said (`Ld`, in
    /// microseconds); on a server, from the handler until it is written,
    /// when the request was read (in microseconds on the server's 32-bit
    /// clock). A `u32`, not an `Option<u64>`: an answer moves often, and
    /// every byte of it is copied each time.
    #[serde(skip)]
    pub(crate) load: u32,
    /// Not an answer: the request was cancelled by its caller, and nothing
    /// is written for it.
    #[serde(skip)]
    pub(crate) cancelled: bool,
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
            ..Resp::default()
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
            ts: crate::timestamp::now(),
            error: Some(message.into()),
            code: Some(code),
            ..Resp::default()
        }
    }

    /// The stand-in a cancelled request's handler leaves: nothing is
    /// written for it.
    pub(crate) fn cancelled() -> Self {
        Resp {
            cancelled: true,
            ..Resp::default()
        }
    }
}

impl Default for Resp {
    fn default() -> Self {
        Resp {
            uid: String::new(),
            val: String::new(),
            ts: String::new(),
            error: None,
            code: None,
            seq: None,
            load: NO_LOAD,
            cancelled: false,
        }
    }
}

/// [`Resp::load`] when there is none.
pub(crate) const NO_LOAD: u32 = u32::MAX;

/// The fields an answer has.
const WANTED: Wanted = Wanted::of(&[
    Field::Uid,
    Field::Val,
    Field::Ts,
    Field::Error,
    Field::Code,
    Field::Sq,
    Field::Ld,
]);

impl Resp {
    /// The answer at the start of `buf`, if it is in the common shape (see
    /// `fast`), and the bytes it took.
    pub(crate) fn read_fast(buf: &[u8], max: usize) -> Option<(Resp, usize)> {
        let (read, len) = super::fast::written_answer(buf, max)
            .or_else(|| super::fast::read(buf, WANTED, max))?;
        Some((Resp::from_fields(read), len))
    }

    fn from_fields(read: Fields) -> Resp {
        Resp {
            uid: read.uid.unwrap_or_default(),
            val: read.val.unwrap_or_default(),
            ts: read.ts.unwrap_or_default(),
            // An empty error is no error, as for Go's `omitempty`.
            error: read.error.filter(|e| !e.is_empty()),
            code: (read.code)
                .filter(|c| !c.is_empty())
                .map(|c| Code::from_wire(&c)),
            seq: read.sq,
            load: read
                .ld
                .map_or(NO_LOAD, |us| us.min(u64::from(NO_LOAD - 1)) as u32),
            cancelled: false,
        }
    }
}

impl<'de> Deserialize<'de> for Resp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let read = d.deserialize_map(GoObject {
            what: "Resp",
            wanted: WANTED,
        })?;
        Ok(Resp::from_fields(read))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resp_round_trips_and_writes_error_only_when_set() {
        let mut r = Resp::new("u", "v");
        r.ts = "t".into();
        r.error = Some("boom".into());
        r.code = Some(Code::Handler);
        let s = serde_json::to_string(&r).unwrap();
        assert_eq!(
            s,
            r#"{"Uid":"u","Val":"v","Ts":"t","Error":"boom","Code":"handler"}"#
        );
        assert_eq!(serde_json::from_str::<Resp>(&s).unwrap(), r);
    }

    #[test]
    fn an_empty_error_field_reads_as_none() {
        let r: Resp = serde_json::from_str(r#"{"uid":"u","error":""}"#).unwrap();
        assert_eq!(r.error, None);
    }

    #[test]
    fn the_request_number_is_written_only_when_the_request_had_one() {
        let mut r = Resp::new("u", "v");
        r.seq = Some(7);
        let s = serde_json::to_string(&r).unwrap();
        assert_eq!(s, r#"{"Uid":"u","Val":"v","Ts":"","Sq":7}"#);
        assert_eq!(serde_json::from_str::<Resp>(&s).unwrap().seq, Some(7));
    }
}
