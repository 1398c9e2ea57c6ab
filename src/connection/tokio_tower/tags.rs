//! [`Tagged`]: a request on its way to tokio-tower's client, holding its
//! `Uid` in the shared in-flight table until it is on the wire.

use std::fmt;
use std::sync::Arc;

use super::slot::Slot;
use crate::connection::backlog::Backlog;
use crate::connection::queued::Queued;
use crate::connection::shared::Shared;
use crate::Message;

/// A request on its way to the wire, holding its `Uid` in the shared
/// in-flight table.
///
/// tokio-tower's `TagStore` cannot refuse a tag, so the `Uid` is taken
/// (and a duplicate refused) before the call; this carries the claim to
/// the transport, whose `TagStore` lets go of it and tags the request with
/// the call's [`Slot`], where the pending store keeps its handle. A
/// request dropped before it reached the wire (its caller gave up while it
/// was queued in the feed, or the connection ended) frees its `Uid`:
/// no late answer can come for it. Either way, its room in the
/// connection's backlog is given back once it is encoded or dropped.
///
/// # A note on size
///
/// The request itself waits in the call's [`Slot`] (see
/// [`Slot::hold`]), not here: tokio-tower moves what it is given
/// several times on its way to the transport (into its one-slot hand-off
/// and out, into the call's future), and this stays three words long.
pub(crate) struct Tagged {
    /// The call's meeting point, also in its entry in the table; it holds
    /// the request until it is encoded.
    slot: Arc<Slot>,
    /// Where its `Uid` was taken and its room in the backlog.
    shared: Arc<Shared>,
    stage: Stage,
}

/// Where a [`Tagged`] request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Not on the wire yet: dropped now, it frees its `Uid`.
    Queued,
    /// Tagged for the wire: its `Uid` stays taken until its answer arrives
    /// (or the connection ends).
    Tagged,
    /// Taken out of its slot to be encoded.
    Encoded,
}

impl Tagged {
    /// `request`, whose `Uid` was taken in `shared` (its entry holding
    /// `slot`) and which took room in its backlog.
    pub(crate) fn new(request: Queued, slot: Arc<Slot>, shared: Arc<Shared>) -> Self {
        slot.hold(request);
        Tagged {
            slot,
            shared,
            stage: Stage::Queued,
        }
    }

    /// The call's meeting point.
    pub(crate) fn slot(&self) -> &Arc<Slot> {
        &self.slot
    }

    /// The request goes on the wire: its `Uid` stays taken until its
    /// answer arrives (or the connection ends). Returns its slot, for its
    /// tag.
    pub(crate) fn tag(&mut self) -> Arc<Slot> {
        debug_assert_eq!(self.stage, Stage::Queued, "a request is tagged once");
        self.stage = Stage::Tagged;
        self.slot.clone()
    }

    /// The request to encode, and its number; its tag must have been
    /// assigned. Its room in the backlog is given back.
    pub(crate) fn into_request(mut self) -> (Message, u64) {
        debug_assert_eq!(
            self.stage,
            Stage::Tagged,
            "sent before its tag was assigned"
        );
        self.stage = Stage::Encoded;
        let request = self.slot.take_request().expect("held until encoded");
        self.shared.backlog.give_back(Backlog::size(&request.msg));
        (request.msg, request.seq)
    }
}

#[cfg(test)]
impl Tagged {
    /// The request's `Uid`.
    pub(crate) fn uid(&self) -> String {
        self.slot.held_uid().expect("held until encoded")
    }
}

impl Drop for Tagged {
    fn drop(&mut self) {
        if self.stage == Stage::Encoded {
            return;
        }
        let Some(request) = self.slot.take_request() else {
            return;
        };
        self.shared.backlog.give_back(Backlog::size(&request.msg));
        if self.stage == Stage::Queued {
            self.shared.cancel(&request.key);
        }
    }
}

impl fmt::Debug for Tagged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tagged")
            .field("stage", &self.stage)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::inflight::{Caller, Refused};
    use crate::connection::options::ConnectionOptions;
    use crate::connection::shared::Routed;
    use crate::Resp;

    /// A call's `Uid` taken (its key and number), and its slot.
    type Taken = ((Arc<str>, u64), Arc<Slot>);

    /// Takes `uid` for a call on tokio-tower's engine.
    fn begin(shared: &Shared, uid: &str) -> Result<Taken, Refused> {
        let slot = Arc::new(Slot::default());
        let taken = shared.begin(uid, Caller::TokioTower(slot.clone()))?;
        Ok((taken, slot))
    }

    /// A request as a call makes it: its `Uid` and its room taken.
    fn tagged_with(shared: &Arc<Shared>, ((key, seq), slot): Taken) -> Tagged {
        let msg = Message::new(&*key, "x");
        assert!(shared.backlog.try_take(Backlog::size(&msg)));
        Tagged::new(Queued { key, seq, msg }, slot, shared.clone())
    }

    fn tagged(shared: &Arc<Shared>, uid: &str) -> Tagged {
        tagged_with(shared, begin(shared, uid).unwrap())
    }

    #[test]
    fn a_request_dropped_before_the_wire_frees_its_uid() {
        let shared = Arc::new(Shared::new(&ConnectionOptions::default()));
        let queued = tagged(&shared, "a");
        assert!(begin(&shared, "a").is_err(), "taken while queued");
        drop(queued);
        assert_eq!(shared.len(), 0);
        begin(&shared, "a").unwrap();
    }

    #[test]
    fn a_request_given_up_on_while_queued_leaves_no_tombstone() {
        let shared = Arc::new(Shared::new(&ConnectionOptions::default()));
        let taken = begin(&shared, "a").unwrap();
        let key = taken.0 .0.clone();
        let queued = tagged_with(&shared, taken);
        shared.abandon(&key);
        drop(queued);
        assert_eq!(shared.len(), 0, "no late answer can come for it");
    }

    #[test]
    fn a_request_on_the_wire_keeps_its_uid_until_its_answer() {
        let shared = Arc::new(Shared::new(&ConnectionOptions::default()));
        let taken = begin(&shared, "a").unwrap();
        let key = taken.0 .0.clone();
        let mut sent = tagged_with(&shared, taken);
        sent.tag(); // what assign_tag does
        assert_eq!(sent.into_request().0.uid, "a");
        assert_eq!(shared.len(), 1, "taken until the answer");
        shared.abandon(&key);
        assert!(begin(&shared, "a").is_err(), "a tombstone now");
        let late = shared.route(Resp::new("a", ""), None);
        assert!(matches!(late, Routed::Done), "the late answer is dropped");
        begin(&shared, "a").unwrap();
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
        sent.tag(); // what assign_tag does
        drop(sent.into_request());
        drop(dropped);
        assert_eq!(shared.backlog.bytes(), 0);
    }
}
