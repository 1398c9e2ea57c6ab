//! [`Feed`]: how a connection's calls reach tokio-tower's multiplex
//! client, whose hand-off to its task holds one request at a time.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll, Waker};

use tower::Service;

use super::error::{ClientCall, ClientError};
use super::slot::Slot;
use super::tags::Tagged;
use crate::Resp;

/// tokio-tower's multiplex client, whatever its transport.
pub(super) type Client =
    Box<dyn Service<Tagged, Response = Resp, Error = ClientError, Future = ClientCall> + Send>;

/// The queue in front of the multiplex client, shared by a connection's
/// handles; it makes the client (not `Clone`, `&mut` to call) shareable,
/// as tower's `Buffer` would, without a task of its own.
///
/// The client takes a request when its one-slot hand-off is free. A call
/// that finds nothing queued and the hand-off free goes straight in;
/// otherwise its request is queued. The client's task *pumps* the queue:
/// each time it takes a request out of the hand-off (its transport is
/// asked for the request's tag, see [`pump`](Feed::pump)), the next queued
/// request goes in at once. So that task takes every queued request in
/// one turn of its loop, and no other task is woken on the way: only the
/// call whose request is handed over is polled, so that its answer wakes
/// its caller.
///
/// Nothing is queued while the hand-off is free: the request in it is
/// what pumps the queue when the client's task takes it. A request whose
/// caller gave up while it was queued is dropped, never sent (its `Uid` is
/// freed). When the client's task ends, the queued calls fail (see
/// [`close`](Feed::close)); the connection has recorded its cause. The
/// queue is bounded by the connection's backlog, like jsonmux's engine's.
pub(crate) struct Feed {
    state: Mutex<State>,
}

struct State {
    /// `None` once the client's task has ended.
    client: Option<Client>,
    /// Requests waiting for the hand-off, in the order they came.
    queue: VecDeque<Tagged>,
}

/// Whether the client takes a new request now: see [`State::hand_off`].
enum HandOff {
    /// Yes: call it.
    Free,
    /// Its hand-off is full, or requests are queued before it.
    Busy,
    /// Its task has ended.
    Ended,
}

/// What became of a request [offered](Feed::offer) to the client.
pub(super) enum Offered {
    /// In the client's hands: its future.
    Sent(ClientCall),
    /// Queued, until the client's hand-off is free; its call waits on
    /// this slot.
    Queued(Arc<Slot>),
    /// The client's task has ended: never taken.
    Ended,
}

/// The queued calls of a feed that ended, to fail outside its lock.
type Failed = VecDeque<Tagged>;

impl Feed {
    /// A feed for the client `make` builds; `make` gets the feed's weak
    /// handle, for the transport to [`pump`](Feed::pump) it and for
    /// whatever must [`close`](Feed::close) it.
    pub(super) fn new(make: impl FnOnce(Weak<Feed>) -> Client) -> Arc<Feed> {
        Arc::new_cyclic(|feed| Feed {
            state: Mutex::new(State {
                client: Some(make(feed.clone())),
                queue: VecDeque::new(),
            }),
        })
    }

    /// Hands `request` to the client, now if its hand-off is free and
    /// nothing is queued before it, else queues it.
    pub(super) fn offer(&self, request: Tagged) -> Offered {
        let mut state = self.lock();
        match state.hand_off() {
            HandOff::Free => Offered::Sent(state.call(request)),
            HandOff::Ended => Offered::Ended,
            HandOff::Busy => {
                let slot = request.slot().clone();
                state.queue.push_back(request);
                Offered::Queued(slot)
            }
        }
    }

    /// The client's task took the request out of its hand-off: the next
    /// queued one goes in (the requests of callers who gave up are dropped
    /// on the way).
    pub(super) fn pump(&self) {
        let pumped = self.lock().pump();
        // Outside the lock: a caller's waker may run its task at once.
        match pumped {
            Ok(Some(waker)) => waker.wake(),
            Ok(None) => {}
            Err(failed) => fail(failed),
        }
    }

    /// The client's task has ended: the queued calls fail, and so does
    /// every later one. (The connection's cause is recorded first.)
    pub(super) fn close(&self) {
        let failed = self.lock().close();
        fail(failed);
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Each change leaves the state consistent: one poisoned by a panic
        // elsewhere is still good.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Fails the calls of `queue`: their requests are dropped (their `Uid`s
/// freed), their callers woken.
fn fail(queue: Failed) {
    for request in queue {
        let slot = request.slot().clone();
        drop(request);
        slot.fail();
    }
}

impl State {
    /// Whether a new request can go to the client now: nothing is queued
    /// before it and the hand-off is free.
    fn hand_off(&mut self) -> HandOff {
        match self.queue.is_empty() {
            true => self.ready(),
            false => HandOff::Busy,
        }
    }

    /// Whether the client's hand-off is free.
    fn ready(&mut self) -> HandOff {
        let Some(client) = &mut self.client else {
            return HandOff::Ended;
        };
        // Nobody to wake when it is full: the request in it pumps the
        // queue when the client's task takes it.
        match client.poll_ready(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(Ok(())) => HandOff::Free,
            Poll::Ready(Err(_)) => {
                self.client = None;
                HandOff::Ended
            }
            Poll::Pending => HandOff::Busy,
        }
    }

    /// See [`Feed::pump`]. Returns the caller to wake, if its call is
    /// over at once, or the calls to fail, if the client's task has ended.
    fn pump(&mut self) -> Result<Option<Waker>, Failed> {
        // Requests whose callers gave up: never sent, their `Uid`s freed.
        while self
            .queue
            .front()
            .is_some_and(|request| request.slot().is_abandoned())
        {
            self.queue.pop_front();
        }
        if self.queue.is_empty() {
            return Ok(None);
        }
        match self.ready() {
            HandOff::Free => {
                let request = self.queue.pop_front().expect("checked above");
                let slot = request.slot().clone();
                Ok(slot.hand_over(self.call(request)))
            }
            HandOff::Ended => Err(self.close()),
            // Full: its next take pumps again.
            HandOff::Busy => Ok(None),
        }
    }

    /// Calls the client, whose hand-off [`ready`](Self::ready) found free.
    fn call(&mut self, request: Tagged) -> ClientCall {
        let client = self.client.as_mut().expect("ready: the client is there");
        client.call(request)
    }

    /// The client's task has ended: no more requests go to it. Returns the
    /// queued calls, to fail.
    fn close(&mut self) -> Failed {
        self.client = None;
        std::mem::take(&mut self.queue)
    }
}

impl fmt::Debug for Feed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Feed").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
