//! [`Call`]: one call on tokio-tower's engine, as its caller waits for it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use super::feed::{ClientCall, Feed};
use crate::Resp;

/// One call: handed to the multiplex client at once, or queued in the
/// [`Feed`] until the client's hand-off is free. Resolves to the answer,
/// or `None` if the connection ended before it (its cause is recorded).
///
/// Dropping a queued call lets the feed drop its request unsent.
pub(crate) struct Call(State);

enum State {
    /// In the multiplex client's hands: its future.
    Sent(ClientCall),
    /// Queued. Holds the feed, so that it outlives its queued calls.
    Queued { slot: Arc<Slot>, _feed: Arc<Feed> },
    /// Over (or failed before it was queued).
    Done,
}

impl Call {
    pub(super) fn sent(call: ClientCall) -> Call {
        Call(State::Sent(call))
    }

    pub(super) fn queued(slot: Arc<Slot>, feed: Arc<Feed>) -> Call {
        Call(State::Queued { slot, _feed: feed })
    }

    /// A call the client's ended task never took.
    pub(super) fn failed() -> Call {
        Call(State::Done)
    }
}

impl Future for Call {
    type Output = Option<Resp>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Resp>> {
        if let State::Queued { slot, .. } = &self.0 {
            // 1. Still queued: wait for the feed to hand the request over.
            let taken = {
                let mut hand = slot.lock();
                if let Hand::Waiting(waker) = &mut *hand {
                    if !waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                        *waker = Some(cx.waker().clone());
                    }
                    return Poll::Pending;
                }
                std::mem::replace(&mut *hand, Hand::Taken)
            };
            self.0 = match taken {
                Hand::Handed(call) => State::Sent(call),
                Hand::Over(out) => {
                    self.0 = State::Done;
                    return Poll::Ready(out);
                }
                Hand::Waiting(_) | Hand::Taken => State::Done,
            };
        }
        // 2. In the client's hands: its answer, or its end.
        match &mut self.0 {
            State::Sent(call) => {
                let out = std::task::ready!(call.as_mut().poll(cx)).ok();
                self.0 = State::Done;
                Poll::Ready(out)
            }
            State::Done => Poll::Ready(None),
            State::Queued { .. } => unreachable!("handled above"),
        }
    }
}

impl fmt::Debug for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.0 {
            State::Sent(_) => "sent",
            State::Queued { .. } => "queued",
            State::Done => "done",
        };
        f.debug_tuple("Call").field(&state).finish()
    }
}

/// Where a queued call's request stands, between the feed and the call.
#[derive(Default)]
pub(super) struct Slot(Mutex<Hand>);

enum Hand {
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
    fn lock(&self) -> MutexGuard<'_, Hand> {
        // Each change is one assignment: a poisoned slot is still consistent.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// True once the caller has given up (dropped its call): only the
    /// feed's queue holds the slot.
    pub(super) fn is_abandoned(self: &Arc<Self>) -> bool {
        Arc::strong_count(self) == 1
    }

    /// The request went to the multiplex client: `call` is its future.
    /// Polled here with the caller's waker, if it has polled already, so
    /// that the answer wakes it and nothing else needs to. Returns the
    /// caller's waker if the call is over at once (the client's task had
    /// ended), to wake.
    #[must_use]
    pub(super) fn hand_over(&self, mut call: ClientCall) -> Option<Waker> {
        let mut hand = self.lock();
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
        let mut hand = self.lock();
        if let Hand::Waiting(waker) = std::mem::replace(&mut *hand, Hand::Over(None)) {
            drop(hand);
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }
}
