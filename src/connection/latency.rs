//! [`Latency`]: how long a connection's calls take, as its answers tell,
//! for the pool's pick and `tower::load::Load`.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Not known yet.
const UNKNOWN: u64 = u64::MAX;

/// What a connection knows of how long a call takes on it: the delay its
/// server reports (a jsonmux server puts its recent delay per request on
/// each answer to a jsonmux client), this client's own round trips, and
/// a penalty for the calls its server turned away.
///
/// The server's delay is what it is for every client, measured where the
/// queue is: a server that is slow for everybody shows it on the first
/// answer, even to a client that sent it little. Round trips are what this
/// client saw, queueing on its own side included; they stand in for a
/// server that reports nothing (a Go server, or the extension off), as
/// tower's `PeakEwma` does: a slower trip counts at once, a faster one
/// moves the average an eighth of the way.
///
/// A server that sheds calls answers them at once: by delay alone it
/// would look fast, and take ever more. So each call it turns away
/// doubles a penalty (from 1 ms, up to 1 s) that counts as its latency
/// while it is above it, and that each answer it gives loses an eighth of.
#[derive(Debug)]
pub(crate) struct Latency {
    /// The server's delay per request, in microseconds.
    server_us: AtomicU64,
    /// The round trips' peak-sensitive moving average, in microseconds.
    round_trip_us: AtomicU64,
    /// The penalty for calls turned away, in microseconds.
    penalty_us: AtomicU64,
}

/// The first penalty for a call turned away: 1 ms.
const PENALTY_MIN_US: u64 = 1_000;
/// The most it grows to: 1 s.
const PENALTY_MAX_US: u64 = 1_000_000;

impl Default for Latency {
    fn default() -> Self {
        Latency {
            server_us: AtomicU64::new(UNKNOWN),
            round_trip_us: AtomicU64::new(UNKNOWN),
            penalty_us: AtomicU64::new(0),
        }
    }
}

impl Latency {
    /// The server says its delay is `us` microseconds.
    #[inline]
    pub(crate) fn server(&self, us: u64) {
        self.server_us.store(us.min(UNKNOWN - 1), Relaxed);
    }

    /// The server turned a call away without running it (overloaded).
    pub(crate) fn turned_away(&self) {
        let old = self.penalty_us.load(Relaxed);
        let new = (old * 2).clamp(PENALTY_MIN_US, PENALTY_MAX_US);
        self.penalty_us.store(new, Relaxed);
    }

    /// A call was answered (not turned away): the penalty, if any, loses
    /// an eighth. (One task routes a connection's answers: a plain load
    /// and store are enough.)
    #[inline]
    pub(crate) fn answered(&self) {
        let penalty = self.penalty_us.load(Relaxed);
        if penalty > 0 {
            self.penalty_us
                .store(penalty - penalty.div_ceil(8), Relaxed);
        }
    }

    /// A call took `took`, from its start to its answer.
    #[inline]
    pub(crate) fn round_trip(&self, took: Duration) {
        self.answered();
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
        let told = match self.server_us.load(Relaxed) {
            UNKNOWN => match self.round_trip_us.load(Relaxed) {
                UNKNOWN => None,
                rtt => Some(rtt),
            },
            server => Some(server),
        };
        match self.penalty_us.load(Relaxed) {
            0 => told,
            penalty => Some(told.map_or(penalty, |us| us.max(penalty))),
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
    fn calls_turned_away_weigh_until_answers_come_again() {
        let l = Latency::default();
        l.server(20);
        l.turned_away();
        l.turned_away();
        assert_eq!(l.expected_us(), Some(2 * PENALTY_MIN_US));
        for _ in 0..40 {
            l.round_trip(Duration::from_micros(20));
        }
        assert_eq!(
            l.expected_us(),
            Some(20),
            "answered again: the penalty is gone"
        );
    }

    #[test]
    fn the_cost_grows_with_the_load_and_the_latency() {
        assert!(cost(0, 300) > cost(10, 20));
        assert!(cost(3, 20) > cost(2, 20));
        assert_eq!(cost(4, 0), 5, "load alone where latency reads zero");
    }
}
