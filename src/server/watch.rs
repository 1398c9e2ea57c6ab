//! [`Watch`]: a `CancellationToken` that a connection checks often, for
//! the price of an atomic load.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use futures_util::task::AtomicWaker;
use pin_project::pin_project;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

/// Ready once its token is cancelled, like the token's own
/// `cancelled_owned()`, whose every poll takes the token's lock and its
/// waiters' lock (shared by every connection watching the token).
///
/// The token's future is polled the first time and then only after it
/// has woken a waker of the watch's own ([`Signalled`]), which records the
/// wake-up and passes it on to the task: in between, a poll is an atomic
/// load and a comparison of wakers.
#[pin_project]
#[derive(Debug)]
pub(crate) struct Watch {
    #[pin]
    cancelled: WaitForCancellationFutureOwned,
    /// Woken by the token; wakes the task.
    signalled: Arc<Signalled>,
    /// The task, as last handed to `signalled`.
    task: Option<Waker>,
    /// `cancelled` has been polled (with `signalled` as its waker).
    watching: bool,
}

/// The waker the token's future is polled with: it records that the token
/// may be cancelled, then wakes the task that watches it.
#[derive(Debug, Default)]
struct Signalled {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl Wake for Signalled {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

impl Watch {
    pub(crate) fn new(token: CancellationToken) -> Self {
        Watch {
            cancelled: token.cancelled_owned(),
            signalled: Arc::default(),
            task: None,
            watching: false,
        }
    }
}

impl Future for Watch {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        // 1. The task to wake when the token is cancelled: this one.
        if !this.task.as_ref().is_some_and(|t| t.will_wake(cx.waker())) {
            this.signalled.task.register(cx.waker());
            *this.task = Some(cx.waker().clone());
        }
        // 2. The token itself, only if it may have changed.
        let woken = this.signalled.woken.load(Ordering::Relaxed)
            && this.signalled.woken.swap(false, Ordering::Acquire);
        if *this.watching && !woken {
            return Poll::Pending;
        }
        *this.watching = true;
        let waker = Waker::from(this.signalled.clone());
        this.cancelled.poll(&mut Context::from_waker(&waker))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_test::task;

    /// The token wakes the task that last polled the watch, and is seen at
    /// that task's next poll.
    #[test]
    fn a_cancel_wakes_the_task_that_last_polled_and_is_seen_then() {
        let token = CancellationToken::new();
        let mut watch = Box::pin(Watch::new(token.clone()));
        let (mut first, mut last) = (task::spawn(()), task::spawn(()));
        assert!(first.enter(|cx, _| watch.as_mut().poll(cx)).is_pending());
        assert!(last.enter(|cx, _| watch.as_mut().poll(cx)).is_pending());
        assert!(last.enter(|cx, _| watch.as_mut().poll(cx)).is_pending());
        assert!(!last.is_woken());
        token.cancel();
        assert!(last.is_woken());
        assert!(!first.is_woken(), "the task that left is not woken");
        assert!(last.enter(|cx, _| watch.as_mut().poll(cx)).is_ready());
    }

    /// A token cancelled before the first poll is seen at once.
    #[test]
    fn a_token_cancelled_already_is_seen_at_the_first_poll() {
        let token = CancellationToken::new();
        token.cancel();
        let mut watch = Box::pin(Watch::new(token));
        assert!(task::spawn(())
            .enter(|cx, _| watch.as_mut().poll(cx))
            .is_ready());
    }
}
