//! [`Shared`]: what a connection's handles, its task and its watcher share.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::backlog::Backlog;
use super::cancels::{Cancel, Cancels};
use super::health::{Health, Verdict};
use super::inflight::{Answered, Caller, InFlight, Refused};
use super::latency::Latency;
use super::options::ConnectionOptions;
use super::queued::Queued;
use super::stats::CallStats;
use super::uid_mode::{Tags, UidMode};
use crate::proto::NO_LOAD;
use crate::{CloseReason, Code, Error, Resp};

/// State shared by a [`Connection`](super::Connection)'s clones, its
/// background task and, in a pool, the supervisor that watches it.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The in-flight table and the health its changes feed, under one
    /// lock: every call and every answer takes it once.
    table: Mutex<Table>,
    /// `table.in_flight.len()`, readable without the lock: the pool's load,
    /// and whether a call starts waiting on an idle connection.
    len: AtomicUsize,
    /// Why the connection ended, recorded *before* the waiters are dropped,
    /// so each of them can report it.
    cause: OnceLock<CloseReason>,
    /// Cancelled once `cause` is set: lets watchers await the end.
    ended: CancellationToken,
    /// Cancelled to make the background task stop with `cause` (dead
    /// peer, or drained).
    kill: CancellationToken,
    /// The wire tags, in [`UidMode::Tagged`]; `None`: the caller's `Uid`
    /// goes on the wire.
    tags: Option<Tags>,
    /// Set when the connection starts draining (no new call; it ends once
    /// its calls in flight are done): the cause it then ends with.
    drain_cause: OnceLock<CloseReason>,
    /// Cancelled when the connection starts draining: lets a pool replace it.
    draining: CancellationToken,
    /// What became of the calls; shared with whoever sums them (a pool).
    pub(crate) stats: Arc<CallStats>,
    /// The bytes of requests taken and not yet written, bounded.
    pub(crate) backlog: Backlog,
    /// The server answered with the extension's request numbers: it
    /// speaks the extension, so a call given up on is cancelled on it
    /// rather than reserved.
    peer_cancels: AtomicBool,
    /// The cancels for the engine to write.
    pub(crate) cancels: Cancels,
    /// A call with no deadline of its own takes the one of the request
    /// being handled, if any.
    inherit_deadline: bool,
    /// How long calls take on it, as the answers tell.
    pub(crate) latency: Arc<Latency>,
}

/// What [`Shared::route`] leaves to the engine.
#[derive(Debug)]
pub(crate) enum Routed {
    /// Nothing: the answer was handed to its caller, dropped, or taken as
    /// the server's word about the connection.
    Done,
    /// An answer for tokio-tower's multiplex client to hand over: its
    /// handle on the call, and the answer.
    #[cfg(feature = "tokio-tower")]
    HandOver(::tokio_tower::multiplex::client::Pending<Resp>, Resp),
}

#[derive(Debug)]
struct Table {
    in_flight: InFlight,
    health: Health,
}

