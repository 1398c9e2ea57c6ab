//! [`Set`]: the connections in rotation and the endpoints they go to,
//! shared by a pool's clones, its handles, its worker and its supervisors.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;

use super::budget::RetryBudget;
use super::call::Call;
use super::endpoint::{Endpoint, EndpointStatus};
use super::hedge::Hedger;
use super::options::PoolOptions;
use super::pick::{cheapest_of, lowest_cost, others_by_cost, pick, Candidate};
use crate::connection::{Connection, ResponseFuture};
use crate::{Addr, CloseReason, Error, Message};

/// A connection in rotation, and the endpoint it belongs to.
#[derive(Debug)]
struct Live {
    id: u64,
    endpoint: Arc<Endpoint>,
    conn: Connection,
}

impl Candidate for Live {
    fn same_endpoint(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.endpoint, &other.endpoint)
    }

    fn load(&self) -> usize {
        self.conn.in_flight()
    }

    fn latency_us(&self) -> Option<u64> {
        self.conn.latency().expected_us()
    }

    fn usable(&self) -> bool {
        !self.conn.is_closed() && !self.conn.is_draining() && !self.endpoint.is_retired()
    }
}

/// One call in this many goes to a connection picked at random, not the
/// cheapest: a connection avoided for being slow is tried now and then.
const PROBE_ONE_IN: u32 = 64;

/// This call is a probe: every [`PROBE_ONE_IN`]th call made on this
/// thread (a count of its own: no contention between threads).
#[inline]
fn probe() -> bool {
    thread_local! {
        static CALLS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    }
    CALLS.with(|calls| {
        let n = calls.get().wrapping_add(1);
        calls.set(n);
        n % PROBE_ONE_IN == 0
    })
}

/// Background work for the [`PoolWorker`](super::PoolWorker) to run.
pub(crate) enum ToWorker {
    /// An endpoint to keep `pool_size` connections to.
    Endpoint(Arc<Endpoint>),
    /// Another task, such as a discovery stream's.
    Task(Task),
}

/// A task the worker runs until it returns.
pub(crate) type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

/// What a pool (all its clones), its handles, its worker and its
/// supervisors share.
#[derive(Debug)]
pub(crate) struct Set {
    pub(crate) opts: PoolOptions,
    /// The connections in rotation; supervisors add and remove them, every
    /// call reads them (a read lock, no clone of a connection).
    conns: RwLock<Vec<Live>>,
    next_id: AtomicU64,
    /// The endpoints, in the order they were added.
    endpoints: Mutex<Vec<Arc<Endpoint>>>,
    /// New endpoints and discovery streams, to the worker that runs them.
    to_worker: mpsc::UnboundedSender<ToWorker>,
    /// Parent of every endpoint's token; cancelled when the last `Pool`
    /// clone is dropped.
    pub(crate) token: CancellationToken,
    /// Woken on every change: a connection up or down, a dial failed,
    /// the pool closed.
    pub(crate) changed: Arc<Notify>,
    /// Set by [`Set::close`]: calls fail with [`Error::ClientClosed`].
    closed: AtomicBool,
    /// How many calls may be sent again; `None`: none is.
    pub(crate) budget: Option<RetryBudget>,
    /// When slow idempotent calls get a copy; `None`: never.
    pub(crate) hedger: Option<Hedger>,
    /// Retries made and refused.
    pub(crate) counts: RetryCounts,
}

/// What became of the calls a pool could send again.
#[derive(Debug, Default)]
pub(crate) struct RetryCounts {
    pub(crate) retries: AtomicU64,
    pub(crate) retries_refused: AtomicU64,
}

impl Set {
    /// An empty set, and the receiving end of the work for its worker.
    pub(crate) fn new(opts: PoolOptions) -> (Set, mpsc::UnboundedReceiver<ToWorker>) {
        let (to_worker, new_endpoints) = mpsc::unbounded_channel();
        let budget =
            (opts.retry_budget).map(|(ratio, per_second)| RetryBudget::new(ratio, per_second));
        let hedger = opts.hedge.map(Hedger::new);
        let set = Set {
            opts,
            conns: RwLock::new(Vec::new()),
            next_id: AtomicU64::new(0),
            endpoints: Mutex::new(Vec::new()),
            to_worker,
            token: CancellationToken::new(),
            changed: Arc::new(Notify::new()),
            closed: AtomicBool::new(false),
            budget,
            hedger,
            counts: RetryCounts::default(),
        };
        (set, new_endpoints)
    }

