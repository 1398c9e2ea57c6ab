//! [`HeldFlush`] and [`FlushWhenBusy`]: a flush the transport holds back
//! is done when the connection's service is not ready to take the next
//! request.

use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll};

use tower::Service;

/// No flush is held back.
const NONE: u8 = 0;
/// The transport holds a flush back, counting on the next request read.
const HELD: u8 = 1;
/// The service was not ready while a flush was held: the next one is done.
const FLUSH_NOW: u8 = 2;

/// Whether the transport holds a flush back, shared with the service
/// wrapper that learns when no request will be read next.
///
/// tokio-tower's server reads the next request right after it flushes,
/// unless its service is not ready. So the transport holds a flush back
/// without waking its task (the read that follows either brings a request,
/// and the server flushes again, or runs dry, which writes); only a
/// service that is not ready breaks that chain, and [`FlushWhenBusy`] then
/// wakes the task for a flush that is done.
///
/// Both sides run in the connection's task: the atomic is only there so
/// the connection's future stays `Send`.
#[derive(Debug, Default)]
pub(super) struct HeldFlush(AtomicU8);

impl HeldFlush {
    /// The transport holds a flush back.
    pub(super) fn hold(&self) {
        self.0.store(HELD, Ordering::Relaxed);
    }

    /// The transport flushed (or reading ran dry, which writes): nothing
    /// is held back. True if that flush must not be held back (the service
    /// was not ready since the last one was).
    pub(super) fn release(&self) -> bool {
        // A load and a store, not a swap (a locked instruction, for every
        // request): only the connection's task touches it.
        let was = self.0.load(Ordering::Relaxed);
        if was != NONE {
            self.0.store(NONE, Ordering::Relaxed);
        }
        was == FLUSH_NOW
    }

    /// The service is not ready: true (the task is to be woken) if a flush
    /// is held back, which the next flush then does.
    fn service_busy(&self) -> bool {
        self.0
            .compare_exchange(HELD, FLUSH_NOW, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    }
}

/// The connection's service as tokio-tower's server sees it: when it is
/// not ready and the transport holds a flush back, the task is woken and
/// that flush is done (see [`HeldFlush`]).
#[derive(Debug)]
pub(super) struct FlushWhenBusy<'a, S> {
    inner: S,
    held: &'a HeldFlush,
}

impl<'a, S> FlushWhenBusy<'a, S> {
    pub(super) fn new(inner: S, held: &'a HeldFlush) -> Self {
        FlushWhenBusy { inner, held }
    }
}

impl<S: Service<R>, R> Service<R> for FlushWhenBusy<'_, S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        let polled = self.inner.poll_ready(cx);
        if polled.is_pending() && self.held.service_busy() {
            cx.waker().wake_by_ref();
        }
        polled
    }

    #[inline]
    fn call(&mut self, req: R) -> S::Future {
        self.inner.call(req)
    }
}
