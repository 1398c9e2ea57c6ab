//! [`InFlight`]: who is waiting for which `Uid` on one connection.

use std::collections::hash_map::{Entry, HashMap};
use std::sync::Arc;

use tokio::sync::oneshot;

use crate::Resp;

/// Where a caller waits for its answer: what its engine hands it to.
#[derive(Debug)]
pub(crate) enum Caller {
    /// jsonmux's engine: the channel to the call's future.
    Channel(oneshot::Sender<Resp>),
    /// tokio-tower's engine, before the request is on the wire: no answer
    /// can be for it yet ([`InFlight::sent`] names the caller then).
    #[cfg(feature = "tokio-tower")]
    Queued,
    /// tokio-tower's engine: its multiplex client's handle on the call,
    /// which that client hands the answer to.
    #[cfg(feature = "tokio-tower")]
    Sent(::tokio_tower::multiplex::client::Pending<Resp>),
}

/// What stands behind a `Uid` in flight.
#[derive(Debug)]
enum Waiter {
    /// A caller waits for the answer.
    Caller(Caller),
    /// The caller gave up (timeout or drop) before the answer came. The
    /// `Uid` stays taken until the late answer arrives and is thrown away,
    /// so it can never be handed to a later request that reuses the `Uid`.
    Abandoned,
}

/// Why [`InFlight::begin`] refused a `Uid`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The `Uid` is taken: a caller waits for it, or its late answer is due.
    Duplicate,
    /// The connection has ended.
    Closed,
    /// The connection is draining: it takes no new call.
    Draining,
}

/// The `Uid`s in flight on one connection, and their waiters: a plain
/// state machine; the lock around it lives in [`Shared`](super::shared::Shared).
///
/// This is what makes `Uid` correlation safe: a second request with a `Uid`
/// that is still taken is refused instead of swapping answers, and a caller
/// that gives up leaves a tombstone that swallows its late answer. An entry
/// leaves the table when its answer arrives (handed to the caller or
/// dropped), when its request never reached the wire, or with the
/// connection. A caller gives up or cancels with the key
/// [`begin`](Self::begin) gave it, so it can only ever touch its own entry,
/// never a later call's that took the `Uid` since.
///
/// A draining table takes no new entry and lets the calls in it finish:
/// the connection ends once [`has_callers`](Self::has_callers) is false.
#[derive(Debug, Default)]
pub(crate) struct InFlight {
    waiters: HashMap<Arc<str>, Waiter>,
    /// Set when the connection ends: no new entries.
    closed: bool,
    /// Set when the connection starts draining: no new entries.
    draining: bool,
}

impl InFlight {
    /// Takes `uid` for a request whose answer goes to `caller`; returns the
    /// key to give back to [`abandon`](Self::abandon),
    /// [`cancel`](Self::cancel) or [`sent`](Self::sent).
    #[inline]
    pub(crate) fn begin(&mut self, uid: &str, caller: Caller) -> Result<Arc<str>, Refused> {
        if self.closed {
            return Err(Refused::Closed);
        }
        if self.draining {
            return Err(Refused::Draining);
        }
        // One lookup for both the check and the insert (a duplicate, the
        // rare case, costs the key's allocation).
        match self.waiters.entry(Arc::from(uid)) {
            Entry::Occupied(_) => Err(Refused::Duplicate),
            Entry::Vacant(free) => {
                let key = free.key().clone();
                free.insert(Waiter::Caller(caller));
                Ok(key)
            }
        }
    }

    /// An answer for `uid` arrived: frees the `Uid` and returns the caller
    /// to hand it to, or `None` if nobody wants it (an abandoned or unknown
    /// `Uid`; the answer is then dropped). An answer for a request not on
    /// the wire yet is not its: the `Uid` stays taken.
    #[inline]
    pub(crate) fn answer(&mut self, uid: &str) -> Option<Caller> {
        match self.waiters.remove_entry(uid)? {
            #[cfg(feature = "tokio-tower")]
            (key, Waiter::Caller(Caller::Queued)) => {
                self.waiters.insert(key, Waiter::Caller(Caller::Queued));
                None
            }
            (_, Waiter::Caller(caller)) => Some(caller),
            (_, Waiter::Abandoned) => None,
        }
    }

