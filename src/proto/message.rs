//! [`Message`]: a request.

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};
use tokio::time::Instant;

use super::ext::RequestExt;
use super::read::{Field, Fields, GoObject, Wanted};

/// A request: the caller's correlation id and a value, and the time by
/// which the caller needs the answer, if it says.
///
/// # Deadlines
///
/// A call's deadline is the earliest of the one set here
/// ([`with_deadline`](Message::with_deadline),
/// [`with_timeout`](Message::with_timeout)), the client's
/// [`request_timeout`](crate::ClientBuilder::request_timeout), and, for a
/// call made inside a jsonmux handler, the deadline of the request being
/// handled ([`ClientBuilder::inherit_deadline`](crate::ClientBuilder::inherit_deadline)).
/// A jsonmux server learns it (as the time left, so clocks need not agree),
/// starts no handler whose deadline has passed, stops one at it, and gives
/// it to the handler: [`deadline`](Message::deadline) on the request the
/// handler gets. The Go peers never see it.
///
/// Two messages are equal when their `Uid` and `Val` are: the deadline
/// belongs to the call, not to what it asks.
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
#[derive(Clone, Debug, Default, Serialize)]
pub struct Message {
    /// Correlation id: the response carries the same `Uid`. At most one
    /// request per `Uid` may be in flight on a connection.
    #[serde(rename = "Uid")]
    pub uid: String,
    /// The request's payload.
    #[serde(rename = "Val")]
    pub val: String,
    /// When the caller gives up.
    #[serde(skip)]
    deadline: Option<Instant>,
    /// The extension's fields, as a server read them, and what the
    /// client knows of the call.
    #[serde(skip)]
    pub(crate) ext: RequestExt,
}

impl Message {
    /// Builds a request from a `Uid` and a `Val`.
    pub fn new(uid: impl Into<String>, val: impl Into<String>) -> Self {
        Message {
            uid: uid.into(),
            val: val.into(),
            ..Message::default()
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
        Message::new(fresh_uid(), val)
    }

    /// The call must be answered by `deadline`: the client gives up then
    /// ([`Error::Timeout`](crate::Error::Timeout)), and a jsonmux server
    /// stops working on it. An earlier deadline of the client's wins.
    ///
    /// ```
    /// use std::time::Duration;
    /// use jsonmux::Message;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let soon = tokio::time::Instant::now() + Duration::from_millis(50);
    /// let msg = Message::new("pixel-1", "pixelpig!").with_deadline(soon);
    /// assert_eq!(msg.deadline(), Some(soon));
    /// # }
    /// ```
    pub fn with_deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The call must be answered within `timeout` from now; see
    /// [`with_deadline`](Message::with_deadline). A timeout longer than
    /// the clock can count (`Duration::MAX`) sets no deadline.
    pub fn with_timeout(self, timeout: Duration) -> Self {
        match Instant::now().checked_add(timeout) {
            Some(deadline) => self.with_deadline(deadline),
            None => self,
        }
    }

    /// When the caller gives up, if it said: on the client, what
    /// [`with_deadline`](Message::with_deadline) set; in a handler, the
    /// caller's deadline as the server learned it (a jsonmux client's
    /// request carries it; a Go client's does not). A handler that calls
    /// on through a jsonmux client passes it on by itself.
    ///
    /// ```
    /// use jsonmux::{Message, Resp};
    ///
    /// async fn handler(msg: Message) -> Result<Resp, tower::BoxError> {
    ///     let work = async { "oink" };
    ///     let val = match msg.deadline() {
    ///         Some(deadline) => tokio::time::timeout_at(deadline, work).await?,
    ///         None => work.await,
    ///     };
    ///     Ok(Resp::new(msg.uid, val))
    /// }
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Sets or clears the deadline.
    pub(crate) fn set_deadline(&mut self, deadline: Option<Instant>) {
        self.deadline = deadline;
    }

    /// Says the request is safe to run twice (it reads, or it writes the
    /// same thing again): a client with hedging on
    /// ([`ClientBuilder::hedge`](crate::ClientBuilder::hedge)) may send a
    /// second copy to another server when the first is slow to answer,
    /// and take whichever answer comes first. Other requests are never
    /// sent twice. The Go peers never see it.
    ///
    /// ```
    /// use jsonmux::Message;
    ///
    /// let msg = Message::new("pixel-1", "pixelpig!").idempotent();
    /// assert!(msg.is_idempotent());
    /// assert!(!Message::new("pixel-2", "x").is_idempotent());
    /// ```
    pub fn idempotent(mut self) -> Self {
        self.ext.idempotent = true;
        self
    }

    /// True if [`idempotent`](Message::idempotent) said it is safe to run twice.
    pub fn is_idempotent(&self) -> bool {
        self.ext.idempotent
    }
}

impl PartialEq for Message {
    fn eq(&self, other: &Self) -> bool {
        (&self.uid, &self.val) == (&other.uid, &other.val)
    }
}

impl Eq for Message {}

impl Hash for Message {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (&self.uid, &self.val).hash(state)
    }
}

