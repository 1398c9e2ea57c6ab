//! [`Health`]: whether the peer of a connection still looks alive.

use std::time::Duration;

use tokio::time::Instant;

use super::options::ConnectionOptions;
use crate::Error;

/// Longest time between two checks: the "too many timeouts" rule is seen
/// within this long even with a long (or no) read timeout.
const CHECK_EVERY_MAX: Duration = Duration::from_millis(250);
/// Shortest time between two checks, however short the read timeout: the
/// watcher's wake-ups stay bounded.
const CHECK_EVERY_MIN: Duration = Duration::from_millis(5);

/// Dead-peer detection for one connection: what it has heard from its peer,
/// and the two rules that declare the peer dead.
///
/// * **Silence** (`read_timeout`): calls are waiting and nothing arrived
///   for this long → [`Error::PeerSilent`]. The clock restarts at every
///   batch of answers and when calls start waiting on a connection that
///   had none, so idle time never counts.
/// * **Timeouts in a row** (`max_consecutive_timeouts`): this many callers
///   gave up one after the other with no answer arriving in between →
///   [`Error::TooManyTimeouts`].
///
/// A plain value, fed by the connection (under the lock of its in-flight
/// table) and asked by whoever watches the connection with
/// [`check`](Health::check); every method takes the time as an argument.
#[derive(Debug)]
pub(crate) struct Health {
    read_timeout: Option<Duration>,
    max_consecutive_timeouts: Option<usize>,
    /// The last answer received, or the moment calls started waiting on an
    /// idle connection.
    last_progress: Instant,
    /// Callers that gave up in a row, with no answer arriving since.
    abandoned_streak: usize,
}

impl Health {
    /// A connection opened at `now` with `opts`'s rules.
    pub(crate) fn new(opts: &ConnectionOptions, now: Instant) -> Self {
        Health {
            read_timeout: opts.read_timeout,
            max_consecutive_timeouts: opts.max_consecutive_timeouts,
            last_progress: now,
            abandoned_streak: 0,
        }
    }

    /// Something was heard at `now` (a batch of answers), or calls started
    /// waiting on an idle connection: the silence counts from `now`.
    #[inline]
    pub(crate) fn progress(&mut self, now: Instant) {
        self.last_progress = now;
    }

    /// An answer arrived (wanted or not): the streak of timeouts ends.
    #[inline]
    pub(crate) fn answered(&mut self) {
        self.abandoned_streak = 0;
    }

    /// A caller gave up before its answer.
    #[inline]
    pub(crate) fn abandoned(&mut self) {
        self.abandoned_streak += 1;
    }

    /// The verdict at `now`, with `in_flight` `Uid`s taken on the
    /// connection: `Some(why)` if the peer is to be deemed dead.
    pub(crate) fn check(&self, now: Instant, in_flight: usize) -> Option<Error> {
        if let Some(limit) = self.read_timeout {
            let silent = now.saturating_duration_since(self.last_progress);
            if in_flight > 0 && silent >= limit {
                return Some(Error::PeerSilent(silent));
            }
        }
        match self.max_consecutive_timeouts {
            Some(max) if self.abandoned_streak >= max => {
                Some(Error::TooManyTimeouts(self.abandoned_streak))
            }
            _ => None,
        }
    }

    /// How often [`check`](Health::check) should be asked: a quarter of
    /// the read timeout, so a silent peer is caught within 1.25 times it,
    /// kept between [`CHECK_EVERY_MIN`] and [`CHECK_EVERY_MAX`].
    pub(crate) fn check_every(&self) -> Duration {
        self.read_timeout.map_or(CHECK_EVERY_MAX, |t| {
            (t / 4).clamp(CHECK_EVERY_MIN, CHECK_EVERY_MAX)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    fn health(read_timeout: Option<Duration>, max: Option<usize>, t0: Instant) -> Health {
        let opts = ConnectionOptions {
            read_timeout,
            max_consecutive_timeouts: max,
            ..ConnectionOptions::default()
        };
        Health::new(&opts, t0)
    }

    #[test]
    fn silence_with_calls_waiting_is_fatal_once_it_reaches_the_read_timeout() {
        let t0 = Instant::now();
        let h = health(Some(10 * SEC), None, t0);
        assert!(h.check(t0 + 9 * SEC, 1).is_none());
        let dead = h.check(t0 + 10 * SEC, 1);
        assert!(
            matches!(dead, Some(Error::PeerSilent(d)) if d == 10 * SEC),
            "{dead:?}"
        );
    }

    #[test]
    fn silence_with_nothing_in_flight_is_idle_time_not_a_dead_peer() {
        let t0 = Instant::now();
        let h = health(Some(SEC), None, t0);
        assert!(h.check(t0 + 100 * SEC, 0).is_none());
    }

    #[test]
    fn progress_restarts_the_silence() {
        let t0 = Instant::now();
        let mut h = health(Some(10 * SEC), None, t0);
        h.progress(t0 + 8 * SEC);
        assert!(h.check(t0 + 17 * SEC, 3).is_none());
        assert!(h.check(t0 + 18 * SEC, 3).is_some());
    }

    #[test]
    fn timeouts_in_a_row_are_fatal_at_the_limit_and_an_answer_ends_the_streak() {
        let t0 = Instant::now();
        let mut h = health(None, Some(3), t0);
        h.abandoned();
        h.abandoned();
        assert!(h.check(t0, 2).is_none());
        h.answered();
        h.abandoned();
        h.abandoned();
        assert!(h.check(t0, 2).is_none(), "the answer reset the streak");
        h.abandoned();
        assert!(matches!(h.check(t0, 3), Some(Error::TooManyTimeouts(3))));
    }

    #[test]
    fn silence_is_reported_before_the_streak() {
        let t0 = Instant::now();
        let mut h = health(Some(SEC), Some(1), t0);
        h.abandoned();
        assert!(matches!(h.check(t0 + SEC, 1), Some(Error::PeerSilent(_))));
    }

    #[test]
    fn rules_turned_off_never_fire() {
        let t0 = Instant::now();
        let mut h = health(None, None, t0);
        for _ in 0..1000 {
            h.abandoned();
        }
        assert!(h.check(t0 + 1000 * SEC, 1000).is_none());
    }

    #[test]
    fn checks_come_at_a_quarter_of_the_read_timeout_within_bounds() {
        let t0 = Instant::now();
        let every = |rt| health(rt, None, t0).check_every();
        assert_eq!(
            every(Some(Duration::from_millis(400))),
            Duration::from_millis(100)
        );
        assert_eq!(every(Some(Duration::from_millis(4))), CHECK_EVERY_MIN);
        assert_eq!(every(Some(30 * SEC)), CHECK_EVERY_MAX);
        assert_eq!(every(None), CHECK_EVERY_MAX);
    }
}