    /// The request of `key` went on the wire: its answer goes to `caller`
    /// from now on. (If its caller gave up meanwhile, `caller` is dropped
    /// and the tombstone waits for the late answer.)
    #[cfg(feature = "tokio-tower")]
    pub(crate) fn sent(&mut self, key: &Arc<str>, caller: Caller) {
        if let Some(Waiter::Caller(waiting @ Caller::Queued)) = self.own(key) {
            *waiting = caller;
        }
    }

    /// The entry `key` (from [`begin`](Self::begin)) took, if it is still
    /// there: not answered, cancelled or closed since, and not a later
    /// call's with the same `Uid`.
    fn own(&mut self, key: &Arc<str>) -> Option<&mut Waiter> {
        match self.waiters.get_key_value(&**key) {
            Some((taken, _)) if Arc::ptr_eq(taken, key) => self.waiters.get_mut(&**key),
            _ => None,
        }
    }

    /// The caller of `key` gave up before its answer: leaves a tombstone.
    /// Returns true if it was waiting (false if its answer already came,
    /// or it gave up before: nothing changes).
    pub(crate) fn abandon(&mut self, key: &Arc<str>) -> bool {
        match self.own(key) {
            Some(w @ Waiter::Caller(_)) => {
                *w = Waiter::Abandoned;
                true
            }
            _ => false,
        }
    }

    /// The request of `key` never reached the wire: forgets it (waiting or
    /// abandoned).
    pub(crate) fn cancel(&mut self, key: &Arc<str>) {
        if self.own(key).is_some() {
            self.waiters.remove(&**key);
        }
    }

    /// The connection ended: drops every waiter (each caller's channel
    /// closes, and it then reads the cause) and refuses new requests.
    pub(crate) fn close(&mut self) {
        self.closed = true;
        self.waiters.clear();
    }

    /// No new entries from now on; the calls in flight go on.
    pub(crate) fn drain(&mut self) {
        self.draining = true;
    }

    /// True once [`drain`](Self::drain) was called.
    #[inline]
    pub(crate) fn is_draining(&self) -> bool {
        self.draining
    }

    /// True while some caller still waits for an answer (tombstones aside).
    pub(crate) fn has_callers(&self) -> bool {
        self.waiters
            .values()
            .any(|w| matches!(w, Waiter::Caller(_)))
    }

