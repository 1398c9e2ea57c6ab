//! [`ResponseFuture`]: one call under its deadline.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project::pin_project;
use tokio::time::{Instant, Sleep};

use crate::{Error, Resp};

/// A call bounded by its deadline (or by none), or one whose deadline had
/// passed when it was made.
#[pin_project(project = ResponseFutureProj)]
#[derive(Debug)]
pub(crate) enum ResponseFuture<F> {
    Bounded {
        #[pin]
        inner: F,
        #[pin]
        sleep: Sleep,
    },
    Unbounded {
        #[pin]
        inner: F,
    },
    Expired,
}

impl<F> ResponseFuture<F> {
    pub(super) fn bounded(inner: F, deadline: Instant) -> Self {
        ResponseFuture::Bounded {
            inner,
            sleep: tokio::time::sleep_until(deadline),
        }
    }

    pub(super) fn unbounded(inner: F) -> Self {
        ResponseFuture::Unbounded { inner }
    }

    pub(super) fn expired() -> Self {
        ResponseFuture::Expired
    }
}

impl<F> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Resp, Error>>,
{
    type Output = Result<Resp, Error>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            // 1. The answer first: one that comes with the deadline wins,
            //    and a call still waiting for a connection says why when
            //    its deadline passes (the same instant as ours).
            ResponseFutureProj::Bounded { inner, sleep } => {
                if let Poll::Ready(out) = inner.poll(cx) {
                    return Poll::Ready(out);
                }
                // 2. Then the deadline.
                sleep.poll(cx).map(|()| Err(Error::Timeout(None)))
            }
            ResponseFutureProj::Unbounded { inner } => inner.poll(cx),
            ResponseFutureProj::Expired => Poll::Ready(Err(Error::Timeout(None))),
        }
    }
}
