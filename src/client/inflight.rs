//! Which `Uid`s are in flight on one connection, and what became of them.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use crate::Error;

/// Where a request with a given `Uid` stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Sent (or about to be); its caller is waiting.
    Waiting,
    /// Its answer arrived and is on its way to the caller.
    Answered,
    /// Its caller gave up (timeout or drop) before the answer came. The `Uid`
    /// stays taken until the late answer arrives and is thrown away, so it
    /// can never be handed to a later request that reuses the `Uid`.
    Abandoned,
}

/// The `Uid`s in flight on one connection.
///
/// This is what makes `Uid` correlation safe: a second request with a `Uid`
/// that is still taken is refused ([`Error::DuplicateUid`]) instead of
/// swapping answers, and a caller that gives up leaves a tombstone that
/// swallows its late answer. Entries leave the map when the caller gets its
/// answer, when a tombstoned answer arrives, or with the connection.
#[derive(Debug, Default)]
pub(crate) struct InFlight {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    uids: HashMap<String, State>,
    /// Callers that gave up in a row, with no answer arriving in between:
    /// a sign the peer stopped answering.
    abandoned_streak: usize,
}

impl InFlight {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere cannot leave the map half-updated: every change
        // is a single insert or remove, so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes `uid` for a new request, or refuses it if it is still taken.
    pub(crate) fn begin(&self, uid: &str) -> Result<(), Error> {
        match self.lock().uids.entry(uid.to_owned()) {
            Entry::Occupied(_) => Err(Error::DuplicateUid(uid.to_owned())),
            Entry::Vacant(v) => {
                v.insert(State::Waiting);
                Ok(())
            }
        }
    }

    /// The answer for `uid` arrived. Returns false if its caller had
    /// already given up (the answer is then dropped and `uid` is free).
    pub(crate) fn answered(&self, uid: &str) -> bool {
        let mut inner = self.lock();
        inner.abandoned_streak = 0;
        let uids = &mut inner.uids;
        match uids.get_mut(uid) {
            Some(s @ State::Waiting) => {
                *s = State::Answered;
                true
            }
            Some(State::Abandoned) => {
                uids.remove(uid);
                false
            }
            Some(State::Answered) | None => false,
        }
    }

    /// The caller got its outcome: `uid` is free again.
    pub(crate) fn finish(&self, uid: &str) {
        self.lock().uids.remove(uid);
    }

    /// The caller gave up before its outcome: keep `uid` taken until its
    /// answer arrives, unless the answer already did.
    pub(crate) fn abandon(&self, uid: &str) {
        let mut inner = self.lock();
        let uids = &mut inner.uids;
        match uids.get_mut(uid) {
            Some(s @ State::Waiting) => {
                *s = State::Abandoned;
                inner.abandoned_streak += 1;
            }
            Some(State::Answered) => {
                uids.remove(uid);
            }
            Some(State::Abandoned) | None => {}
        }
    }

    /// How many `Uid`s are taken (waiting, answered or tombstoned).
    pub(crate) fn len(&self) -> usize {
        self.lock().uids.len()
    }

    /// How many callers in a row gave up with no answer arriving since.
    pub(crate) fn abandoned_streak(&self) -> usize {
        self.lock().abandoned_streak
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uid_in_flight_is_refused_until_its_caller_finishes() {
        let f = InFlight::default();
        f.begin("a").unwrap();
        assert!(matches!(f.begin("a"), Err(Error::DuplicateUid(u)) if u == "a"));
        f.begin("b").unwrap();
        assert!(f.answered("a"));
        f.finish("a");
        f.begin("a").unwrap();
        assert_eq!(f.len(), 2);
    }

    #[test]
    fn an_abandoned_uid_stays_taken_until_its_late_answer_is_dropped() {
        let f = InFlight::default();
        f.begin("a").unwrap();
        f.abandon("a");
        assert!(
            f.begin("a").is_err(),
            "a late answer could reach the new request"
        );
        assert_eq!(f.abandoned_streak(), 1);
        assert!(!f.answered("a"), "the late answer goes nowhere");
        assert_eq!(f.abandoned_streak(), 0, "any answer ends the streak");
        f.begin("a").unwrap();
    }

    #[test]
    fn abandoning_after_the_answer_arrived_frees_the_uid() {
        let f = InFlight::default();
        f.begin("a").unwrap();
        assert!(f.answered("a"));
        f.abandon("a");
        assert_eq!(f.len(), 0);
    }

    #[test]
    fn an_answer_for_an_unknown_uid_changes_nothing() {
        let f = InFlight::default();
        assert!(!f.answered("ghost"));
        assert_eq!(f.len(), 0);
    }
}
