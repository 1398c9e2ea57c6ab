//! [`RetryBudget`]: how many calls a pool may send again, as a share of
//! the calls it sends.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The window the budget counts over, in steps.
const STEPS: usize = 10;
/// One step of the window: it slides a second at a time.
const STEP: Duration = Duration::from_secs(1);
/// The window's length.
const WINDOW: Duration = Duration::from_secs(STEPS as u64);

/// Retries allowed over the last ten seconds: `ratio` of the calls made in
/// that time (retries not counted), plus `per_second` a second for a
/// client that makes few (as Finagle's retry budget and tower's
/// `TpsBudget`).
///
/// Sending a call costs the budget nothing: the calls are the pool's
/// connections' own counts, read only when a retry asks (rarely). A retry
/// takes the budget's lock.
#[derive(Debug)]
pub(crate) struct RetryBudget {
    ratio: f64,
    per_second: u32,
    window: Mutex<Window>,
    retries: AtomicU64,
    refused: AtomicU64,
}

/// The last [`STEPS`] seconds, a slot a second.
#[derive(Debug)]
struct Window {
    slots: [Slot; STEPS],
    /// The current slot, and when it began.
    head: usize,
    head_at: Instant,
}

#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    /// The calls sent so far, when the slot was first looked at.
    calls_at: Option<u64>,
    /// Retries made in it.
    retries: u64,
}

impl Window {
    /// Moves the window on to `now`, the calls sent so far being `calls`.
    fn advance(&mut self, now: Instant, calls: u64) {
        let steps = now.saturating_duration_since(self.head_at).as_secs();
        if steps >= STEPS as u64 {
            self.slots = [Slot::default(); STEPS];
            self.head_at = now;
        } else {
            for _ in 0..steps {
                self.head = (self.head + 1) % STEPS;
                self.slots[self.head] = Slot::default();
                self.head_at += STEP;
            }
        }
        self.slots[self.head].calls_at.get_or_insert(calls);
    }

    /// The calls sent so far when the window began (as first seen in it).
    fn calls_at_start(&self) -> u64 {
        (1..=STEPS)
            .map(|i| self.slots[(self.head + i) % STEPS])
            .find_map(|slot| slot.calls_at)
            .unwrap_or(0)
    }

    fn retries(&self) -> u64 {
        self.slots.iter().map(|slot| slot.retries).sum()
    }
}

impl RetryBudget {
    /// A budget of `ratio` retries per call sent plus `per_second`.
    pub(crate) fn new(ratio: f64, per_second: u32) -> Self {
        let mut slots = [Slot::default(); STEPS];
        slots[0].calls_at = Some(0);
        let window = Window {
            slots,
            head: 0,
            head_at: Instant::now(),
        };
        RetryBudget {
            ratio,
            per_second,
            window: Mutex::new(window),
            retries: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        }
    }

    /// One retry, when `sent` calls have been sent so far (retries and
    /// copies included): true if the budget allows it (and counts it),
    /// false if it is spent (counted too).
    pub(crate) fn withdraw(&self, sent: u64) -> bool {
        let mut window = self.window.lock().unwrap_or_else(|p| p.into_inner());
        // The budget is a share of the callers' own calls, not of retries.
        let calls = sent.saturating_sub(self.retries.load(Relaxed));
        window.advance(Instant::now(), calls);
        let made = calls.saturating_sub(window.calls_at_start()) as f64;
        let allowed = self.ratio * made + f64::from(self.per_second) * WINDOW.as_secs_f64();
        if (window.retries() + 1) as f64 > allowed {
            self.refused.fetch_add(1, Relaxed);
            return false;
        }
        let head = window.head;
        window.slots[head].retries += 1;
        self.retries.fetch_add(1, Relaxed);
        true
    }

    /// Withdrawals granted so far.
    #[cfg(test)]
    fn retries(&self) -> u64 {
        self.retries.load(Relaxed)
    }

    /// Withdrawals refused so far.
    #[cfg(test)]
    fn refused(&self) -> u64 {
        self.refused.load(Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn retries_are_a_share_of_the_calls_plus_a_few_a_second() {
        let budget = RetryBudget::new(0.2, 1);
        // 10 a second over the window, before any call.
        let granted = (0..20).filter(|_| budget.withdraw(0)).count();
        assert_eq!(granted, 10);
        // 100 calls more: 20 more retries (each retry sent counts as sent,
        // not as a call).
        let mut sent = 10 + 100;
        for _ in 0..40 {
            sent += u64::from(budget.withdraw(sent));
        }
        assert_eq!(sent, 10 + 100 + 20);
        assert_eq!((budget.retries(), budget.refused()), (30, 30));
    }

    #[tokio::test(start_paused = true)]
    async fn the_window_slides_past_old_retries() {
        let budget = RetryBudget::new(0.0, 1);
        assert_eq!((0..20).filter(|_| budget.withdraw(0)).count(), 10);
        assert!(!budget.withdraw(0), "spent");
        tokio::time::advance(WINDOW).await;
        assert!(budget.withdraw(0), "the old ones left the window");
    }

    #[tokio::test(start_paused = true)]
    async fn a_storm_adds_no_more_than_the_share() {
        // A client whose every call is refused and retried at once: over
        // a minute, retries stay within 20 % of its calls plus 10 a second.
        let budget = RetryBudget::new(0.2, 10);
        let (mut calls, mut sent) = (0, 0);
        for _ in 0..600 {
            for _ in 0..1_000 {
                calls += 1;
                sent += 1;
                sent += u64::from(budget.withdraw(sent));
            }
            tokio::time::advance(Duration::from_millis(100)).await;
        }
        let bound = 0.2 * calls as f64 + 10.0 * 60.0 + 10.0 * WINDOW.as_secs_f64();
        assert!(
            (budget.retries() as f64) <= bound,
            "{} > {bound}",
            budget.retries()
        );
        assert!(budget.retries() as f64 >= 0.19 * calls as f64);
    }
}
