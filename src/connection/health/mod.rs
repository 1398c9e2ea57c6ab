//! [`Health`]: whether the peer of a connection still looks alive.

use std::time::Duration;

use tokio::time::Instant;

use super::inflight::InFlight;
use super::options::ConnectionOptions;
use crate::CloseReason;

/// Longest time between two checks: the "too many timeouts" rule is seen
/// within this long even with a long (or no) read timeout.
const CHECK_EVERY_MAX: Duration = Duration::from_millis(250);
/// Shortest time between two checks, however short the read timeout: the
/// watcher's wake-ups stay bounded.
const CHECK_EVERY_MIN: Duration = Duration::from_millis(5);

/// Dead-peer detection for one connection, and the bound on what a peer
/// that loses answers makes it keep: what it has heard from its peer, and
/// the rules that declare the peer dead or the connection spent.
///
/// Only answers to this connection's own calls count as hearing from the
/// peer: an answer to a `Uid` it never sent (unknown, empty, `null`), a
/// duplicate or an unsolicited flood proves nothing, so it changes nothing
/// here.
///
/// The peer is dead ([`Verdict::Dead`]: replace the connection now):
///
/// * **Silence** (`read_timeout`): callers are waiting and no answer to
///   any of its calls arrived for this long → [`CloseReason::PeerSilent`]. The
///   clock restarts at every batch of answers, and when callers start
///   waiting on a connection that had none: idle time never counts,
///   whatever reservations are left over. (Unless a caller gave up less
///   than `read_timeout` before, with no answer since: the peer still owes
///   that answer, and the silence goes on, so calls one after the other
///   that each give up add up to a silent peer.)
/// * **Not reading** (`write_timeout`): requests wait to be written and
///   the peer has taken no byte for this long → [`CloseReason::PeerNotReading`].
/// * **Timeouts in a row** (`max_consecutive_timeouts`): this many callers
///   gave up one after the other with no answer reaching a caller in
///   between → [`CloseReason::TooManyTimeouts`]. (A late answer shows the peer
///   is alive, not that calls succeed: it does not end the streak.)
///
/// The connection is spent ([`Verdict::Retire`]: drain it, so it takes no
/// new call and ends once its calls in flight are done) when the answers
/// of calls given up on are overdue → [`CloseReason::AnswersOverdue`]:
///
/// * **Too many** (`max_abandoned`): this many reservations at once.
/// * **Too old** (`abandoned_timeout`): a reservation lived through a
///   whole generation of this length (so it is between one and two
///   generations old, give or take one check).
///
/// A reservation is what keeps a late answer from reaching a later call
/// with the same `Uid`; dropping one while the connection takes calls
/// would break that, so the connection goes instead, and its replacement
/// starts with every `Uid` free.
///
/// A plain value, fed by the connection (under the lock of its in-flight
/// table) and asked by whoever watches the connection with
/// [`check`](Health::check); every method takes the time as an argument.
#[derive(Debug)]
pub(crate) struct Health {
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    max_consecutive_timeouts: Option<usize>,
    abandoned_timeout: Option<Duration>,
    max_abandoned: Option<usize>,
    /// The last answer to one of our calls, or the moment callers started
    /// waiting on an idle connection.
    last_progress: Instant,
    /// Callers that gave up in a row, with no answer reaching a caller since.
    abandoned_streak: usize,
    /// When a caller last gave up, if no answer to our calls came since.
    gave_up_at: Option<Instant>,
    /// Since when the peer has taken no byte of what waits to be written.
    write_blocked_since: Option<Instant>,
    /// When the current generation of reservations started.
    generation_started: Instant,
}

/// What [`Health::check`] found.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// The peer is dead: end the connection with this cause.
    Dead(CloseReason),
    /// The connection is spent: drain it, ending with this cause.
    Retire(CloseReason),
}

impl Health {
    /// A connection opened at `now` with `opts`'s rules.
    pub(crate) fn new(opts: &ConnectionOptions, now: Instant) -> Self {
        Health {
            read_timeout: opts.read_timeout,
            write_timeout: opts.write_timeout,
            max_consecutive_timeouts: opts.max_consecutive_timeouts,
            abandoned_timeout: opts.abandoned_timeout,
            max_abandoned: opts.max_abandoned,
            last_progress: now,
            abandoned_streak: 0,
            gave_up_at: None,
            write_blocked_since: None,
            generation_started: now,
        }
    }

