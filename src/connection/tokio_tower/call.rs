//! [`Call`]: one call on tokio-tower's engine, as its caller waits for it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::error::ClientCall;
use super::feed::{Feed, Offered};
use super::slot::{Hand, Slot};
use super::tags::Tagged;
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
    /// Hands `request` to `feed`'s client, now or once its hand-off is
    /// free.
    pub(super) fn send(feed: &Arc<Feed>, request: Tagged) -> Call {
        Call(match feed.offer(request) {
            Offered::Sent(call) => State::Sent(call),
            Offered::Queued(slot) => State::Queued {
                slot,
                _feed: feed.clone(),
            },
            // The client's ended task never took it.
            Offered::Ended => State::Done,
        })
    }
}

impl Future for Call {
    type Output = Option<Resp>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Resp>> {
        if let State::Queued { slot, .. } = &self.0 {
            // 1. Still queued: wait for the feed to hand the request over.
            let Some(taken) = slot.take_hand(cx.waker()) else {
                return Poll::Pending;
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

impl Drop for Call {
    fn drop(&mut self) {
        if let State::Queued { slot, .. } = &self.0 {
            // Its request is not to be sent.
            slot.give_up();
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
