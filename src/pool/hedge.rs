//! [`Hedge`]: when a pool sends a second copy of a slow idempotent call;
//! [`Hedger`]: the pool's side of it (the latencies it tracks, its counts).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::Duration;

/// When a pool sends a second copy of a call marked
/// [`idempotent`](crate::Message::idempotent) that has not been answered
/// yet: after a fixed delay, or once it is slower than a share of recent
/// calls. The copy goes to another endpoint, the first answer wins and
/// the other call is cancelled (on a jsonmux server, its handler is
/// dropped), and copies come out of the same budget as retries
/// ([`ClientBuilder::retry_budget`](crate::ClientBuilder::retry_budget)),
/// so hedging never adds more than that share of load.
///
/// Set with [`ClientBuilder::hedge`](crate::ClientBuilder::hedge).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use jsonmux::pool::Hedge;
///
/// // A copy after 20 ms without an answer:
/// let fixed = jsonmux::ClientBuilder::new().hedge(Some(Hedge::after(Duration::from_millis(20))));
/// // A copy once a call is slower than 95 % of recent ones:
/// let tail = jsonmux::ClientBuilder::new().hedge(Some(Hedge::at_percentile(95.0)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hedge {
    delay: Delay,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Delay {
    After(Duration),
    Percentile(f64),
}

impl Hedge {
    /// A copy once the call has waited `delay` (above zero).
    pub fn after(delay: Duration) -> Hedge {
        Hedge {
            delay: Delay::After(delay),
        }
    }

    /// A copy once the call has waited longer than `percentile` percent of
    /// the pool's recent idempotent calls took (above 0, below 100; 95 is
    /// typical). Until a few dozen calls have been answered, no copy is
    /// sent.
    pub fn at_percentile(percentile: f64) -> Hedge {
        Hedge {
            delay: Delay::Percentile(percentile),
        }
    }

    /// The first thing wrong with it, for the builder's terminal call.
    pub(crate) fn check(&self) -> Result<(), crate::Error> {
        match self.delay {
            Delay::After(d) if d.is_zero() => Err(crate::Error::invalid(
                "hedge",
                d,
                "the delay must be above zero",
            )),
            Delay::Percentile(p) if !(p > 0.0 && p < 100.0) => Err(crate::Error::invalid(
                "hedge",
                p,
                "the percentile must be above 0 and below 100",
            )),
            _ => Ok(()),
        }
    }
}

/// Latencies kept, the most recent ones.
const KEPT: usize = 256;
/// The percentile is worked out again after this many new latencies.
const EVERY: u64 = 32;
/// No copy is sent before this many latencies are known.
const AT_LEAST: u64 = 32;

/// A pool's hedging: the delay before a copy, and what became of copies.
#[derive(Debug)]
pub(crate) struct Hedger {
    delay: Delay,
    /// The latest latencies, in microseconds, a ring.
    latencies: Mutex<Vec<u64>>,
    seen: AtomicU64,
    /// The percentile of `latencies` as last worked out, in microseconds;
    /// 0 while unknown.
    percentile_us: AtomicU64,
    pub(crate) sent: AtomicU64,
    pub(crate) won: AtomicU64,
}

impl Hedger {
    pub(crate) fn new(hedge: Hedge) -> Self {
        Hedger {
            delay: hedge.delay,
            latencies: Mutex::new(Vec::with_capacity(KEPT)),
            seen: AtomicU64::new(0),
            percentile_us: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            won: AtomicU64::new(0),
        }
    }

    /// How long a call waits before its copy is sent; `None`: no copy
    /// (the percentile is not known yet).
    pub(crate) fn delay(&self) -> Option<Duration> {
        match self.delay {
            Delay::After(d) => Some(d),
            Delay::Percentile(_) => match self.percentile_us.load(Relaxed) {
                0 => None,
                us => Some(Duration::from_micros(us)),
            },
        }
    }

    /// True if the delay is a percentile of latencies, which calls report.
    pub(crate) fn tracks_latency(&self) -> bool {
        matches!(self.delay, Delay::Percentile(_))
    }

    /// An idempotent call was answered after `took`.
    pub(crate) fn answered(&self, took: Duration) {
        let Delay::Percentile(p) = self.delay else {
            return;
        };
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let seen = self.seen.fetch_add(1, Relaxed) + 1;
        let mut latencies = self.latencies.lock().unwrap_or_else(|e| e.into_inner());
        match latencies.len() < KEPT {
            true => latencies.push(us),
            false => latencies[(seen % KEPT as u64) as usize] = us,
        }
        if seen >= AT_LEAST && seen % EVERY == 0 {
            let mut sorted = latencies.clone();
            drop(latencies);
            sorted.sort_unstable();
            let at = ((p / 100.0) * sorted.len() as f64) as usize;
            let us = sorted[at.min(sorted.len() - 1)].max(1);
            self.percentile_us.store(us, Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_is_fixed_or_the_percentile_once_enough_calls_are_known() {
        let fixed = Hedger::new(Hedge::after(Duration::from_millis(7)));
        assert_eq!(fixed.delay(), Some(Duration::from_millis(7)));
        let tail = Hedger::new(Hedge::at_percentile(90.0));
        for us in 1..=31 {
            tail.answered(Duration::from_micros(us * 10));
        }
        assert_eq!(tail.delay(), None, "too few yet");
        tail.answered(Duration::from_micros(320));
        // 32 latencies, 10 µs to 320 µs: the 90th percentile is at index 28.
        assert_eq!(tail.delay(), Some(Duration::from_micros(290)));
    }

    #[test]
    fn invalid_hedges_name_the_option() {
        let zero = Hedge::after(Duration::ZERO).check().unwrap_err();
        assert!(zero.to_string().contains("hedge"), "{zero}");
        assert!(Hedge::at_percentile(100.0).check().is_err());
        assert!(Hedge::at_percentile(f64::NAN).check().is_err());
        assert!(Hedge::at_percentile(99.9).check().is_ok());
    }
}
