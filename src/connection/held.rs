//! [`Held`]: a call that keeps its request until the connection has room.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use tokio::sync::futures::OwnedNotified;

use super::link::{Answer, Link, Received};
use super::queued::Queued;
use super::shared::Shared;
use crate::Error;

/// A call whose connection's backlog was full when it was made: its `Uid`
/// is taken, but its request stays here, in the call's future, until the
/// backlog has room, then goes to the engine. Dropped before that (its
/// caller gave up), the request goes with the future and its `Uid` is
/// freed: it never cost the connection anything.
pub(crate) struct Held {
    /// The key its `Uid` was taken with.
    pub(crate) key: Arc<str>,
    /// The request, until it goes to the engine.
    request: Option<Queued>,
    /// Its size, as the backlog counts it.
    size: usize,
    link: Link,
    /// Where the engine will hand the answer (see [`Link::caller`]).
    received: Option<Received>,
    pub(crate) shared: Arc<Shared>,
    /// Notified when room comes back; enabled before each look.
    room: Pin<Box<OwnedNotified>>,
    /// As in the waiting call: the caller's `Uid`, in tagged mode.
    pub(crate) caller_uid: Option<String>,
}

impl Held {
    pub(super) fn new(
        link: Link,
        request: Queued,
        size: usize,
        received: Received,
        shared: &Arc<Shared>,
        caller_uid: Option<String>,
    ) -> Self {
        Held {
            key: request.key.clone(),
            request: Some(request),
            size,
            link,
            received: Some(received),
            room: Box::pin(shared.backlog.room()),
            shared: shared.clone(),
            caller_uid,
        }
    }

    /// True until the request goes to the engine.
    pub(crate) fn is_held(&self) -> bool {
        self.request.is_some()
    }

    /// Hands the request to the engine once there is room: where its
    /// answer will come from, or the closed error if the connection ended
    /// first (its `Uid` is then forgotten).
    pub(crate) fn poll_send(&mut self, cx: &mut Context<'_>) -> Poll<Result<Answer, Error>> {
        loop {
            // 1. Listen for room before looking, so none is missed.
            self.room.as_mut().enable();
            // 2. The connection ended: nothing to send on.
            if self.shared.is_closed() {
                return Poll::Ready(Err(self.fail()));
            }
            // 3. Room: send the request, and let the next waiter look.
            if self.shared.backlog.try_take(self.size) {
                let request = self.request.take().expect("sent once");
                let received = self.received.take().expect("sent once");
                let Some(answer) = self.link.send(request, received, &self.shared) else {
                    self.shared.backlog.give_back(self.size);
                    return Poll::Ready(Err(self.fail()));
                };
                self.shared.backlog.pass_on();
                return Poll::Ready(Ok(answer));
            }
            // 4. No room: wait for some, then look again.
            ready!(self.room.as_mut().poll(cx));
            self.room.set(self.shared.backlog.room());
        }
    }

    /// The connection ended before the request went to the engine.
    fn fail(&mut self) -> Error {
        self.request = None;
        self.shared.cancel(&self.key);
        self.shared.failed(self.shared.closed_error())
    }
}