impl Shared {
    pub(crate) fn new(opts: &ConnectionOptions) -> Self {
        let table = Table {
            in_flight: InFlight::default(),
            health: Health::new(opts, Instant::now()),
        };
        Shared {
            table: Mutex::new(table),
            len: AtomicUsize::new(0),
            cause: OnceLock::new(),
            ended: CancellationToken::new(),
            kill: CancellationToken::new(),
            tags: (opts.uid_mode == UidMode::Tagged).then(Tags::default),
            drain_cause: OnceLock::new(),
            draining: CancellationToken::new(),
            stats: Arc::default(),
            backlog: Backlog::new(opts.max_queued_bytes),
            peer_cancels: AtomicBool::new(false),
            cancels: Cancels::default(),
            inherit_deadline: opts.inherit_deadline,
            latency: Arc::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        // Every change is a single insert, update or remove, so a table
        // poisoned by a panic elsewhere is still consistent.
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn sync_len(&self, table: &Table) {
        self.len.store(table.in_flight.len(), Ordering::Relaxed);
    }

    /// The server has shown it speaks the extension (an answer carried a
    /// request's number).
    pub(crate) fn speaks_extension(&self) -> bool {
        self.peer_cancels.load(Ordering::Relaxed)
    }

    /// Takes `uid` for a new request whose answer goes to `caller`;
    /// returns the key and the request's number, or why it was refused ([`Refused::Duplicate`]:
    /// `uid` is taken; [`Refused::Closed`]: the connection has ended;
    /// [`Refused::Draining`]: it takes no new call); [`Shared::refusal`]
    /// turns that into the caller's error.
    #[inline]
    pub(crate) fn begin(&self, uid: &str, caller: Caller) -> Result<(Arc<str>, u64), Refused> {
        // The call's start, for how long it takes, from a server that does
        // not say its delay (or on an idle connection, where the silence
        // counts from; reservations left over do not make it busy).
        let idle = self.len() == 0;
        let now = (idle || !self.speaks_extension()).then(Instant::now);
        let mut table = self.lock();
        if !table.in_flight.has_callers() {
            table.health.busy(now.unwrap_or_else(Instant::now));
        }
        let taken = table.in_flight.begin(uid, caller, now)?;
        self.sync_len(&table);
        Ok(taken)
    }

    /// The error of a call `begin` refused: [`Error::DuplicateUid`], or the
    /// closed error (with the drain's cause, for a draining connection).
    pub(crate) fn refusal(&self, refused: Refused, uid: &str) -> Error {
        match refused {
            Refused::Duplicate => Error::DuplicateUid(uid.to_owned()),
            Refused::Closed => self.closed_error(),
            Refused::Draining => match self.drain_cause.get() {
                Some(cause) => Error::Closed(cause.clone()),
                None => self.closed_error(),
            },
        }
    }

    /// Routes an answer read from the peer; `heard_at` is the time of the
    /// batch it came in. Only an answer to one of this connection's calls
    /// (wanted, or late) is progress for its [`Health`]. The answer
    /// goes to its caller (on jsonmux's engine, here; on tokio-tower's,
    /// [`Routed::HandOver`] gives it back for the engine's client to hand
    /// over) or is dropped if nobody wants it (an abandoned or unknown
    /// `Uid`). An error answer without a `Uid` is about the whole
    /// connection, the server's word: a going-away notice starts the drain,
    /// any other that no caller claims is the cause every call in flight
    /// will see.
    pub(crate) fn route(&self, mut resp: Resp, heard_at: Option<Instant>) -> Routed {
        if resp.uid.is_empty() && resp.code == Some(Code::GoingAway) {
            let message = resp.error.unwrap_or_default();
            tracing::debug!(%message, "the server is going away; draining the connection");
            self.drain(CloseReason::Server {
                code: Code::GoingAway,
                message,
            });
            return Routed::Done;
        }
        // Only an error answer without a Uid can be about the connection;
        // keep what it said before the answer is handed over.
        let last_word = match (&resp.uid[..], &resp.error) {
            ("", Some(msg)) => Some(CloseReason::Server {
                code: resp.code.unwrap_or(Code::Unknown),
                message: msg.clone(),
            }),
            _ => None,
        };
        // The request's number is the connection's business, not the caller's.
        let seq = resp.seq.take();
        if seq.is_some() && !self.peer_cancels.load(Ordering::Relaxed) {
            self.peer_cancels.store(true, Ordering::Relaxed);
        }
        if resp.load != NO_LOAD {
            self.latency.server(u64::from(resp.load));
        }
        let mut table = self.lock();
        let caller = match table.in_flight.answer(&resp.uid, seq) {
            Answered::Wanted(caller, began) => {
                match (resp.code, began) {
                    (Some(Code::Overloaded), _) => self.latency.turned_away(),
                    (_, Some(began)) => {
                        let heard_at = heard_at.unwrap_or_else(Instant::now);
                        self.latency
                            .round_trip(heard_at.saturating_duration_since(began));
                    }
                    (_, None) => self.latency.answered(),
                }
                table.health.answered(heard_at, true);
                Some(caller)
            }
            Answered::Late => {
                table.health.answered(heard_at, false);
                None
            }
            Answered::Unknown => None,
        };
        self.sync_len(&table);
        let drained = table.in_flight.is_drained();
        drop(table);
        let claimed = match caller {
            // A caller dropped since is the same as abandoned.
            Some(Caller::Channel(c)) => c.send(resp).is_ok(),
            #[cfg(feature = "tokio-tower")]
            Some(Caller::TokioTower(slot)) => match slot.take_pending() {
                Some(pending) => {
                    if drained {
                        self.drained();
                    }
                    return Routed::HandOver(pending, resp);
                }
                // The connection is closing: its caller reads the cause.
                None => false,
            },
            _ => false,
        };
        if drained {
            self.drained();
        }
        if claimed {
            return Routed::Done;
        }
        match last_word {
            // The server's last word about the whole connection (bad input,
            // a limit): the connection ends with it, and every request in
            // flight sees it as the cause, whether or not the peer closes.
            Some(cause) => self.abort(cause),
            None => tracing::debug!("an answer nobody waits for (late or unknown uid); dropped"),
        }
        Routed::Done
    }

    /// The caller of `key` gave up before its answer: one more timeout in
    /// a row, and either a cancel for the server (it speaks the extension:
    /// the `Uid` is free at once) or a reservation (if that makes too many
    /// reservations, the connection retires: it drains).
    pub(crate) fn abandon(&self, key: &Arc<str>) {
        self.give_up(key, true);
    }

    /// The caller of `key` gave up on purpose (its call was answered
    /// elsewhere): as [`abandon`](Self::abandon), but not a timeout.
    pub(crate) fn withdraw(&self, key: &Arc<str>) {
        self.give_up(key, false);
    }

    /// [`abandon`](Self::abandon), one more timeout in a row if `timed_out`.
    fn give_up(&self, key: &Arc<str>, timed_out: bool) {
        let now = Instant::now();
        if self.peer_cancels.load(Ordering::Relaxed) {
            return self.cancel_on_peer(key, now, timed_out);
        }
        let mut table = self.lock();
        if !table.in_flight.abandon(key) {
            return;
        }
        match timed_out {
            true => table.health.abandoned(now, true),
            false => table.health.withdrawn(now, true),
        }
        let spent = table.health.too_many_reserved(table.in_flight.reserved());
        let drained = table.in_flight.is_drained();
        drop(table);
        match spent {
            Some(cause) => self.drain(cause),
            None if drained => self.drained(),
            None => {}
        }
    }

    /// [`abandon`](Self::abandon) on a connection whose server speaks the
    /// extension: the `Uid` is freed and the server told to drop the request.
    fn cancel_on_peer(&self, key: &Arc<str>, now: Instant, timed_out: bool) {
        let mut table = self.lock();
        let Some(seq) = table.in_flight.give_up(key) else {
            return;
        };
        // The server answers a cancelled request with nothing: it owes no
        // answer, so the silence does not count against it.
        match timed_out {
            true => table.health.abandoned(now, false),
            false => table.health.withdrawn(now, false),
        }
        self.sync_len(&table);
        let drained = table.in_flight.is_drained();
        drop(table);
        self.cancels.push(Cancel {
            uid: key.clone(),
            seq,
        });
        self.stats.cancel_sent();
        if drained {
            self.drained();
        }
    }

    /// The caller of `key` gave up before its request was handed to the
    /// engine (it waited for room): forgets it, and one more timeout in a row.
    pub(crate) fn abandon_unsent(&self, key: &Arc<str>) {
        let now = Instant::now();
        let mut table = self.lock();
        table.in_flight.cancel(key);
        table.health.abandoned(now, false);
        self.sync_len(&table);
        let drained = table.in_flight.is_drained();
        drop(table);
        if drained {
            self.drained();
        }
    }

    /// jsonmux's task is about to write `batch`: keeps the requests whose
    /// caller still waits, and drops the others (their callers gave up
    /// while they were queued, so no answer must come for them: their
    /// `Uid`s are free).
    pub(crate) fn sending(&self, batch: &mut Vec<Queued>) {
        if batch.iter().all(Queued::surely_wanted) {
            return;
        }
        let mut table = self.lock();
        let before = table.in_flight.len();
        batch.retain(|q| table.in_flight.sending(&q.key));
        if table.in_flight.len() != before {
            self.sync_len(&table);
        }
    }

    /// Writes are blocked since `since` (the peer takes nothing), or flow
    /// again (`None`): for [`Health`]'s write timeout.
    pub(crate) fn write_blocked(&self, since: Option<Instant>) {
        self.lock().health.write_blocked(since);
    }

    /// Starts draining: no new call (refused with `cause`, which the
    /// connection ends with), the calls in flight go on, and the
    /// connection ends once no caller waits (reservations aside). Only the
    /// first call counts.
    pub(crate) fn drain(&self, cause: CloseReason) {
        let mut table = self.lock();
        if table.in_flight.is_draining() || self.is_closed() {
            return;
        }
        table.in_flight.drain();
        let _ = self.drain_cause.set(cause);
        let drained = !table.in_flight.has_callers();
        drop(table);
        self.draining.cancel();
        if drained {
            self.drained();
        }
    }

    /// The last call of a draining connection is done: the task stops.
    fn drained(&self) {
        if let Some(cause) = self.drain_cause.get() {
            self.abort(cause.clone());
        }
    }

    /// True once the connection has started draining (it takes no new call).
    #[inline]
    pub(crate) fn is_draining(&self) -> bool {
        self.drain_cause.get().is_some()
    }

    /// Resolves once the connection starts draining.
    pub(crate) async fn draining(&self) {
        self.draining.cancelled().await
    }

    /// The request of `key` never reached the wire: forgets it.
    pub(crate) fn cancel(&self, key: &Arc<str>) {
        let mut table = self.lock();
        table.in_flight.cancel(key);
        self.sync_len(&table);
    }

    /// Drops every waiter (the cause must be set first), refuses new
    /// calls, and wakes the calls waiting for room in the backlog.
    pub(crate) fn close(&self) {
        let mut table = self.lock();
        table.in_flight.close();
        self.sync_len(&table);
        drop(table);
        self.backlog.close();
    }

    /// True while some caller still waits for an answer (reservations aside).
    pub(crate) fn has_callers(&self) -> bool {
        self.lock().in_flight.has_callers()
    }

    /// How many `Uid`s are taken (callers waiting plus reservations).
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// [`Health::check`] at `now`: the cause if the peer is dead (for the
    /// watcher to abort the connection with). A spent connection is
    /// drained here, its replacement the watcher's to dial.
    pub(crate) fn check(&self, now: Instant) -> Option<CloseReason> {
        let mut table = self.lock();
        let Table { in_flight, health } = &mut *table;
        let verdict = health.check(now, in_flight);
        drop(table);
        match verdict? {
            Verdict::Dead(cause) => Some(cause),
            Verdict::Retire(cause) => {
                tracing::debug!(error = %cause, "retiring the connection");
                self.drain(cause);
                None
            }
        }
    }

    /// [`Health::check_every`].
    pub(crate) fn check_every(&self) -> Duration {
        self.lock().health.check_every()
    }

    /// Counts a call failed with `e`; returns it.
    pub(crate) fn failed(&self, e: Error) -> Error {
        self.stats.failed(&e);
        e
    }

    /// True if a call with no deadline of its own takes the one of the
    /// request being handled.
    #[inline]
    pub(crate) fn inherits_deadline(&self) -> bool {
        self.inherit_deadline
    }

    /// The wire tags, in [`UidMode::Tagged`].
    #[inline]
    pub(crate) fn tags(&self) -> Option<&Tags> {
        self.tags.as_ref()
    }
}

mod end;
#[cfg(test)]
mod tests;