    /// How many `Uid`s are taken: callers waiting plus tombstones.
    pub(crate) fn len(&self) -> usize {
        self.waiters.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn begin(f: &mut InFlight, uid: &str) -> Result<oneshot::Receiver<Resp>, Refused> {
        let (tx, rx) = oneshot::channel();
        f.begin(uid, Caller::Channel(tx)).map(|_| rx)
    }

    /// Like [`begin`], returning the key instead of the receiver (dropped).
    fn key(f: &mut InFlight, uid: &str) -> Arc<str> {
        let (tx, _) = oneshot::channel();
        f.begin(uid, Caller::Channel(tx)).unwrap()
    }

    fn hand_over(caller: Option<Caller>, uid: &str) -> bool {
        let resp = Resp {
            uid: uid.into(),
            ..Resp::default()
        };
        match caller {
            Some(Caller::Channel(c)) => c.send(resp).is_ok(),
            _ => false,
        }
    }

    #[test]
    fn a_uid_in_flight_is_refused_until_its_answer_arrives() {
        let mut f = InFlight::default();
        let mut rx = begin(&mut f, "a").unwrap();
        assert_eq!(begin(&mut f, "a").unwrap_err(), Refused::Duplicate);
        begin(&mut f, "b").unwrap();
        assert!(hand_over(f.answer("a"), "a"));
        assert_eq!(rx.try_recv().unwrap().uid, "a");
        begin(&mut f, "a").unwrap();
        assert_eq!(f.len(), 2);
    }

    #[test]
    fn an_abandoned_uid_stays_taken_until_its_late_answer_is_dropped() {
        let mut f = InFlight::default();
        let a = key(&mut f, "a");
        assert!(f.abandon(&a), "a caller was waiting");
        assert!(!f.has_callers());
        assert_eq!(f.len(), 1, "the tombstone counts");
        assert_eq!(
            begin(&mut f, "a").unwrap_err(),
            Refused::Duplicate,
            "a late answer could reach the new request"
        );
        assert!(f.answer("a").is_none(), "the late answer goes nowhere");
        begin(&mut f, "a").unwrap();
    }

    #[test]
    fn abandoning_after_the_answer_arrived_or_twice_changes_nothing() {
        let mut f = InFlight::default();
        let a = key(&mut f, "a");
        assert!(f.answer("a").is_some());
        assert!(!f.abandon(&a));
        assert_eq!(f.len(), 0);
        let b = key(&mut f, "b");
        assert!(f.abandon(&b));
        assert!(!f.abandon(&b), "already a tombstone");
    }

    #[test]
    fn an_earlier_call_giving_up_late_never_touches_a_later_call_with_its_uid() {
        let mut f = InFlight::default();
        let first = key(&mut f, "a");
        assert!(f.answer("a").is_some(), "answered, not yet read");
        let mut second = begin(&mut f, "a").unwrap();
        assert!(!f.abandon(&first), "not the first call's entry any more");
        f.cancel(&first);
        assert!(hand_over(f.answer("a"), "a"), "the later call still waits");
        assert_eq!(second.try_recv().unwrap().uid, "a");
    }

    #[cfg(feature = "tokio-tower")]
    #[test]
    fn a_request_not_on_the_wire_keeps_its_uid_and_no_answer_is_its_until_sent() {
        let mut f = InFlight::default();
        let a = f.begin("a", Caller::Queued).unwrap();
        assert!(f.has_callers());
        assert_eq!(begin(&mut f, "a").unwrap_err(), Refused::Duplicate);
        assert!(f.answer("a").is_none(), "not on the wire: not its answer");
        assert_eq!(f.len(), 1, "still taken");
        let (tx, mut rx) = oneshot::channel();
        f.sent(&a, Caller::Channel(tx));
        assert!(hand_over(f.answer("a"), "a"));
        assert_eq!(rx.try_recv().unwrap().uid, "a");
        let b = f.begin("b", Caller::Queued).unwrap();
        assert!(f.abandon(&b), "its caller gave up while it was queued");
        f.sent(&b, Caller::Channel(oneshot::channel().0));
        assert!(f.answer("b").is_none(), "the tombstone swallows the answer");
    }

    #[test]
    fn an_answer_for_an_unknown_uid_changes_nothing() {
        let mut f = InFlight::default();
        assert!(f.answer("ghost").is_none());
        assert_eq!(f.len(), 0);
    }

    #[test]
    fn a_cancelled_request_frees_its_uid_at_once_even_abandoned() {
        let mut f = InFlight::default();
        let a = key(&mut f, "a");
        f.cancel(&a);
        assert_eq!(f.len(), 0);
        let a = key(&mut f, "a");
        f.abandon(&a);
        f.cancel(&a);
        assert_eq!(
            f.len(),
            0,
            "a request that never went out has no late answer"
        );
    }

    #[test]
    fn only_waiting_callers_count_as_callers() {
        let mut f = InFlight::default();
        assert!(!f.has_callers());
        let a = key(&mut f, "a");
        assert!(f.has_callers());
        f.abandon(&a);
        assert!(!f.has_callers(), "a tombstone waits for nobody");
    }

    #[test]
    fn closing_wakes_every_caller_and_refuses_new_requests() {
        let mut f = InFlight::default();
        let mut rx = begin(&mut f, "a").unwrap();
        f.close();
        assert!(rx.try_recv().is_err(), "the sender is gone");
        assert_eq!(begin(&mut f, "b").unwrap_err(), Refused::Closed);
        assert_eq!(f.len(), 0);
    }

    #[test]
    fn a_draining_table_refuses_new_calls_and_keeps_those_in_flight() {
        let mut f = InFlight::default();
        let mut rx = begin(&mut f, "a").unwrap();
        f.drain();
        assert!(f.is_draining());
        assert_eq!(begin(&mut f, "b").unwrap_err(), Refused::Draining);
        assert!(f.has_callers());
        assert!(hand_over(f.answer("a"), "a"));
        assert_eq!(rx.try_recv().unwrap().uid, "a");
        assert!(!f.has_callers(), "drained");
    }
}
