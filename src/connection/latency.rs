//! [`Latency`]: how long a connection's calls take, as its answers tell,
//! for the pool's pick and `tower::load::Load`.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Not known yet.
const UNKNOWN: u64 = u64::MAX;

/// What a connection knows of how long a call takes on it: the delay its
/// server reports (a jsonmux server puts its recent delay per request on
/// each answer to a jsonmux client), and this client's own round trips.
///
/// The server's delay is what it is for every client, measured where the
/// queue is: a server that is slow for everybody shows it on the first
/// answer, even to a client that sent it little. Round trips are what this
/// client saw, queueing on its own side included; they stand in for a
/// server that reports nothing (a Go server, or the extension off), as
/// tower's `PeakEwma` does: a slower trip counts at once, a faster one
/// moves the average an eighth of the way.
#[derive(Debug)]
pub(crate) struct Latency {
    /// The server's delay per request, in microseconds.
    server_us: AtomicU64,
    /// The round trips' peak-sensitive moving average, in microseconds.
    round_trip_us: AtomicU64,
}

impl Default for Latency {
    fn default() -> Self {
        Latency {
            server_us: AtomicU64::new(UNKNOWN),
            round_trip_us: AtomicU64::new(UNKNOWN),
        }
    }
}

impl Latency {
    /// The server says its delay is `us` microseconds.
    #[inline]
    pub(crate) fn server(&self, us: u64) {
        self.server_us.store(us.min(UNKNOWN - 1), Relaxed);
    }

    /// A call took `took`, from its start to its answer. (One task routes
    /// a connection's answers: a plain load and store are enough.)
    #[inline]
    pub(crate) fn round_trip(&self, took: Duration) {
        let sample = u64::try_from(took.as_micros()).unwrap_or(UNKNOWN - 1);
        let old = self.round_trip_us.load(Relaxed);
        let new = match old {
            UNKNOWN => sample,
            old if sample >= old => sample,
            old => old - (old - sample) / 8,
        };
        self.round_trip_us.store(new, Relaxed);
    }

    /// What a call is expected to take, in microseconds: the server's
    /// delay if it reports one, else this client's round trips; `None`
    /// before any answer.
    #[inline]
    pub(crate) fn expected_us(&self) -> Option<u64> {
        match self.server_us.load(Relaxed) {
            UNKNOWN => match self.round_trip_us.load(Relaxed) {
                UNKNOWN => None,
                rtt => Some(rtt),
            },
            server => Some(server),
        }
    }

    /// The server's reported delay, if it reports one.
    pub(crate) fn server_delay(&self) -> Option<Duration> {
        match self.server_us.load(Relaxed) {
            UNKNOWN => None,
            us => Some(Duration::from_micros(us)),
        }
    }

    /// This client's recent round trips, if any answer came.
    pub(crate) fn round_trips(&self) -> Option<Duration> {
        match self.round_trip_us.load(Relaxed) {
            UNKNOWN => None,
            us => Some(Duration::from_micros(us)),
        }
    }
}

/// What the next call would cost on a connection with `in_flight` calls
/// and an expected `latency_us`: the wait it can expect, `(in_flight + 1)
/// × latency` (at least 1 µs per call, so that load alone still counts
/// where latency reads zero).
#[inline]
pub(crate) fn cost(in_flight: usize, latency_us: u64) -> u64 {
    (in_flight as u64 + 1).saturating_mul(latency_us.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_servers_delay_wins_over_round_trips_once_known() {
        let l = Latency::default();
        assert_eq!(l.expected_us(), None);
        l.round_trip(Duration::from_micros(400));
        assert_eq!(l.expected_us(), Some(400));
        l.server(20);
        assert_eq!(l.expected_us(), Some(20));
    }

    #[test]
    fn a_slower_trip_counts_at_once_and_faster_ones_an_eighth_at_a_time() {
        let l = Latency::default();
        l.round_trip(Duration::from_micros(100));
        l.round_trip(Duration::from_micros(900));
        assert_eq!(l.expected_us(), Some(900));
        l.round_trip(Duration::from_micros(100));
        assert_eq!(l.expected_us(), Some(800));
        for _ in 0..64 {
            l.round_trip(Duration::from_micros(100));
        }
        assert!(l.expected_us().unwrap() < 110);
    }

    #[test]
    fn the_cost_grows_with_the_load_and_the_latency() {
        assert!(cost(0, 300) > cost(10, 20));
        assert!(cost(3, 20) > cost(2, 20));
        assert_eq!(cost(4, 0), 5, "load alone where latency reads zero");
    }
}
