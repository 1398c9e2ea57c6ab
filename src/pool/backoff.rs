//! Exponential backoff with jitter, bounded.

use std::time::Duration;

/// Delays between reconnect attempts: doubling from `min` up to `max`, each
/// one drawn uniformly from the upper half of its step ("equal jitter"), so
/// that many clients restarted together do not redial in lockstep.
#[derive(Clone, Debug)]
pub(crate) struct Backoff {
    min: Duration,
    max: Duration,
    /// The current step before jitter.
    step: Duration,
    rng: fastrand::Rng,
}

impl Backoff {
    /// Delays from `min` to `max`; the builder guarantees `0 < min <= max`.
    pub(crate) fn new(min: Duration, max: Duration) -> Self {
        Backoff::with_rng(min, max, fastrand::Rng::new())
    }

    fn with_rng(min: Duration, max: Duration, rng: fastrand::Rng) -> Self {
        debug_assert!(Duration::ZERO < min && min <= max, "{min:?}..{max:?}");
        Backoff {
            min,
            max,
            step: min,
            rng,
        }
    }

    /// The next delay; each call doubles the step, up to `max`.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let step = self.step;
        self.step = (step * 2).min(self.max);
        let half = step / 2;
        half + half.mul_f64(self.rng.f64())
    }

    /// Back to the first step, after a connection proved healthy.
    pub(crate) fn reset(&mut self) {
        self.step = self.min;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn delays_double_within_jitter_and_stop_at_the_max() {
        let mut b = Backoff::with_rng(ms(100), ms(1000), fastrand::Rng::with_seed(7));
        for step in [100, 200, 400, 800, 1000, 1000, 1000] {
            let d = b.next_delay();
            assert!(
                d >= ms(step / 2) && d <= ms(step),
                "{d:?} outside {step}ms step"
            );
        }
    }

    #[test]
    fn reset_starts_over_from_the_min() {
        let mut b = Backoff::with_rng(ms(10), ms(1000), fastrand::Rng::with_seed(1));
        for _ in 0..10 {
            b.next_delay();
        }
        b.reset();
        let d = b.next_delay();
        assert!(d >= ms(5) && d <= ms(10), "{d:?} outside the first step");
    }

    #[test]
    fn jitter_spreads_clients_apart() {
        let delays: Vec<_> = (0..8)
            .map(|client| {
                Backoff::with_rng(ms(100), ms(100), fastrand::Rng::with_seed(client)).next_delay()
            })
            .collect();
        assert!(delays.windows(2).any(|w| w[0] != w[1]), "{delays:?}");
    }
}
