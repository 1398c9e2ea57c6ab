//! [`ResponseFuture`]: one handler under its limit and its caller's deadline.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use pin_project::pin_project;
use tokio::time::{Instant, Sleep};
use tower::timeout::error::Elapsed;
use tower::BoxError;

use crate::{Code, Error};

/// What a request whose handler was stopped at its caller's deadline is told.
const STOPPED: &str = "the caller's deadline passed; the handler was stopped";

/// A handler's future, failed with tower's `Elapsed` at its limit or with
/// a `timeout` error at its caller's deadline, counted from its first
/// `Pending` (a deadline already passed then stops it at once).
#[pin_project]
#[derive(Debug)]
pub(crate) struct ResponseFuture<F> {
    #[pin]
    inner: F,
    limit: Option<Duration>,
    deadline: Option<Instant>,
    /// Armed on the first `Pending`: when, and whether it is the
    /// deadline's (not the limit's).
    clock: Option<(Pin<Box<Sleep>>, bool)>,
}

impl<F> ResponseFuture<F> {
    pub(super) fn new(inner: F, limit: Option<Duration>, deadline: Option<Instant>) -> Self {
        ResponseFuture {
            inner,
            limit,
            deadline,
            clock: None,
        }
    }
}

impl<F, T> Future for ResponseFuture<F>
where
    F: Future<Output = Result<T, BoxError>>,
{
    type Output = Result<T, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let (inner, limit, deadline, clock) = (this.inner, this.limit, this.deadline, this.clock);
        // 1. The handler, with its caller's deadline for the calls it makes.
        let polled = match *deadline {
            Some(d) => crate::deadline::within(d, || inner.poll(cx)),
            None => inner.poll(cx),
        };
        if let Poll::Ready(out) = polled {
            return Poll::Ready(out);
        }
        // 2. Still working: the clock, armed now, at the limit or the
        //    deadline, whichever comes first.
        let (sleep, at_deadline) = match clock {
            Some(armed) => armed,
            None => {
                let until_limit = limit.and_then(|l| Instant::now().checked_add(l));
                let (at, at_deadline) = match (until_limit, *deadline) {
                    (None, None) => return Poll::Pending,
                    (Some(l), Some(d)) if d <= l => (d, true),
                    (Some(l), _) => (l, false),
                    (None, Some(d)) => (d, true),
                };
                clock.insert((Box::pin(tokio::time::sleep_until(at)), at_deadline))
            }
        };
        ready!(sleep.as_mut().poll(cx));
        if *at_deadline {
            let stopped = Error::Server {
                code: Code::Timeout,
                message: STOPPED.to_owned(),
            };
            return Poll::Ready(Err(stopped.into()));
        }
        Poll::Ready(Err(Elapsed::new().into()))
    }
}
