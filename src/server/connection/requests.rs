//! [`Requests`]: what a connection keeps of its requests, whichever engine
//! drives it: how many are in flight against the limit, the counters, and
//! the extension (a request's deadline, a cancel).

use std::sync::Arc;

use tokio::time::{Duration, Instant};

use super::delay::clock_us;
use crate::server::layers::Cancellations;
use crate::server::options::ServerOptions;
use crate::server::stats::StatsHandle;
use crate::{Code, Message, Resp};

/// Cancels read in a row, at most, before the connection lets other tasks
/// run: a peer that floods them gets no more of the connection's time than
/// it would with requests.
pub(super) const MAX_CANCELS_IN_A_ROW: usize = 256;

/// A connection's book of its requests: every request read is counted in
/// flight until its answer is handed to the connection to write (or its
/// stand-in, when its caller cancelled it).
#[derive(Debug)]
pub(super) struct Requests {
    stats: StatsHandle,
    /// At this many in flight, the connection reads nothing more.
    max_in_flight: usize,
    in_flight: usize,
    /// Requests read and not yet in `stats` (counted each time reading stops).
    uncounted: u64,
    /// Requests with a deadline read and not yet in `stats`.
    uncounted_deadlines: u64,
    /// The extension is on: deadlines are kept, cancels obeyed, numbers
    /// given back on the answers.
    extension: bool,
    /// The handlers a cancel can stop.
    cancellations: Arc<Cancellations>,
    /// When this batch of requests was read, for their deadlines and the
    /// server's delay (also on its 32-bit clock): one clock read per batch.
    now: Option<(Instant, u32)>,
}

/// What a frame read turned out to be.
#[derive(Debug)]
pub(super) enum Frame {
    /// A request, to call.
    Request(Message),
    /// A cancel, done: read on.
    Cancelled,
    /// A request whose deadline had passed when it was read: its answer,
    /// to write without calling its handler.
    Expired(Resp),
}

/// What a request whose deadline passed before its handler started is told.
const TOO_LATE: &str = "the caller's deadline passed before the handler started";

impl Requests {
    pub(super) fn new(
        opts: &ServerOptions,
        stats: &StatsHandle,
        cancellations: Arc<Cancellations>,
    ) -> Self {
        Requests {
            stats: stats.clone(),
            max_in_flight: opts.max_in_flight,
            in_flight: 0,
            uncounted: 0,
            uncounted_deadlines: 0,
            extension: opts.extension,
            cancellations,
            now: None,
        }
    }

    /// A frame was read: a request (with its deadline, from the time left
    /// it came with), or, from a jsonmux client, a cancel, obeyed here.
    /// With the extension off, its fields are ignored like unknown keys.
    #[inline]
    pub(super) fn read(&mut self, mut msg: Message) -> Frame {
        if !self.extension {
            msg.ext = Default::default();
        }
        if let (true, Some(seq)) = (msg.ext.cancel, msg.ext.seq) {
            let stopped = self.cancellations.cancel(seq);
            self.stats.cancel_received(stopped);
            return Frame::Cancelled;
        }
        self.uncounted += 1;
        if msg.ext.seq.is_some() {
            msg.ext.read_us = self.batch().1;
        }
        if let Some(ms) = msg.ext.budget_ms {
            self.uncounted_deadlines += 1;
            if ms == 0 {
                // Spent on arrival: the handler is not started.
                self.stats.error_code(Code::DeadlineExceeded);
                let mut late = Resp::error(msg.uid, Code::DeadlineExceeded, TOO_LATE);
                late.seq = msg.ext.seq;
                return Frame::Expired(late);
            }
            let now = self.batch().0;
            // A budget longer than the clock can count is none.
            msg.set_deadline(now.checked_add(Duration::from_millis(ms)));
        }
        self.in_flight += 1;
        Frame::Request(msg)
    }

    /// An answer is handed over to be written: one request fewer in
    /// flight, an error answer counted by its code. False for the stand-in
    /// of a cancelled request, which is not written.
    #[inline]
    pub(super) fn answered(&mut self, resp: &Resp) -> bool {
        self.in_flight -= 1;
        if let Some(code) = resp.code {
            self.stats.error_code(code);
        }
        !resp.cancelled
    }

    /// When this batch of requests was read.
    #[inline]
    fn batch(&mut self) -> (Instant, u32) {
        *self.now.get_or_insert_with(|| {
            let now = Instant::now();
            (now, clock_us(now))
        })
    }

    /// Reading stopped (nothing more to read for now, or the end): the
    /// requests read since the last time are counted, and the next ones
    /// are a new batch.
    pub(super) fn reading_stopped(&mut self) {
        self.stats.requests(std::mem::take(&mut self.uncounted));
        self.stats
            .deadlines_received(std::mem::take(&mut self.uncounted_deadlines));
        self.now = None;
    }

    /// True with `max_in_flight` requests in flight: read nothing more.
    #[inline]
    pub(super) fn at_limit(&self) -> bool {
        self.in_flight >= self.max_in_flight
    }

    /// The server's counters.
    pub(super) fn stats(&self) -> &StatsHandle {
        &self.stats
    }

    /// True with nothing in flight: waiting for a request is idle time.
    #[inline]
    pub(super) fn is_idle(&self) -> bool {
        self.in_flight == 0
    }
}
