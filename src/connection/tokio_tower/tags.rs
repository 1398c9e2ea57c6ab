//! The `TagStore` of tokio-tower's engine: a request's tag is its `Uid`'s
//! key in the shared in-flight table, taken before it was called.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;

use ::tokio_tower::multiplex::TagStore;
use tokio::io::{AsyncRead, AsyncWrite};

use super::transport::Transport;
use crate::connection::backlog::Backlog;
use crate::connection::shared::Shared;
use crate::{Message, Resp};

/// A request on its way to the wire, holding its `Uid` in the shared
/// in-flight table.
///
/// tokio-tower's `TagStore` cannot refuse a tag, so the `Uid` is taken
/// (and a duplicate refused) before the call; this carries the claim to
/// the transport. A request dropped before it reached the wire (its caller
/// gave up while it was queued in the `Buffer`, or the connection ended)
/// frees its `Uid`: no late answer can come for it. Either way, its room in
/// the connection's backlog is given back once it is encoded or dropped.
pub(crate) struct Tagged {
    msg: Message,
    claim: Claim,
}

/// The key this request's `Uid` was taken with, until it is on the wire,
/// and its room in the backlog, until it is encoded.
struct Claim {
    key: Option<Arc<str>>,
    room: usize,
    shared: Arc<Shared>,
}

impl Tagged {
    /// `msg`, whose `Uid` was taken in `shared` with `key`, and which took
    /// room in its backlog.
    pub(crate) fn new(msg: Message, key: Arc<str>, shared: Arc<Shared>) -> Self {
        let claim = Claim {
            key: Some(key),
            room: Backlog::size(&msg),
            shared,
        };
        Tagged { msg, claim }
    }

    /// The request to encode; its tag must have been assigned. Its room in
    /// the backlog is given back.
    pub(crate) fn into_message(self) -> Message {
        debug_assert!(self.claim.key.is_none(), "sent before its tag was assigned");
        self.msg
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.shared.backlog.give_back(self.room);
        if let Some(key) = self.key.take() {
            self.shared.cancel(&key);
        }
    }
}

impl fmt::Debug for Tagged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tagged")
            .field("uid", &self.msg.uid)
            .finish_non_exhaustive()
    }
}

/// A request's tag is the key its `Uid` was taken with, which the pending
/// store needs to name the call's caller in the in-flight table. An
/// answer needs none: the transport routed it before tokio-tower sees it
/// (and holds its caller for the pending store).
impl<T: AsyncRead + AsyncWrite + Unpin> TagStore<Tagged, Resp> for Transport<T> {
    type Tag = Option<Arc<str>>;

    /// The request goes on the wire now: its `Uid` stays taken until its
    /// answer arrives (or the connection ends).
    fn assign_tag(self: Pin<&mut Self>, r: &mut Tagged) -> Option<Arc<str>> {
        Some(r.claim.key.take().expect("a request is tagged once"))
    }

    fn finish_tag(self: Pin<&mut Self>, _: &Resp) -> Option<Arc<str>> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::inflight::Caller;
    use crate::connection::options::ConnectionOptions;
    use crate::connection::shared::Routed;

    /// A request as a call makes it: its `Uid` and its room taken.
    fn tagged_with(shared: &Arc<Shared>, key: Arc<str>) -> Tagged {
        let msg = Message::new(&*key, "x");
        assert!(shared.backlog.try_take(Backlog::size(&msg)));
        Tagged::new(msg, key, shared.clone())
    }

    fn tagged(shared: &Arc<Shared>, uid: &str) -> Tagged {
        tagged_with(shared, shared.begin(uid, Caller::Queued).unwrap())
    }

    #[test]
    fn a_request_dropped_before_the_wire_frees_its_uid() {
        let shared = Arc::new(Shared::new(&ConnectionOptions::default()));
        let queued = tagged(&shared, "a");
        assert!(
            shared.begin("a", Caller::Queued).is_err(),
            "taken while queued"
        );
        drop(queued);
        assert_eq!(shared.len(), 0);
        shared.begin("a", Caller::Queued).unwrap();
    }

    #[test]
    fn a_request_given_up_on_while_queued_leaves_no_tombstone() {
        let shared = Arc::new(Shared::new(&ConnectionOptions::default()));
        let key = shared.begin("a", Caller::Queued).unwrap();
        let queued = tagged_with(&shared, key.clone());
        shared.abandon(&key);
        drop(queued);
        assert_eq!(shared.len(), 0, "no late answer can come for it");
    }

    #[test]
    fn a_request_on_the_wire_keeps_its_uid_until_its_answer() {
        let shared = Arc::new(Shared::new(&ConnectionOptions::default()));
        let mut sent = tagged(&shared, "a");
        let key = sent.claim.key.take().unwrap(); // what assign_tag does
        assert_eq!(sent.into_message().uid, "a");
        assert_eq!(shared.len(), 1, "taken until the answer");
        shared.abandon(&key);
        assert!(
            shared.begin("a", Caller::Queued).is_err(),
            "a tombstone now"
        );
        let answer = Resp {
            uid: "a".into(),
            ..Resp::default()
        };
        let late = shared.route(answer, None);
        assert!(matches!(late, Routed::Done), "the late answer is dropped");
        shared.begin("a", Caller::Queued).unwrap();
    }

    #[test]
    fn a_requests_room_in_the_backlog_is_given_back_once_encoded_or_dropped() {
        let shared = Arc::new(Shared::new(&ConnectionOptions::default()));
        let mut sent = tagged(&shared, "a");
        let dropped = tagged(&shared, "b");
        assert_eq!(
            shared.backlog.bytes(),
            2 * Backlog::size(&Message::new("a", "x"))
        );
        sent.claim.key.take(); // what assign_tag does
        drop(sent.into_message());
        drop(dropped);
        assert_eq!(shared.backlog.bytes(), 0);
    }
}
