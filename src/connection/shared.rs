//! [`Shared`]: what a connection's handles, its task and its watcher share.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use super::health::Health;
use super::inflight::{InFlight, Refused};
use super::options::ConnectionOptions;
use super::uid_mode::{Tags, UidMode};
use crate::{Error, Resp};

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
    /// Cancelled to make the background task stop with `cause` (dead peer).
    kill: CancellationToken,
    /// The wire tags, in [`UidMode::Tagged`]; `None`: the caller's `Uid`
    /// goes on the wire.
    tags: Option<Tags>,
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
    /// taken; [`Refused::Closed`]: the connection has ended).
    pub(crate) fn begin(&self, uid: &str) -> Result<(Arc<str>, oneshot::Receiver<Resp>), Refused> {
        // Calls start waiting on an idle connection: the silence counts
        // from now, not from the last answer (one clock read, outside the lock).
        let now = (self.len() == 0).then(Instant::now);
        let (caller, answer) = oneshot::channel();
        let mut table = self.lock();
        if let Some(now) = now {
            table.health.progress(now);
        }
        let key = table.in_flight.begin(uid, caller)?;
        self.sync_len(&table);
        Ok((key, answer))
    }

    /// Hands an answer to its caller; `heard_at` is the time of the batch
    /// it came in, given with the batch's first answer. Returns false if
    /// nobody wanted it (an abandoned or unknown `Uid`): it is dropped.
    pub(crate) fn answer(&self, resp: Resp, heard_at: Option<Instant>) -> bool {
        let mut table = self.lock();
        if let Some(now) = heard_at {
            table.health.progress(now);
        }
        table.health.answered();
        let caller = table.in_flight.answer(&resp.uid);
        self.sync_len(&table);
        drop(table);
        // A caller dropped since is the same as abandoned.
        caller.is_some_and(|c| c.send(resp).is_ok())
    }

    /// The caller of `uid` gave up before its answer: tombstone, and one
    /// more timeout in a row.
    pub(crate) fn abandon(&self, uid: &str) {
        let mut table = self.lock();
        if table.in_flight.abandon(uid) {
            table.health.abandoned();
        }
    }

    /// The request for `uid` never reached the wire: forgets it.
    pub(crate) fn cancel(&self, uid: &str) {
        let mut table = self.lock();
        table.in_flight.cancel(uid);
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

    /// Cancelled by [`abort`](Shared::abort): the background task stops.
    pub(crate) fn kill(&self) -> &CancellationToken {
        &self.kill
    }
}