/// The fields a request has.
const WANTED: Wanted = Wanted::of(&[Field::Uid, Field::Val, Field::Sq, Field::Dl, Field::Cancel]);

impl Message {
    /// The request at the start of `buf`, if it is in the common shape (see
    /// `fast`), and the bytes it took.
    pub(crate) fn read_fast(buf: &[u8], max: usize) -> Option<(Message, usize)> {
        let (read, len) = super::fast::written_request(buf, max)
            .or_else(|| super::fast::read(buf, WANTED, max))?;
        Some((Message::from_fields(read), len))
    }

    fn from_fields(read: Fields) -> Message {
        Message {
            uid: read.uid.unwrap_or_default(),
            val: read.val.unwrap_or_default(),
            deadline: None,
            ext: RequestExt {
                seq: read.sq,
                budget_ms: read.dl,
                cancel: read.cancel,
                read_us: super::NO_LOAD,
                idempotent: false,
            },
        }
    }
}

impl<'de> Deserialize<'de> for Message {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let read = d.deserialize_map(GoObject {
            what: "Message",
            wanted: WANTED,
        })?;
        Ok(Message::from_fields(read))
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

    #[tokio::test]
    async fn a_timeout_no_clock_can_hold_sets_no_deadline() {
        let msg = Message::new("u", "v").with_timeout(Duration::MAX);
        assert_eq!(msg.deadline(), None);
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
    fn the_extensions_fields_are_read_and_anything_else_in_their_place_is_passed_over() {
        let m: Message = serde_json::from_str(r#"{"Uid":"a","Val":"b","sq":7,"DL":4990}"#).unwrap();
        let want = RequestExt {
            seq: Some(7),
            budget_ms: Some(4990),
            cancel: false,
            read_us: crate::proto::NO_LOAD,
            idempotent: false,
        };
        assert_eq!(m.ext, want);
        let cancel: Message = serde_json::from_str(r#"{"Uid":"a","Sq":7,"Cancel":true}"#).unwrap();
        assert!(cancel.ext.cancel && cancel.ext.seq == Some(7));
        let odd: Message =
            serde_json::from_str(r#"{"Uid":"a","Sq":"seven","Dl":-1,"Cancel":{"x":[1]}}"#).unwrap();
        assert_eq!(odd.ext, RequestExt::default(), "read as a plain request");
    }

    #[test]
    fn fresh_uids_share_the_process_prefix_and_never_repeat() {
        let uids: Vec<String> = (0..1000).map(|_| fresh_uid()).collect();
        let unique: std::collections::HashSet<&String> = uids.iter().collect();
        assert_eq!(unique.len(), uids.len());
        let prefix = |u: &String| u.split_once('-').map(|(p, _)| p.to_owned());
        assert!(uids.iter().all(|u| prefix(u) == prefix(&uids[0])));
    }
}
