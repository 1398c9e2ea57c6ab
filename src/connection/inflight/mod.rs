//! [`InFlight`]: who is waiting for which `Uid` on one connection.

use std::collections::hash_map::{Entry as Slot, HashMap};
use std::sync::Arc;

use tokio::sync::oneshot;
use tokio::time::Instant;

use super::ages::Ages;
use crate::Resp;

/// Where a caller waits for its answer: what its engine hands it to.
#[derive(Debug)]
pub(crate) enum Caller {
    /// jsonmux's engine: the channel to the call's future.
    Channel(oneshot::Sender<Resp>),
    /// tokio-tower's engine: the call's slot, which holds its multiplex
    /// client's handle on the call once the request is on the wire (no
    /// answer can be for it before).
    #[cfg(feature = "tokio-tower")]
    TokioTower(Arc<crate::connection::tokio_tower::Slot>),
}

/// A `Uid` in flight: who waits for it, and the number its request got on
/// the connection (what the extension puts on the wire as `Sq`).
#[derive(Debug)]
struct Entry {
    waiter: Waiter,
    seq: u64,
    /// When the call began, if its connection wants to know how long it
    /// takes.
    began: Option<Instant>,
}

/// What stands behind a `Uid` in flight.
#[derive(Debug)]
enum Waiter {
    /// A caller waits for the answer.
    Caller(Caller),
    /// The caller gave up (timeout or drop) before the answer came. The
    /// `Uid` stays taken until the late answer arrives and is thrown away,
    /// so it can never be handed to a later request that reuses the `Uid`.
    /// `generation`: the generation of reservations it was made in.
    Abandoned { generation: u64 },
}

/// What an answer found in the table: see [`InFlight::answer`].
#[derive(Debug)]
pub(crate) enum Answered {
    /// Its caller, who waits for it, and when the call began (if known).
    Wanted(Caller, Option<Instant>),
    /// A caller that gave up: the late answer of one of this connection's
    /// own calls, dropped.
    Late,
    /// No call of this connection's (an unknown or empty `Uid`, or the
    /// number of an earlier request with that `Uid`, cancelled): dropped.
    Unknown,
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
/// that gives up leaves a tombstone (a *reservation*) that swallows its
/// late answer. An entry leaves the table when its answer arrives (handed
/// to the caller or dropped), when its request never reached the wire, or
/// with the connection: never otherwise, so a reservation holds for as
/// long as the connection takes calls. (Bounding them is
/// [`Health`](super::health::Health)'s: it retires the connection, which
/// takes the reservations with it.) A caller gives up or cancels with the
/// key [`begin`](Self::begin) gave it, so it only ever touches its own
/// entry, never a later call's that took the `Uid` since.
///
/// Reservations are counted by age in *generations*: each one belongs to
/// the generation it was made in, and [`new_generation`](Self::new_generation)
/// starts the next one and says how many survived a whole generation.
///
/// A draining table takes no new entry and lets the calls in it finish:
/// the connection ends once [`has_callers`](Self::has_callers) is false.
#[derive(Debug, Default)]
pub(crate) struct InFlight {
    waiters: HashMap<Arc<str>, Entry>,
    /// The number the next request gets.
    next_seq: u64,
    /// Entries whose caller waits (the rest are reservations).
    callers: usize,
    /// How many reservations, by age.
    reserved: Ages,
    /// Set when the connection ends: no new entries.
    closed: bool,
    /// Set when the connection starts draining: no new entries.
    draining: bool,
}

impl InFlight {
    /// Takes `uid` for a request whose answer goes to `caller`; returns
    /// the key to give back to [`abandon`](Self::abandon),
    /// [`cancel`](Self::cancel) or [`sending`](Self::sending), and
    /// the request's number on the connection (never given twice).
    #[inline]
    pub(crate) fn begin(
        &mut self,
        uid: &str,
        caller: Caller,
        now: Option<Instant>,
    ) -> Result<(Arc<str>, u64), Refused> {
        if self.closed {
            return Err(Refused::Closed);
        }
        if self.draining {
            return Err(Refused::Draining);
        }
        // One lookup for both the check and the insert (a duplicate, the
        // rare case, costs the key's allocation).
        match self.waiters.entry(Arc::from(uid)) {
            Slot::Occupied(_) => Err(Refused::Duplicate),
            Slot::Vacant(free) => {
                let key = free.key().clone();
                let seq = self.next_seq;
                self.next_seq += 1;
                free.insert(Entry {
                    waiter: Waiter::Caller(caller),
                    seq,
                    began: now,
                });
                self.callers += 1;
                Ok((key, seq))
            }
        }
    }

    /// An answer for `uid` (for the request numbered `seq`, if the answer
    /// says) arrived: frees the `Uid` and says who it was for (its caller,
    /// a caller who gave up, or nobody). An answer for a request not on the
    /// wire yet, or for another request with the same `Uid`, is not its:
    /// the `Uid` stays taken.
    #[inline]
    pub(crate) fn answer(&mut self, uid: &str, seq: Option<u64>) -> Answered {
        // One lookup in the common case (the answer is its caller's).
        let Some((key, entry)) = self.waiters.remove_entry(uid) else {
            return Answered::Unknown;
        };
        #[cfg(feature = "tokio-tower")]
        let on_the_wire = match &entry.waiter {
            Waiter::Caller(Caller::TokioTower(slot)) => slot.is_sent(),
            _ => true,
        };
        #[cfg(not(feature = "tokio-tower"))]
        let on_the_wire = true;
        if !on_the_wire || seq.is_some_and(|seq| seq != entry.seq) {
            self.waiters.insert(key, entry);
            return Answered::Unknown;
        }
        match entry.waiter {
            Waiter::Caller(caller) => {
                self.callers -= 1;
                Answered::Wanted(caller, entry.began)
            }
            Waiter::Abandoned { generation } => {
                self.reserved.remove(generation);
                Answered::Late
            }
        }
    }

