//! [`Shared`]: what a connection's handles, its task and its watcher share.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use super::health::Health;
use super::inflight::{Caller, InFlight, Refused};
use super::options::ConnectionOptions;
use super::stats::CallStats;
use super::uid_mode::{Tags, UidMode};
use crate::{Code, Error, Resp};

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
    cause: OnceLock<Error>,
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
    drain_cause: OnceLock<Error>,
    /// Cancelled when the connection starts draining: lets a pool replace it.
    draining: CancellationToken,
    /// What became of the calls; shared with whoever sums them (a pool).
    pub(crate) stats: Arc<CallStats>,
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

    /// Takes `uid` for a new request; returns the key and where its answer
    /// will come, or why it was refused ([`Refused::Duplicate`]: `uid` is
    /// taken; [`Refused::Closed`]: the connection has ended;
    /// [`Refused::Draining`]: it takes no new call); [`Shared::refusal`]
    /// turns that into the caller's error.
    pub(crate) fn begin(&self, uid: &str) -> Result<(Arc<str>, oneshot::Receiver<Resp>), Refused> {
        let (caller, answer) = oneshot::channel();
        let key = self.take(uid, Some(caller))?;
        Ok((key, answer))
    }

    /// Takes `uid` for a new request whose answer its engine hands over
    /// (tokio-tower's); returns the key, or why it was refused, as
    /// [`begin`](Self::begin).
    #[cfg(feature = "tokio-tower")]
    pub(crate) fn begin_elsewhere(&self, uid: &str) -> Result<Arc<str>, Refused> {
        self.take(uid, None)
    }

    fn take(&self, uid: &str, caller: Option<Caller>) -> Result<Arc<str>, Refused> {
        // Calls start waiting on an idle connection: the silence counts
        // from now, not from the last answer (one clock read, outside the lock).
        let now = (self.len() == 0).then(Instant::now);
        let mut table = self.lock();
        if let Some(now) = now {
            table.health.progress(now);
        }
        let key = table.in_flight.begin(uid, caller)?;
        self.sync_len(&table);
        Ok(key)
    }

    /// The error of a call `begin` refused: [`Error::DuplicateUid`], or the
    /// closed error (with the drain's cause, for a draining connection).
    pub(crate) fn refusal(&self, refused: Refused, uid: &str) -> Error {
        match refused {
            Refused::Duplicate => Error::DuplicateUid(uid.to_owned()),
            Refused::Closed => self.closed_error(),
            Refused::Draining => match self.drain_cause.get() {
                Some(cause) => Error::closed(cause.clone()),
                None => self.closed_error(),
            },
        }
    }

    /// Routes an answer read from the peer, `heard_at` as for
    /// [`answer`](Shared::answer): to its caller, or, for an error answer
    /// without a `Uid` (about the whole connection), as the server's word:
    /// a going-away notice starts the drain, any other is the cause every
    /// call in flight will see.
    pub(crate) fn route(&self, resp: Resp, heard_at: Option<Instant>) {
        if resp.uid.is_empty() && resp.code == Some(Code::GoingAway) {
            let message = resp.error.unwrap_or_default();
            tracing::debug!(%message, "the server is going away; draining the connection");
            self.drain(Error::from_answer(resp.code, message));
            return;
        }
        // Keep what the answer says about the connection before it is handed over.
        let last_word = Shared::last_word(&resp);
        if self.answer(resp, heard_at) {
            return;
        }
        match last_word {
            // The server's last word about the whole connection (bad input,
            // a limit): every request in flight will see it as the cause.
            Some(cause) => self.set_cause(cause),
            None => tracing::debug!("an answer nobody waits for (late or unknown uid); dropped"),
        }
    }

    /// Hands an answer to its caller; `heard_at` is the time of the batch
    /// it came in, given with the batch's first answer. Returns false if
    /// nobody wanted it (an abandoned or unknown `Uid`): it is dropped.
    pub(crate) fn answer(&self, resp: Resp, heard_at: Option<Instant>) -> bool {
        let (caller, drained) = self.settle(&resp.uid, heard_at);
        // A caller dropped since is the same as abandoned.
        let delivered = caller.flatten().is_some_and(|c| c.send(resp).is_ok());
        if drained {
            self.drained();
        }
        delivered
    }

    /// An answer for `uid` arrived, which its engine hands over: frees the
    /// `Uid`; returns true if its caller still wants it (false for an
    /// abandoned or unknown `Uid`: the engine drops it). `heard_at` as in
    /// [`answer`](Self::answer).
    #[cfg(feature = "tokio-tower")]
    pub(crate) fn answered(&self, uid: &str, heard_at: Option<Instant>) -> bool {
        let (caller, drained) = self.settle(uid, heard_at);
        if drained {
            self.drained();
        }
        caller.is_some()
    }

    /// An answer arrived that no request of this connection went out for:
    /// it counts as hearing from the peer, and nothing else.
    #[cfg(feature = "tokio-tower")]
    pub(crate) fn heard(&self, heard_at: Option<Instant>) {
        let mut table = self.lock();
        if let Some(now) = heard_at {
            table.health.progress(now);
        }
        table.health.answered();
    }

    /// Frees `uid` for an answer, and feeds the health; returns who waited,
    /// and whether that was the last call of a draining connection.
    #[inline]
    fn settle(&self, uid: &str, heard_at: Option<Instant>) -> (Option<Option<Caller>>, bool) {
        let mut table = self.lock();
        if let Some(now) = heard_at {
            table.health.progress(now);
        }
        table.health.answered();
        let caller = table.in_flight.answer(uid);
        self.sync_len(&table);
        let drained = table.in_flight.is_draining() && !table.in_flight.has_callers();
        (caller, drained)
    }

    /// The caller of `key` gave up before its answer: tombstone, and one
    /// more timeout in a row.
    pub(crate) fn abandon(&self, key: &Arc<str>) {
        let mut table = self.lock();
        if table.in_flight.abandon(key) {
            table.health.abandoned();
            if table.in_flight.is_draining() && !table.in_flight.has_callers() {
                drop(table);
                self.drained();
            }
        }
    }

    /// Starts draining: no new call (refused with `cause`, which the
    /// connection ends with), the calls in flight go on, and the
    /// connection ends once no caller waits (tombstones aside). Only the
    /// first call counts.
    pub(crate) fn drain(&self, cause: Error) {
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

    /// Drops every waiter (the cause must be set first) and refuses new calls.
    pub(crate) fn close(&self) {
        let mut table = self.lock();
        table.in_flight.close();
        self.sync_len(&table);
    }

    /// True while some caller still waits for an answer (tombstones aside).
    pub(crate) fn has_callers(&self) -> bool {
        self.lock().in_flight.has_callers()
    }

    /// How many `Uid`s are taken (callers waiting plus tombstones).
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// [`Health::check`] at `now`.
    pub(crate) fn check(&self, now: Instant) -> Option<Error> {
        let table = self.lock();
        table.health.check(now, table.in_flight.len())
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

    /// What an answer says about the whole connection, if anything: only an
    /// error answer without a `Uid` can (the server's last word: bad input,
    /// a limit). Recorded as the cause if no caller claims the answer.
    pub(crate) fn last_word(resp: &Resp) -> Option<Error> {
        match (&resp.uid[..], &resp.error) {
            ("", Some(msg)) => Some(Error::from_answer(resp.code, msg.clone())),
            _ => None,
        }
    }

    /// Records why the connection ended; the first cause wins.
    pub(crate) fn set_cause(&self, e: Error) {
        if self.cause.set(e).is_ok() {
            self.ended.cancel();
        }
    }

    /// Why the connection ended, once it has.
    pub(crate) fn cause(&self) -> Option<&Error> {
        self.cause.get()
    }

    /// The error a request gets when the connection died under it.
    pub(crate) fn closed_error(&self) -> Error {
        Error::closed(self.cause.get().cloned().unwrap_or(Error::ClientClosed))
    }

    /// True once the connection has ended (with a recorded cause).
    pub(crate) fn is_closed(&self) -> bool {
        self.cause.get().is_some()
    }

    /// Resolves once the connection has ended.
    pub(crate) async fn ended(&self) {
        self.ended.cancelled().await
    }

    /// Ends the connection from outside: every request in flight fails
    /// with `Closed(cause)`.
    pub(crate) fn abort(&self, cause: Error) {
        self.set_cause(cause);
        self.kill.cancel();
    }

    /// The wire tags, in [`UidMode::Tagged`].
    #[inline]
    pub(crate) fn tags(&self) -> Option<&Tags> {
        self.tags.as_ref()
    }

    /// Cancelled by [`abort`](Shared::abort) (and once a drain is done):
    /// the background task stops.
    pub(crate) fn kill(&self) -> &CancellationToken {
        &self.kill
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared() -> Shared {
        Shared::new(&ConnectionOptions::default())
    }

    fn answer_to(uid: &str) -> Resp {
        Resp {
            uid: uid.into(),
            ..Resp::default()
        }
    }

    #[test]
    fn a_drain_refuses_new_calls_and_ends_the_connection_after_the_last_one() {
        let s = shared();
        let (_, mut a) = s.begin("a").unwrap();
        let (b, _rx) = s.begin("b").unwrap();
        s.drain(Error::ClientClosed);
        assert!(s.is_draining());
        assert!(matches!(s.begin("c"), Err(Refused::Draining)));
        assert!(s.answer(answer_to("a"), None));
        assert_eq!(a.try_recv().unwrap().uid, "a");
        assert!(!s.kill().is_cancelled(), "b is in flight");
        s.abandon(&b);
        assert!(s.kill().is_cancelled(), "the last caller gave up");
        assert!(matches!(s.cause(), Some(Error::ClientClosed)));
    }

    #[test]
    fn a_drain_with_nothing_in_flight_ends_the_connection_at_once() {
        let s = shared();
        s.drain(Error::ClientClosed);
        assert!(s.kill().is_cancelled());
        assert!(s.is_closed());
    }

    #[test]
    fn a_going_away_notice_starts_the_drain_and_reaches_no_caller() {
        let s = shared();
        let (_, mut empty) = s.begin("").unwrap();
        s.route(Resp::error("", Code::GoingAway, "bye"), None);
        assert!(s.is_draining());
        assert!(
            empty.try_recv().is_err(),
            "not handed to the call with an empty Uid"
        );
        assert!(!s.is_closed(), "that call is still in flight");
        let refused = s.refusal(Refused::Draining, "late");
        let cause = std::error::Error::source(&refused).and_then(|c| c.downcast_ref::<Error>());
        let going_away = matches!(
            cause,
            Some(Error::Server {
                code: Code::GoingAway,
                ..
            })
        );
        assert!(going_away, "{refused:?}");
    }
}
