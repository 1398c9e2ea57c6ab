//! [`Shared`] itself: its fields, the one lock on its in-flight table
//! and health, and what reads them without a rule of its own.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::connection::backlog::Backlog;
use crate::connection::cancels::Cancels;
use crate::connection::health::Health;
use crate::connection::inflight::InFlight;
use crate::connection::latency::Latency;
use crate::connection::options::ConnectionOptions;
use crate::connection::stats::CallStats;
use crate::connection::uid_mode::{Tags, UidMode};
use crate::{CloseReason, Error};

/// State shared by a [`Connection`](crate::Connection)'s clones, its
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
    pub(super) cause: OnceLock<CloseReason>,
    /// Cancelled once `cause` is set: lets watchers await the end.
    pub(super) ended: CancellationToken,
    /// Cancelled to make the background task stop with `cause` (dead
    /// peer, or drained).
    pub(super) kill: CancellationToken,
    /// The wire tags, in [`UidMode::Tagged`]; `None`: the caller's `Uid`
    /// goes on the wire.
    tags: Option<Tags>,
    /// Set when the connection starts draining (no new call; it ends once
    /// its calls in flight are done): the cause it then ends with.
    pub(super) drain_cause: OnceLock<CloseReason>,
    /// Cancelled when the connection starts draining: lets a pool replace it.
    pub(super) draining: CancellationToken,
    /// What became of the calls; shared with whoever sums them (a pool).
    pub(crate) stats: Arc<CallStats>,
    /// The bytes of requests taken and not yet written, bounded.
    pub(crate) backlog: Backlog,
    /// The server answered with the extension's request numbers: it
    /// speaks the extension, so a call given up on is cancelled on it
    /// rather than reserved.
    pub(super) peer_cancels: AtomicBool,
    /// The cancels for the engine to write.
    pub(crate) cancels: Cancels,
    /// A call with no deadline of its own takes the one of the request
    /// being handled, if any.
    inherit_deadline: bool,
    /// How long calls take on it, as the answers tell.
    pub(crate) latency: Arc<Latency>,
}

/// The in-flight table and the health its changes feed, under
/// [`Shared`]'s one lock.
#[derive(Debug)]
pub(super) struct Table {
    pub(super) in_flight: InFlight,
    pub(super) health: Health,
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

    pub(super) fn lock(&self) -> MutexGuard<'_, Table> {
        // Every change is a single insert, update or remove, so a table
        // poisoned by a panic elsewhere is still consistent.
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn sync_len(&self, table: &Table) {
        self.len.store(table.in_flight.len(), Ordering::Relaxed);
    }

    /// The server has shown it speaks the extension (an answer carried a
    /// request's number).
    pub(crate) fn speaks_extension(&self) -> bool {
        self.peer_cancels.load(Ordering::Relaxed)
    }

    /// True while some caller still waits for an answer (reservations aside).
    pub(crate) fn has_callers(&self) -> bool {
        self.lock().in_flight.has_callers()
    }

    /// How many `Uid`s are taken (callers waiting plus reservations).
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
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
