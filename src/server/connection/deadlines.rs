//! [`Deadlines`]: what a connection is waiting for, the next deadline of
//! that wait, and what happens when it passes.
//!
//! Pure: every instant is given by the caller, which reads the clock only
//! when a new wait begins.

use std::time::Duration;

use tokio::time::Instant;

use crate::server::close::Close;
use crate::server::options::ServerOptions;
use crate::server::shutdown::DRAIN_QUIET;

/// How long a connection waits idle before it gives its buffers back (not
/// at once: a busy connection is idle for a moment after every batch).
pub(crate) const RELEASE_AFTER: Duration = Duration::from_secs(1);

/// What a connection is waiting for; each has its own clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wait {
    /// A first byte, with nothing in flight: the idle timeout runs (and,
    /// sooner, the buffers are released); while draining, the connection
    /// closes once quiet instead.
    Idle,
    /// The rest of a frame that has started: the frame timeout runs.
    Frame,
    /// The peer to take the answers written (its socket is full): the
    /// write timeout runs.
    Write,
    /// Answers to requests in flight: no clock (the handler timeout covers
    /// each of them).
    Answers,
}

/// What happens at a deadline.
#[derive(Debug)]
pub(crate) enum Due {
    /// The idle connection gives its buffers back and waits on.
    Release,
    /// The connection ends, for this reason.
    Close(Close),
}

/// The connection's timeouts, and the wait under way.
#[derive(Debug)]
pub(crate) struct Deadlines {
    idle_timeout: Option<Duration>,
    frame_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    /// The server is draining: an idle connection is done once quiet.
    draining: bool,
    /// The wait under way; `None` after activity, until the next wait begins.
    current: Option<Current>,
}

/// One wait: what for, since when, and whether the buffers are released.
#[derive(Clone, Copy, Debug)]
struct Current {
    wait: Wait,
    since: Instant,
    /// Nothing (more) to release during this wait.
    released: bool,
}

impl Deadlines {
    pub(crate) fn new(opts: &ServerOptions) -> Self {
        Deadlines {
            idle_timeout: opts.idle_timeout,
            frame_timeout: opts.frame_timeout,
            write_timeout: opts.write_timeout,
            draining: false,
            current: None,
        }
    }

    /// The server is draining: from the next wait on, a connection idle for
    /// [`DRAIN_QUIET`] (or its idle timeout, if shorter) is
    /// [`Close::Drained`]. Quiet counts from now, not from the start of a
    /// wait under way.
    pub(crate) fn going_away(&mut self) {
        self.draining = true;
        self.current = None;
    }

    /// How long the peer gets to take a write, if it is limited.
    pub(crate) fn write_timeout(&self) -> Option<Duration> {
        self.write_timeout
    }

    /// What the connection waits for now, if a wait has begun since the
    /// last activity.
    pub(crate) fn waiting(&self) -> Option<Wait> {
        self.current.map(|c| c.wait)
    }

    /// A wait for `wait` begins at `now`; `holds_buffers`: the connection
    /// has buffers an idle wait could give back.
    pub(crate) fn begin(&mut self, wait: Wait, now: Instant, holds_buffers: bool) {
        self.current = Some(Current {
            wait,
            since: now,
            released: !holds_buffers,
        });
    }

    /// Activity (a request read): whatever the next wait is, its clocks
    /// start anew, so a busy connection is never idle for long.
    pub(crate) fn activity(&mut self) {
        self.current = None;
    }

    /// The buffers were given back: the idle wait's next deadline is its
    /// timeout.
    pub(crate) fn released(&mut self) {
        if let Some(current) = &mut self.current {
            current.released = true;
        }
    }

    /// The next deadline of the wait under way and what happens then;
    /// `None` when no clock runs.
    pub(crate) fn next(&self) -> Option<(Instant, Due)> {
        let (at, next) = self.upcoming()?;
        let close = |close: fn(Duration) -> Close, limit: Option<Duration>| {
            Due::Close(close(limit.expect("a deadline comes from a limit")))
        };
        let due = match next {
            Next::Release => Due::Release,
            Next::Drained => Due::Close(Close::Drained),
            Next::Idle => close(Close::IdleTimeout, self.idle_timeout),
            Next::Frame => close(Close::FrameTimeout, self.frame_timeout),
            Next::Write => close(Close::WriteTimeout, self.write_timeout),
        };
        Some((at, due))
    }

    /// The next deadline alone (what [`next`](Deadlines::next) gives,
    /// without making the reason to close): what a connection checks
    /// after every batch.
    #[inline]
    pub(crate) fn next_at(&self) -> Option<Instant> {
        self.upcoming().map(|(at, _)| at)
    }

    /// The next deadline, and what it is for.
    #[inline]
    fn upcoming(&self) -> Option<(Instant, Next)> {
        let Current {
            wait,
            since,
            released,
        } = self.current?;
        let after = |limit: Option<Duration>, next| limit.map(|limit| (since + limit, next));
        match wait {
            Wait::Answers => None,
            Wait::Frame => after(self.frame_timeout, Next::Frame),
            Wait::Write => after(self.write_timeout, Next::Write),
            Wait::Idle if self.draining => {
                let quiet = self
                    .idle_timeout
                    .map_or(DRAIN_QUIET, |t| t.min(DRAIN_QUIET));
                Some((since + quiet, Next::Drained))
            }
            Wait::Idle => {
                let timeout = after(self.idle_timeout, Next::Idle);
                let release = since + RELEASE_AFTER;
                match timeout {
                    // No release right before a close.
                    Some((at, _)) if released || at <= release => timeout,
                    _ if released => None,
                    _ => Some((release, Next::Release)),
                }
            }
        }
    }
}

