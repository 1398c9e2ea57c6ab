//! Who is waiting for which `Uid` on one connection.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::oneshot;

use crate::{Error, Resp};

/// A `Uid` taken for a request, and the receiver of its answer.
pub(crate) type Taken = (Arc<str>, oneshot::Receiver<Resp>);

/// What stands behind a `Uid` in flight.
#[derive(Debug)]
enum Waiter {
    /// A caller waits for the answer.
    Caller(oneshot::Sender<Resp>),
    /// The caller gave up (timeout or drop) before the answer came. The
    /// `Uid` stays taken until the late answer arrives and is thrown away,
    /// so it can never be handed to a later request that reuses the `Uid`.
    Abandoned,
}

/// The `Uid`s in flight on one connection, and their waiters.
///
/// This is what makes `Uid` correlation safe: a second request with a `Uid`
/// that is still taken is refused ([`Error::DuplicateUid`]) instead of
/// swapping answers, and a caller that gives up leaves a tombstone that
/// swallows its late answer. An entry leaves the map when its answer
/// arrives (handed to the caller or dropped) or with the connection.
#[derive(Debug, Default)]
pub(crate) struct InFlight {
    inner: Mutex<Inner>,
    /// `inner.waiters.len()`, readable without the lock (the pool's load).
    len: AtomicUsize,
}

#[derive(Debug, Default)]
struct Inner {
    waiters: HashMap<Arc<str>, Waiter>,
    /// Callers that gave up in a row, with no answer arriving in between:
    /// a sign the peer stopped answering.
    abandoned_streak: usize,
    /// Set when the connection ends: no new entries.
    closed: bool,
}

impl InFlight {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every change is a single insert, update or remove, so a map
        // poisoned by a panic elsewhere is still consistent.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn sync_len(&self, inner: &Inner) {
        self.len.store(inner.waiters.len(), Ordering::Relaxed);
    }

    /// Takes `uid` for a new request and returns where its answer will come.
    /// `Ok(None)` means the connection has ended.
    pub(crate) fn begin(&self, uid: &str) -> Result<Option<Taken>, Error> {
        let mut inner = self.lock();
        if inner.closed {
            return Ok(None);
        }
        if inner.waiters.contains_key(uid) {
            return Err(Error::DuplicateUid(uid.to_owned()));
        }
        let (tx, rx) = oneshot::channel();
        let key: Arc<str> = Arc::from(uid);
        inner.waiters.insert(key.clone(), Waiter::Caller(tx));
        self.sync_len(&inner);
        Ok(Some((key, rx)))
    }

    /// Hands an answer to its caller. Returns false if nobody wanted it (an
    /// abandoned or unknown `Uid`); the answer is then dropped.
    pub(crate) fn answer(&self, resp: Resp) -> bool {
        let mut inner = self.lock();
        inner.abandoned_streak = 0;
        let waiter = inner.waiters.remove(resp.uid.as_str());
        self.sync_len(&inner);
        drop(inner);
        match waiter {
            // A caller dropped after the lookup is the same as abandoned.
            Some(Waiter::Caller(tx)) => tx.send(resp).is_ok(),
            Some(Waiter::Abandoned) | None => false,
        }
    }

    /// The caller of `uid` gave up before its answer: leave a tombstone,
    /// unless the answer already came (then there is nothing to undo).
    pub(crate) fn abandon(&self, uid: &str) {
        let mut inner = self.lock();
        if let Some(w @ Waiter::Caller(_)) = inner.waiters.get_mut(uid) {
            *w = Waiter::Abandoned;
            inner.abandoned_streak += 1;
        }
    }

    /// A request never reached the wire: forget `uid`.
    pub(crate) fn cancel(&self, uid: &str) {
        let mut inner = self.lock();
        inner.waiters.remove(uid);
        self.sync_len(&inner);
    }

    /// The connection ended: every waiter's channel closes (its caller then
    /// reads the cause), and no new request is accepted.
    pub(crate) fn close(&self) {
        let mut inner = self.lock();
        inner.closed = true;
        inner.waiters.clear();
        self.sync_len(&inner);
    }

    /// True while some caller still waits for an answer (tombstones aside).
    pub(crate) fn has_callers(&self) -> bool {
        let inner = self.lock();
        inner
            .waiters
            .values()
            .any(|w| matches!(w, Waiter::Caller(_)))
    }

    /// How many `Uid`s are taken (callers waiting plus tombstones).
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// How many callers in a row gave up with no answer arriving since.
    pub(crate) fn abandoned_streak(&self) -> usize {
        self.lock().abandoned_streak
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(uid: &str) -> Resp {
        Resp {
            uid: uid.into(),
            ..Resp::default()
        }
    }

    #[test]
    fn a_uid_in_flight_is_refused_until_its_answer_arrives() {
        let f = InFlight::default();
        let (_, mut rx) = f.begin("a").unwrap().unwrap();
        assert!(matches!(f.begin("a"), Err(Error::DuplicateUid(u)) if u == "a"));
        f.begin("b").unwrap().unwrap();
        assert!(f.answer(resp("a")));
        assert_eq!(rx.try_recv().unwrap().uid, "a");
        f.begin("a").unwrap().unwrap();
        assert_eq!(f.len(), 2);
    }

    #[test]
    fn an_abandoned_uid_stays_taken_until_its_late_answer_is_dropped() {
        let f = InFlight::default();
        f.begin("a").unwrap().unwrap();
        f.abandon("a");
        assert_eq!(f.abandoned_streak(), 1);
        assert!(
            f.begin("a").is_err(),
            "a late answer could reach the new request"
        );
        assert!(!f.answer(resp("a")), "the late answer goes nowhere");
        assert_eq!(f.abandoned_streak(), 0, "any answer ends the streak");
        f.begin("a").unwrap().unwrap();
    }

    #[test]
    fn abandoning_after_the_answer_arrived_changes_nothing() {
        let f = InFlight::default();
        let (_, _rx) = f.begin("a").unwrap().unwrap();
        assert!(f.answer(resp("a")));
        f.abandon("a");
        assert_eq!((f.len(), f.abandoned_streak()), (0, 0));
    }

    #[test]
    fn an_answer_for_an_unknown_uid_changes_nothing() {
        let f = InFlight::default();
        assert!(!f.answer(resp("ghost")));
        assert_eq!(f.len(), 0);
    }

    #[test]
    fn closing_wakes_every_caller_and_refuses_new_requests() {
        let f = InFlight::default();
        let (_, mut rx) = f.begin("a").unwrap().unwrap();
        f.close();
        assert!(rx.try_recv().is_err(), "the sender is gone");
        assert!(f.begin("b").unwrap().is_none());
        assert_eq!(f.len(), 0);
    }
}