    /// The entry `key` (from [`begin`](Self::begin)) took, if it is still
    /// there: not answered, cancelled or closed since, and not a later
    /// call's with the same `Uid`.
    fn own(&mut self, key: &Arc<str>) -> Option<&mut Entry> {
        // One lookup (the key's clone is a count, cheaper than hashing the
        // `Uid` a second time).
        match self.waiters.entry(key.clone()) {
            Slot::Occupied(taken) if Arc::ptr_eq(taken.key(), key) => Some(taken.into_mut()),
            _ => None,
        }
    }

    /// The caller of `key` gave up before its answer: leaves a reservation.
    /// Returns true if it was waiting (false if its answer already came,
    /// or it gave up before: nothing changes).
    pub(crate) fn abandon(&mut self, key: &Arc<str>) -> bool {
        let generation = self.reserved.generation();
        let Some(Entry {
            waiter: w @ Waiter::Caller(_),
            ..
        }) = self.own(key)
        else {
            return false;
        };
        *w = Waiter::Abandoned { generation };
        self.reserved.add();
        self.callers -= 1;
        true
    }

    /// The caller of `key` gave up before its answer, and the server will
    /// be told to drop its request (it speaks the extension): frees the
    /// `Uid` at once, as a late answer can no longer reach a later call
    /// (its number is another's). Returns the request's number to cancel,
    /// if a caller was waiting.
    pub(crate) fn give_up(&mut self, key: &Arc<str>) -> Option<u64> {
        let Some(Entry {
            waiter: Waiter::Caller(_),
            seq,
            ..
        }) = self.own(key)
        else {
            return None;
        };
        let seq = *seq;
        self.forget(key);
        Some(seq)
    }

    /// The request of `key` never reached the wire: forgets it (waiting or
    /// given up on: no answer can come for it).
    pub(crate) fn cancel(&mut self, key: &Arc<str>) {
        if self.own(key).is_some() {
            self.forget(key);
        }
    }

    /// The request of `key` is about to be written: true if its caller
    /// still waits. Otherwise it is not to be written, and its entry (a
    /// reservation of a caller who gave up while it was queued) is
    /// forgotten: no answer can come for a request never sent.
    #[inline]
    pub(crate) fn sending(&mut self, key: &Arc<str>) -> bool {
        // One lookup in the common case (the caller still waits).
        match self.waiters.get_key_value(&**key) {
            Some((taken, entry)) if Arc::ptr_eq(taken, key) => match entry.waiter {
                Waiter::Caller(_) => true,
                Waiter::Abandoned { .. } => {
                    self.forget(key);
                    false
                }
            },
            // Answered before it was sent (a peer making answers up), or
            // cancelled: nobody waits for what it would bring.
            _ => false,
        }
    }

    fn forget(&mut self, key: &Arc<str>) {
        match self.waiters.remove(&**key).map(|e| e.waiter) {
            Some(Waiter::Caller(_)) => self.callers -= 1,
            Some(Waiter::Abandoned { generation }) => self.reserved.remove(generation),
            None => {}
        }
    }

    /// Starts a new generation of reservations; returns how many are older
    /// than the previous one: given up on before it started, their answers
    /// still due a whole generation later.
    pub(crate) fn new_generation(&mut self) -> usize {
        self.reserved.turn()
    }

    /// The connection ended: drops every waiter (each caller's channel
    /// closes, and it then reads the cause) and refuses new requests.
    pub(crate) fn close(&mut self) {
        // tokio-tower's handles on the calls live in their slots, which a
        // waiting call may hold too: dropped here, like the channels.
        #[cfg(feature = "tokio-tower")]
        for entry in self.waiters.values() {
            if let Waiter::Caller(Caller::TokioTower(slot)) = &entry.waiter {
                slot.take_pending();
            }
        }
        self.closed = true;
        self.waiters.clear();
        self.callers = 0;
        self.reserved = Ages::default();
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

    /// True while some caller still waits for an answer (reservations aside).
    #[inline]
    pub(crate) fn has_callers(&self) -> bool {
        self.callers > 0
    }

    /// True once a draining table has no caller left: the connection may end.
    #[inline]
    pub(crate) fn is_drained(&self) -> bool {
        self.draining && self.callers == 0
    }

    /// How many callers wait for an answer.
    #[cfg(test)]
    pub(crate) fn callers(&self) -> usize {
        self.callers
    }

    /// How many reservations of callers who gave up hold a `Uid`.
    pub(crate) fn reserved(&self) -> usize {
        self.reserved.total()
    }

    /// How many `Uid`s are taken: callers waiting plus reservations.
    pub(crate) fn len(&self) -> usize {
        self.waiters.len()
    }
}

#[cfg(test)]
mod tests;
