//! [`ResponseFuture`]: one call under its deadline.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project::pin_project;
use tokio::time::{Instant, Sleep};

use crate::{Code, Error, Resp};

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

/// A jsonmux server bounds a handler by the caller's deadline and says so
/// when it stops it (or finds it spent on arrival); its answer can come
/// before this side's clock has woken the call. Past the deadline, that
/// answer is the caller's timeout, with the server's word as its cause.
fn ours_if_late(out: Result<Resp, Error>, deadline: Instant) -> Result<Resp, Error> {
    match out {
        Err(
            e @ Error::Server {
                code: Code::Timeout | Code::DeadlineExceeded,
                ..
            },
        ) if Instant::now() >= deadline => Err(Error::Timeout(Some(Arc::new(e)))),
        out => out,
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
                    return Poll::Ready(ours_if_late(out, sleep.deadline()));
                }
                // 2. Then the deadline.
                sleep.poll(cx).map(|()| Err(Error::Timeout(None)))
            }
            ResponseFutureProj::Unbounded { inner } => inner.poll(cx),
            ResponseFutureProj::Expired => Poll::Ready(Err(Error::Timeout(None))),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::ready;
    use std::time::Duration;

    use super::*;

    fn stopped() -> Result<Resp, Error> {
        Err(Error::Server {
            code: Code::Timeout,
            message: "stopped".into(),
        })
    }

    #[tokio::test(start_paused = true)]
    async fn a_server_timeout_past_the_deadline_is_the_callers_timeout() {
        let deadline = Instant::now() + Duration::from_millis(50);
        let late = async move {
            tokio::time::sleep_until(deadline).await;
            stopped()
        };
        let e = ResponseFuture::bounded(late, deadline).await.unwrap_err();
        let Error::Timeout(Some(cause)) = &e else {
            panic!("expected the caller's timeout, got {e:?}");
        };
        assert!(matches!(
            **cause,
            Error::Server {
                code: Code::Timeout,
                ..
            }
        ));
        assert!(!e.is_retryable(), "the handler ran until it was stopped");
    }

    #[tokio::test(start_paused = true)]
    async fn a_server_timeout_before_the_deadline_stays_the_servers() {
        let deadline = Instant::now() + Duration::from_secs(5);
        let out = ResponseFuture::bounded(ready(stopped()), deadline).await;
        assert!(matches!(
            out,
            Err(Error::Server {
                code: Code::Timeout,
                ..
            })
        ));
    }
}
