//! [`PollOnCall`] and [`Answer`]: each handler is polled once as it is
//! called, so tokio-tower's server keeps a small future per request.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use tower::Service;

use crate::server::connection::slot::{self, Slot};

/// The connection's service with each handler polled once in `call`.
///
/// tokio-tower's server moves each call's future into a task of its
/// `FuturesUnordered`: with the server's stack, a large future, moved
/// several times per request, and the set's own placeholder task is as
/// large. Here the handler runs in a slot this wrapper keeps; an answer
/// that is ready at once (the common case) comes back in an [`Answer`] of
/// the answer's size, and the slot serves the next request. A handler
/// still working keeps its slot inside its `Answer`.
///
/// # A note on wake-ups
///
/// `call` has no task context, so that first poll is given a waker that
/// does nothing. A handler that is not done registers it and is pushed
/// to the server's set, which polls it again, with its own waker, before
/// it waits: nothing it registers is lost.
#[derive(Debug)]
pub(super) struct PollOnCall<'a, S: Service<R>, R> {
    inner: &'a mut S,
    /// The slot of the last handler that answered at once.
    spare: Option<Slot<S::Future>>,
}

impl<'a, S: Service<R>, R> PollOnCall<'a, S, R> {
    pub(super) fn new(inner: &'a mut S) -> Self {
        PollOnCall { inner, spare: None }
    }
}

impl<S: Service<R>, R> Service<R> for PollOnCall<'_, S, R>
where
    Result<S::Response, S::Error>: Unpin,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Answer<S::Future>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: R) -> Answer<S::Future> {
        let fut = self.inner.call(req);
        let mut noop = Context::from_waker(Waker::noop());
        match slot::start(self.spare.take(), fut, &mut noop) {
            Ok((out, slot)) => {
                self.spare = Some(slot);
                Answer::Done(Some(out))
            }
            Err(slot) => Answer::Working(slot),
        }
    }
}

/// A handler's answer as tokio-tower's server keeps it until it is sent.
pub(super) enum Answer<F: Future> {
    /// The handler answered when it was called (`None` once taken).
    Done(Option<F::Output>),
    /// The handler is still working, in its slot.
    Working(Slot<F>),
}

impl<F: Future> Future for Answer<F>
where
    F::Output: Unpin,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        match self.get_mut() {
            Answer::Done(out) => Poll::Ready(out.take().expect("polled after completion")),
            Answer::Working(slot) => slot
                .as_mut()
                .as_pin_mut()
                .expect("a working slot holds its handler")
                .poll(cx),
        }
    }
}
