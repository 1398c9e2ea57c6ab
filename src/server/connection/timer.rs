//! [`Timer`]: a connection's one timer, for the next deadline of its wait.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tokio::time::{Instant, Sleep};

/// Where the timer sits before the first wait (about a year away).
const FAR_FUTURE: Duration = Duration::from_secs(365 * 24 * 3600);

/// A `Sleep` that a connection points at the deadline of each wait, which
/// costs next to nothing when the deadline moves later, as it does after
/// every batch of a busy connection.
///
/// Resetting a `Sleep` takes the runtime's timer lock: the timer is only
/// ever pulled earlier. A timer left set too early fires, finds the
/// deadline later, and is set again, at most once per wait. Polling it
/// registers the task's waker: once it has, and until it fires or is
/// reset, it is not polled again.
#[derive(Debug)]
pub(super) struct Timer {
    sleep: Pin<Box<Sleep>>,
    /// The task the sleep wakes: it was left pending with this waker, and
    /// has neither fired nor been reset since.
    armed: Option<Waker>,
}

impl Timer {
    pub(super) fn new() -> Self {
        Timer {
            sleep: Box::pin(tokio::time::sleep(FAR_FUTURE)),
            armed: None,
        }
    }

    /// Ready once `deadline` has passed; otherwise wakes the task then (or
    /// sooner, to be polled again).
    pub(super) fn poll_until(&mut self, deadline: Instant, cx: &mut Context<'_>) -> Poll<()> {
        if self.sleep.deadline() > deadline {
            self.sleep.as_mut().reset(deadline);
            self.armed = None;
        }
        loop {
            let armed = self.armed.as_ref().is_some_and(|w| w.will_wake(cx.waker()));
            if armed && !self.sleep.is_elapsed() {
                return Poll::Pending;
            }
            if self.sleep.as_mut().poll(cx).is_pending() {
                if !armed {
                    self.armed = Some(cx.waker().clone());
                }
                return Poll::Pending;
            }
            self.armed = None;
            if self.sleep.deadline() >= deadline {
                return Poll::Ready(());
            }
            self.sleep.as_mut().reset(deadline);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_test::task;

    const MS: Duration = Duration::from_millis(1);

    /// The timer fires at the deadline of the wait, later than the one it
    /// was set to first, and wakes the task that waits.
    #[tokio::test(start_paused = true)]
    async fn a_later_deadline_is_kept_and_the_earlier_one_is_only_a_wake_up() {
        let t0 = Instant::now();
        let mut timer = Timer::new();
        let mut waiting = task::spawn(());
        assert!(waiting
            .enter(|cx, _| timer.poll_until(t0 + 10 * MS, cx))
            .is_pending());
        assert!(waiting
            .enter(|cx, _| timer.poll_until(t0 + 30 * MS, cx))
            .is_pending());
        tokio::time::sleep(10 * MS).await;
        assert!(waiting.is_woken(), "woken at the first deadline");
        assert!(waiting
            .enter(|cx, _| timer.poll_until(t0 + 30 * MS, cx))
            .is_pending());
        tokio::time::sleep(19 * MS).await;
        assert!(waiting
            .enter(|cx, _| timer.poll_until(t0 + 30 * MS, cx))
            .is_pending());
        tokio::time::sleep(MS).await;
        assert!(waiting.is_woken());
        assert!(waiting
            .enter(|cx, _| timer.poll_until(t0 + 30 * MS, cx))
            .is_ready());
    }

    /// An earlier deadline pulls the timer in; a task that takes over the
    /// wait is the one woken.
    #[tokio::test(start_paused = true)]
    async fn an_earlier_deadline_pulls_the_timer_in_and_wakes_the_task_that_waits() {
        let t0 = Instant::now();
        let mut timer = Timer::new();
        let (mut first, mut last) = (task::spawn(()), task::spawn(()));
        assert!(first
            .enter(|cx, _| timer.poll_until(t0 + 30 * MS, cx))
            .is_pending());
        assert!(last
            .enter(|cx, _| timer.poll_until(t0 + 5 * MS, cx))
            .is_pending());
        tokio::time::sleep(5 * MS).await;
        assert!(last.is_woken());
        assert!(!first.is_woken(), "the first task no longer waits on it");
        assert!(last
            .enter(|cx, _| timer.poll_until(t0 + 5 * MS, cx))
            .is_ready());
    }
}
