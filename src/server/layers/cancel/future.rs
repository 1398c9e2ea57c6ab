//! [`ResponseFuture`]: one request, cancellable while its handler works.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project::pin_project;

use super::registry::{Cancellations, Flag};
use crate::Resp;

/// The handler's future, dropped at once when a cancel comes for its
/// request (which then ends with `Resp::cancelled`: no answer).
#[pin_project]
#[derive(Debug)]
pub(crate) struct ResponseFuture<F> {
    /// The handler's future, until it ends or is cancelled.
    #[pin]
    inner: Option<F>,
    /// The request's number and its connection's cancellations, if it
    /// carried one.
    cancellable: Option<(u64, Arc<Cancellations>)>,
    /// Registered once the handler did not answer at once.
    registered: Option<Registered>,
}

impl<F> ResponseFuture<F> {
    pub(super) fn new(inner: F, cancellable: Option<(u64, Arc<Cancellations>)>) -> Self {
        ResponseFuture {
            inner: Some(inner),
            cancellable,
            registered: None,
        }
    }
}

impl<F, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Resp, E>>,
{
    type Output = Result<Resp, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        // 1. Cancelled: drop the handler now (its places under every limit
        //    go with it), and end without an answer.
        if this
            .registered
            .as_ref()
            .is_some_and(Registered::is_cancelled)
        {
            this.inner.set(None);
            *this.registered = None;
            return Poll::Ready(Ok(Resp::cancelled()));
        }
        let inner = this
            .inner
            .as_mut()
            .as_pin_mut()
            .expect("polled after completion");
        // 2. The handler's answer, if it has one.
        if let Poll::Ready(out) = inner.poll(cx) {
            *this.registered = None;
            return Poll::Ready(out);
        }
        // 3. Still working: a cancel may stop it from now on, and wakes us.
        if let Some((seq, cancellations)) = this.cancellable.take() {
            *this.registered = Some(Registered {
                flag: cancellations.register(seq),
                seq,
                cancellations,
            });
        }
        if let Some(registered) = this.registered {
            registered.flag.register(cx.waker());
        }
        Poll::Pending
    }
}

/// A request registered in its connection's cancellations; deregistered
/// when dropped (answered, cancelled or dropped with its connection).
#[derive(Debug)]
struct Registered {
    seq: u64,
    flag: Arc<Flag>,
    cancellations: Arc<Cancellations>,
}

impl Registered {
    fn is_cancelled(&self) -> bool {
        self.flag.is_cancelled()
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.cancellations.deregister(self.seq, &self.flag);
    }
}