/// What a deadline is for: the cheap form of [`Due`].
#[derive(Clone, Copy, Debug)]
enum Next {
    Release,
    Drained,
    Idle,
    Frame,
    Write,
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    fn deadlines(idle: Option<u64>, frame: Option<u64>, write: Option<u64>) -> Deadlines {
        let secs = |s: Option<u64>| s.map(Duration::from_secs);
        Deadlines::new(&ServerOptions {
            idle_timeout: secs(idle),
            frame_timeout: secs(frame),
            write_timeout: secs(write),
            ..ServerOptions::default()
        })
    }

    /// The deadline and what ends there, as `(seconds after t0, what)`.
    fn next(d: &Deadlines, t0: Instant) -> Option<(u64, String)> {
        d.next().map(|(at, due)| {
            let what = match due {
                Due::Release => "release".to_owned(),
                Due::Close(Close::Drained) => "drained".to_owned(),
                Due::Close(close) => close.code().expect("a timeout has a code").to_string(),
            };
            ((at - t0).as_secs(), what)
        })
    }

    /// No clock runs before a wait begins, nor while answers are awaited.
    #[test]
    fn no_deadline_before_a_wait_or_while_answers_are_awaited() {
        let t0 = Instant::now();
        let mut d = deadlines(Some(300), Some(10), Some(30));
        assert_eq!(next(&d, t0), None);
        d.begin(Wait::Answers, t0, true);
        assert_eq!(d.waiting(), Some(Wait::Answers));
        assert_eq!(next(&d, t0), None);
    }

    /// A started frame and a full socket each run their own timeout from
    /// the start of the wait.
    #[test]
    fn frame_and_write_waits_end_at_their_timeouts() {
        let t0 = Instant::now();
        let mut d = deadlines(Some(300), Some(10), Some(30));
        d.begin(Wait::Frame, t0 + 5 * SEC, true);
        assert_eq!(next(&d, t0), Some((15, "frame_timeout".into())));
        d.begin(Wait::Write, t0 + 7 * SEC, true);
        assert_eq!(next(&d, t0), Some((37, "write_timeout".into())));
    }

    /// A timeout set to `None` runs no clock.
    #[test]
    fn a_timeout_turned_off_has_no_deadline() {
        let t0 = Instant::now();
        let mut d = deadlines(Some(300), None, None);
        d.begin(Wait::Frame, t0, true);
        assert_eq!(next(&d, t0), None);
        d.begin(Wait::Write, t0, true);
        assert_eq!(next(&d, t0), None);
    }

    /// An idle connection holding buffers gives them back after
    /// `RELEASE_AFTER`, then is closed at the idle timeout.
    #[test]
    fn an_idle_wait_releases_the_buffers_first_then_closes() {
        let t0 = Instant::now();
        let mut d = deadlines(Some(300), Some(10), Some(30));
        d.begin(Wait::Idle, t0, true);
        assert_eq!(next(&d, t0), Some((1, "release".into())));
        d.released();
        assert_eq!(next(&d, t0), Some((300, "idle_timeout".into())));
    }

    /// An idle connection with no buffers, or an idle timeout no later than
    /// the release, goes straight to the timeout.
    #[test]
    fn an_idle_wait_with_nothing_to_release_goes_to_its_timeout() {
        let t0 = Instant::now();
        let mut d = deadlines(Some(300), None, None);
        d.begin(Wait::Idle, t0, false);
        assert_eq!(next(&d, t0), Some((300, "idle_timeout".into())));
        let mut short = deadlines(Some(1), None, None);
        short.begin(Wait::Idle, t0, true);
        assert_eq!(next(&short, t0), Some((1, "idle_timeout".into())));
    }

    /// Without an idle timeout an idle connection only releases its
    /// buffers, then waits with no clock.
    #[test]
    fn without_an_idle_timeout_only_the_release_is_due() {
        let t0 = Instant::now();
        let mut d = deadlines(None, None, None);
        d.begin(Wait::Idle, t0, true);
        assert_eq!(next(&d, t0), Some((1, "release".into())));
        d.released();
        assert_eq!(next(&d, t0), None);
    }

    /// Activity ends the wait: the next one starts its clocks anew, with
    /// buffers to release again.
    #[test]
    fn activity_ends_the_wait_and_the_next_one_starts_anew() {
        let t0 = Instant::now();
        let mut d = deadlines(Some(300), Some(10), Some(30));
        d.begin(Wait::Idle, t0, true);
        d.released();
        d.activity();
        assert_eq!(d.waiting(), None);
        assert_eq!(next(&d, t0), None);
        d.begin(Wait::Idle, t0 + 50 * SEC, true);
        assert_eq!(next(&d, t0), Some((51, "release".into())));
    }

    /// Draining, an idle connection is done once quiet, counted from the
    /// notice; other waits keep their clocks.
    #[test]
    fn draining_an_idle_connection_closes_once_quiet() {
        let t0 = Instant::now();
        let mut d = deadlines(Some(300), Some(10), Some(30));
        d.begin(Wait::Idle, t0, true);
        d.going_away();
        assert_eq!(
            d.waiting(),
            None,
            "the quiet clock starts with the next wait"
        );
        d.begin(Wait::Idle, t0 + 5 * SEC, true);
        assert_eq!(next(&d, t0), Some((6, "drained".into())));
        d.begin(Wait::Frame, t0 + 5 * SEC, true);
        assert_eq!(next(&d, t0), Some((15, "frame_timeout".into())));
        let mut short = deadlines(Some(0), None, None);
        short.going_away();
        short.begin(Wait::Idle, t0, true);
        assert_eq!(next(&short, t0), Some((0, "drained".into())));
    }
}