    /// Puts a new connection in rotation; returns its id for [`Set::remove`].
    /// (In a closed pool it drains at once.)
    pub(crate) fn add(&self, endpoint: Arc<Endpoint>, conn: Connection) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut conns = self.conns.write().unwrap_or_else(|p| p.into_inner());
        // Under the lock `close` reads the connections with: each one is
        // either drained here or by `close`.
        if self.is_closed() {
            conn.drain(CloseReason::ClientClosed);
        }
        // An endpoint's connections stay side by side, for `pick`.
        let at = conns
            .iter()
            .rposition(|l| Arc::ptr_eq(&l.endpoint, &endpoint))
            .map_or(conns.len(), |i| i + 1);
        conns.insert(at, Live { id, endpoint, conn });
        drop(conns);
        self.changed.notify_waiters();
        id
    }

    /// Takes a connection out of rotation (its requests in flight finish).
    pub(crate) fn remove(&self, id: u64) {
        let mut conns = self.conns.write().unwrap_or_else(|p| p.into_inner());
        conns.retain(|l| l.id != id);
    }

    /// Sends `msg` on the connection [`pick`] chooses, in its span, or
    /// gives it back if none is up. (Sending in place, not on a clone:
    /// cloning a connection per call costs shared atomic counts.)
    ///
    /// If the call's `Uid` is taken there (in flight, or abandoned with its
    /// answer due), it goes to the least-loaded connection where it is
    /// free; the call fails with [`Error::DuplicateUid`] only if it is
    /// taken on every connection in rotation. A connection that starts
    /// draining between the pick and the send gives the call back the same
    /// way. The common case costs one try, as without the checks.
    #[inline]
    pub(crate) fn send(&self, msg: Message) -> Result<Call, Message> {
        let conns = self.conns.read().unwrap_or_else(|p| p.into_inner());
        let first = pick(&conns, self.opts.pack_up_to, probe());
        self.send_on(&conns, first, msg)
    }

    /// Sends a call again that the server of endpoint `refused` answered
    /// without running: on the cheapest connection to another endpoint, or
    /// to the same one if there is no other. Gives it back if none is up.
    pub(crate) fn send_again(&self, msg: Message, refused: usize) -> Result<Call, Message> {
        let conns = self.conns.read().unwrap_or_else(|p| p.into_inner());
        let elsewhere = cheapest_of(&conns, |l| l.endpoint.id() != refused);
        let first = elsewhere.or_else(|| pick(&conns, None, false));
        self.send_on(&conns, first, msg)
    }

    /// Sends `msg` on `first` (one of `conns`), in its span, or where its
    /// `Uid` is free (see [`Set::send`]); gives it back if none is up.
    #[inline]
    fn send_on(&self, conns: &[Live], first: Option<&Live>, msg: Message) -> Result<Call, Message> {
        let Some(first) = first else {
            return Err(msg);
        };
        let span = Call::span(self.opts.span_level, &msg.uid);
        let (sent, live) = match first.conn.try_send(msg) {
            Ok(sent) => (sent, first),
            Err(msg) => Set::send_elsewhere(conns, first, msg)?,
        };
        Ok(Call::sent(sent, span, &live.endpoint, &live.conn))
    }

    /// Sends a copy of `msg` (a slow call on endpoint `first`) on the
    /// cheapest connection to another endpoint; `None` if there is none.
    pub(crate) fn send_copy(&self, msg: &Message, first: usize) -> Option<Call> {
        let conns = self.conns.read().unwrap_or_else(|p| p.into_inner());
        let live = cheapest_of(&conns, |l| l.endpoint.id() != first)?;
        let span = Call::span(self.opts.span_level, &msg.uid);
        let sent = live.conn.try_send(msg.clone()).ok()?;
        Some(Call::sent(sent, span, &live.endpoint, &live.conn))
    }

    /// Calls sent so far, over every endpoint in the pool.
    pub(crate) fn calls(&self) -> u64 {
        self.endpoints().iter().map(|e| e.calls()).sum()
    }

    /// [`Set::send`] once `tried` gave the call back: its `Uid` is taken
    /// there, or it started draining. Returns the call and the connection
    /// it went to (the refusal is counted on `tried`), or gives the call
    /// back if every other connection drains too (the caller waits for a
    /// new one).
    #[cold]
    fn send_elsewhere<'a>(
        conns: &'a [Live],
        tried: &'a Live,
        mut msg: Message,
    ) -> Result<(ResponseFuture, &'a Live), Message> {
        // Whether a connection that takes calls had the `Uid` taken.
        let mut taken = !tried.conn.is_draining();
        for live in others_by_cost(conns, tried) {
            match live.conn.try_send(msg) {
                Ok(sent) => return Ok((sent, live)),
                Err(back) => msg = back,
            }
            taken |= !live.conn.is_draining();
        }
        match taken {
            true => Ok((tried.conn.refuse_duplicate(msg), tried)),
            false => Err(msg),
        }
    }

    /// What the next call is expected to wait on the cheapest usable
    /// connection, in microseconds (`u64::MAX` with none usable).
    pub(crate) fn cost(&self) -> u64 {
        let conns = self.conns.read().unwrap_or_else(|p| p.into_inner());
        lowest_cost(&conns).unwrap_or(u64::MAX)
    }

    /// Requests in flight over every connection in rotation.
    pub(crate) fn in_flight(&self) -> usize {
        let conns = self.conns.read().unwrap_or_else(|p| p.into_inner());
        conns.iter().map(|l| l.conn.in_flight()).sum()
    }

    /// Closes the pool: calls fail with [`Error::ClientClosed`] from now on,
    /// the supervisors stop, and every connection drains. Returns the
    /// connections, to wait for.
    pub(crate) fn close(&self) -> Vec<Connection> {
        let conns = {
            let conns = self.conns.read().unwrap_or_else(|p| p.into_inner());
            self.closed.store(true, Ordering::Release);
            conns.iter().map(|l| l.conn.clone()).collect::<Vec<_>>()
        };
        self.token.cancel();
        for conn in &conns {
            conn.drain(CloseReason::ClientClosed);
        }
        // Calls waiting for a connection fail now.
        self.changed.notify_waiters();
        conns
    }

    /// True once [`Set::close`] was called.
    #[inline]
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Connections in rotation.
    pub(crate) fn len(&self) -> usize {
        self.conns.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    fn endpoints(&self) -> MutexGuard<'_, Vec<Arc<Endpoint>>> {
        self.endpoints.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds `addr` unless present, and hands it to the worker, which starts
    /// its supervisors. Needs no runtime: the worker does the spawning.
    pub(crate) fn add_endpoint(&self, addr: Addr) {
        let mut endpoints = self.endpoints();
        if endpoints.iter().any(|e| e.addr == addr) {
            return;
        }
        let endpoint = Arc::new(Endpoint::new(addr, self.token.child_token()));
        endpoints.push(endpoint.clone());
        drop(endpoints);
        // An error means the worker is gone with the pool: nothing to dial.
        let _ = self.to_worker.send(ToWorker::Endpoint(endpoint));
    }

    /// Hands `task` to the worker, which runs it beside the supervisors.
    pub(crate) fn start(&self, task: Task) {
        // An error means the worker is gone with the pool: nothing to run.
        let _ = self.to_worker.send(ToWorker::Task(task));
    }

    /// Retires `addr`; false if it was not in the pool.
    pub(crate) fn remove_endpoint(&self, addr: &Addr) -> bool {
        let mut endpoints = self.endpoints();
        let Some(i) = endpoints.iter().position(|e| e.addr == *addr) else {
            return false;
        };
        endpoints.remove(i).retire();
        true
    }

    /// The health of every endpoint, in the order they were added.
    pub(crate) fn statuses(&self) -> Vec<EndpointStatus> {
        let mut statuses: Vec<_> = self
            .endpoints()
            .iter()
            .map(|e| (e.clone(), e.status()))
            .collect();
        let conns = self.conns.read().unwrap_or_else(|p| p.into_inner());
        for (endpoint, status) in &mut statuses {
            let its = || conns.iter().filter(|l| Arc::ptr_eq(&l.endpoint, endpoint));
            status.in_flight = its().map(|l| l.conn.in_flight()).sum();
            status.server_delay = its().filter_map(|l| l.conn.latency().server_delay()).max();
            status.round_trip = its().filter_map(|l| l.conn.latency().round_trips()).max();
        }
        statuses.into_iter().map(|(_, status)| status).collect()
    }

    /// When every endpoint is down, the most useful error to report.
    pub(crate) fn all_down(&self) -> Option<Error> {
        let endpoints = self.endpoints();
        if !endpoints.iter().all(|e| e.is_down()) {
            return None;
        }
        let last = endpoints.iter().rev().find_map(|e| e.status().last_error);
        Some(last.unwrap_or(Error::NoEndpoints))
    }

    /// The last failure seen on any endpoint.
    pub(crate) fn last_error(&self) -> Option<Error> {
        self.endpoints().iter().find_map(|e| e.status().last_error)
    }
}
