//! [`Slot`]: where one call on tokio-tower's engine meets its caller, the
//! feed, the multiplex client and the answers' router.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use ::tokio_tower::multiplex::client::Pending;

use super::error::ClientCall;
use crate::connection::queued::Queued;
use crate::Resp;

/// One call's meeting point, made with the call and kept in its entry in
/// the in-flight table while its caller waits:
///
/// * the request waits here until it is encoded (see
///   [`Tagged`](super::tags::Tagged));
/// * a queued call waits here for the [`Feed`](super::feed::Feed) to hand
///   its request to the multiplex client, and takes the client's future
///   for it from here ([`Hand`]);
/// * tokio-tower's handle on the call is kept here once its request is on
///   the wire, for the router to hand the answer over with (found through
///   the table's entry, with no second lookup).
#[derive(Default)]
pub(crate) struct Slot {
    /// The request, from the call until it is encoded or dropped unsent.
    request: Mutex<Option<Queued>>,
    hand: Mutex<Hand>,
    /// tokio-tower's handle on the call, from when its request goes on the
    /// wire until its answer is routed.
    pending: Mutex<Option<Pending<Resp>>>,
    /// The request went on the wire (read under the table's lock).
    sent: AtomicBool,
    /// The caller gave up while its request was queued.
    given_up: AtomicBool,
}

/// Where a queued call's request stands, between the feed and the call.
pub(super) enum Hand {
    /// Queued; the caller's waker, once it has polled.
    Waiting(Option<Waker>),
    /// Handed to the multiplex client: its future, polled once with the
    /// caller's waker (so the answer wakes the caller).
    Handed(ClientCall),
    /// Over before the caller took it: the answer, or `None` (the
    /// connection ended).
    Over(Option<Resp>),
    /// Taken by the call.
    Taken,
}

impl Default for Hand {
    fn default() -> Self {
        Hand::Waiting(None)
    }
}

impl Slot {
    fn hand(&self) -> MutexGuard<'_, Hand> {
        lock(&self.hand)
    }

    fn pending(&self) -> MutexGuard<'_, Option<Pending<Resp>>> {
        lock(&self.pending)
    }

    /// Keeps the call's request until it is encoded.
    pub(super) fn hold(&self, request: Queued) {
        *lock(&self.request) = Some(request);
    }

    /// The call's request, to encode or to drop (`None` once taken).
    pub(super) fn take_request(&self) -> Option<Queued> {
        lock(&self.request).take()
    }

    /// The `Uid` of the request held here, if any.
    #[cfg(test)]
    pub(super) fn held_uid(&self) -> Option<String> {
        lock(&self.request).as_ref().map(|r| r.msg.uid.clone())
    }

    /// The caller dropped its call while the request was queued.
    pub(super) fn give_up(&self) {
        self.given_up.store(true, Ordering::Relaxed);
    }

    /// True once the caller has given up on its queued call.
    pub(super) fn is_abandoned(&self) -> bool {
        self.given_up.load(Ordering::Relaxed)
    }

    /// The caller, polling: what the feed left for it, or `None` (its
    /// `waker` is kept to wake) while its request is still queued.
    pub(super) fn take_hand(&self, waker: &Waker) -> Option<Hand> {
        let mut hand = self.hand();
        if let Hand::Waiting(kept) = &mut *hand {
            if !kept.as_ref().is_some_and(|w| w.will_wake(waker)) {
                *kept = Some(waker.clone());
            }
            return None;
        }
        Some(std::mem::replace(&mut *hand, Hand::Taken))
    }

    /// The request went to the multiplex client: `call` is its future.
    /// Polled here with the caller's waker, if it has polled already, so
    /// that the answer wakes it and nothing else needs to. Returns the
    /// caller's waker if the call is over at once (the client's task had
    /// ended), to wake.
    #[must_use]
    pub(super) fn hand_over(&self, mut call: ClientCall) -> Option<Waker> {
        let mut hand = self.hand();
        let Hand::Waiting(waker) = &mut *hand else {
            unreachable!("handed over once, and only while queued");
        };
        let Some(waker) = waker.take() else {
            *hand = Hand::Handed(call);
            return None;
        };
        match call.as_mut().poll(&mut Context::from_waker(&waker)) {
            Poll::Pending => {
                *hand = Hand::Handed(call);
                None
            }
            Poll::Ready(out) => {
                *hand = Hand::Over(out.ok());
                Some(waker)
            }
        }
    }

    /// The connection ended before the request went to the client.
    pub(super) fn fail(&self) {
        let mut hand = self.hand();
        if let Hand::Waiting(waker) = std::mem::replace(&mut *hand, Hand::Over(None)) {
            drop(hand);
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }

    /// The request is on the wire: `pending` is tokio-tower's handle on the
    /// call, for its answer.
    pub(super) fn sent(&self, pending: Pending<Resp>) {
        *self.pending() = Some(pending);
        self.sent.store(true, Ordering::Release);
    }

    /// The request is on the wire, without a handle from tokio-tower.
    #[cfg(test)]
    pub(crate) fn put_on_the_wire(&self) {
        self.sent.store(true, Ordering::Release);
    }

    /// True once the request is on the wire: an answer can be for it.
    pub(crate) fn is_sent(&self) -> bool {
        self.sent.load(Ordering::Acquire)
    }

    /// tokio-tower's handle on the call, to hand its answer over with
    /// (`None` once taken, or if the request never went on the wire).
    /// Taken when the connection ends too: the caller then reads its cause.
    pub(crate) fn take_pending(&self) -> Option<Pending<Resp>> {
        self.pending().take()
    }
}

/// Locks `m`. Each change to a slot is one assignment: a slot poisoned by a
/// panic elsewhere is still consistent.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A slot is one call's: equal to itself only (tokio-tower's client wants
/// its tags comparable).
impl PartialEq for Slot {
    fn eq(&self, other: &Slot) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Eq for Slot {}

impl fmt::Debug for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Slot")
            .field("sent", &self.is_sent())
            .finish_non_exhaustive()
    }
}