    /// Callers started waiting on an idle connection at `now`: the silence
    /// counts from `now`, unless the peer owes an answer to a caller who
    /// gave up less than `read_timeout` ago.
    #[inline]
    pub(crate) fn busy(&mut self, now: Instant) {
        if let (Some(limit), Some(at)) = (self.read_timeout, self.gave_up_at) {
            if now.saturating_duration_since(at) < limit {
                return;
            }
        }
        self.last_progress = now;
    }

    /// An answer to one of this connection's calls arrived, in a batch
    /// read at `heard_at` (if given): the silence counts from then, and if
    /// its caller still `wanted` it, the streak of timeouts ends.
    #[inline]
    pub(crate) fn answered(&mut self, heard_at: Option<Instant>, wanted: bool) {
        if let Some(now) = heard_at {
            self.last_progress = now;
        }
        self.gave_up_at = None;
        if wanted {
            self.abandoned_streak = 0;
        }
    }

    /// A caller gave up at `now` before its answer: one more timeout in a
    /// row, and, if its request went out (`owed`), an answer the peer owes.
    #[inline]
    pub(crate) fn abandoned(&mut self, now: Instant, owed: bool) {
        self.abandoned_streak += 1;
        self.withdrawn(now, owed);
    }

    /// A call withdrawn on purpose (the copy of a hedged call that lost):
    /// not a timeout, so not one more in a row; `owed` as for
    /// [`abandoned`](Self::abandoned).
    pub(crate) fn withdrawn(&mut self, now: Instant, owed: bool) {
        if owed {
            self.gave_up_at = Some(now);
        }
    }

    /// With `reserved` reservations held: the cause to retire the
    /// connection with, if that is too many.
    pub(crate) fn too_many_reserved(&self, reserved: usize) -> Option<CloseReason> {
        match self.max_abandoned {
            Some(max) if reserved >= max => Some(CloseReason::AnswersOverdue(reserved)),
            _ => None,
        }
    }

    /// Writes are blocked since `since` (the peer takes nothing), or
    /// flowing again (`None`).
    pub(crate) fn write_blocked(&mut self, since: Option<Instant>) {
        self.write_blocked_since = since;
    }

    /// The verdict at `now` on the connection whose calls are `in_flight`
    /// (whose reservations it ages, a generation per `abandoned_timeout`).
    pub(crate) fn check(&mut self, now: Instant, in_flight: &mut InFlight) -> Option<Verdict> {
        if let Some(limit) = self.read_timeout {
            let silent = now.saturating_duration_since(self.last_progress);
            if in_flight.has_callers() && silent >= limit {
                return Some(Verdict::Dead(CloseReason::PeerSilent(silent)));
            }
        }
        if let (Some(limit), Some(since)) = (self.write_timeout, self.write_blocked_since) {
            let blocked = now.saturating_duration_since(since);
            if blocked >= limit {
                return Some(Verdict::Dead(CloseReason::PeerNotReading(blocked)));
            }
        }
        match self.max_consecutive_timeouts {
            Some(max) if self.abandoned_streak >= max => {
                return Some(Verdict::Dead(CloseReason::TooManyTimeouts(
                    self.abandoned_streak,
                )));
            }
            _ => {}
        }
        let ttl = self.abandoned_timeout?;
        if now.saturating_duration_since(self.generation_started) < ttl {
            return None;
        }
        self.generation_started = now;
        match in_flight.new_generation() {
            0 => None,
            overdue => Some(Verdict::Retire(CloseReason::AnswersOverdue(overdue))),
        }
    }

    /// How often [`check`](Health::check) should be asked: a quarter of
    /// the shorter of the read and write timeouts, so a dead peer is
    /// caught within 1.25 times it, kept between [`CHECK_EVERY_MIN`] and
    /// [`CHECK_EVERY_MAX`].
    pub(crate) fn check_every(&self) -> Duration {
        let shortest = match (self.read_timeout, self.write_timeout) {
            (Some(r), Some(w)) => Some(r.min(w)),
            (r, w) => r.or(w),
        };
        shortest.map_or(CHECK_EVERY_MAX, |t| {
            (t / 4).clamp(CHECK_EVERY_MIN, CHECK_EVERY_MAX)
        })
    }
}

#[cfg(test)]
mod tests;
