//! [`Pool`]: requests spread over many connections to many endpoints.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio_util::sync::DropGuard;
use tower::load::Load;
use tower::Service;

use super::attempts::{Attempts, Plan};
use super::future::ResponseFuture;
use super::handle::Endpoints;
use super::options::PoolOptions;
use super::set::Set;
use super::supervisor::close;
use super::worker::PoolWorker;
use crate::{Addr, Error, Message, Resp};

/// Connections to one or more endpoints, as one `Service`: each request
/// goes to the live connection where it is expected to wait least (see
/// [`Connection::cost`](crate::Connection::cost): its requests in flight
/// times the delay its server reports, or this client's round trips to
/// it), and one in 64 to any live connection, so that one avoided for
/// being slow is tried again and taken back once it has recovered.
///
/// Every endpoint gets `pool_size` connections, each kept alive by a
/// supervisor that redials with exponential backoff and jitter when it
/// fails or is closed (noticed at once, even when idle), and replaces it
/// when the peer looks dead (no answer for the read timeout while requests
/// wait, or too many timeouts in a row). Requests in flight on a connection
/// that dies fail with [`Error::Closed`] and the cause. The supervisors run
/// in one [`PoolWorker`]: [`Pool::new`] spawns it, [`Pool::pair`] hands it
/// to you.
///
/// `Pool` is cheap to [`Clone`]: clones share the connections, so it needs
/// no `Buffer` to be shared by many tasks. The supervisors stop when the
/// last clone is dropped.
///
/// `poll_ready` is always ready: a connection's queue needs no reservation.
/// While no connection is up, a call's future waits for one (so a timeout
/// layer above bounds the wait) or, with `fail_fast`, fails at once with
/// [`Error::Unavailable`]. The pool never fails `poll_ready`, so it is also
/// safe behind `Buffer`, which would otherwise give up for good.
///
/// Each answer is routed on the connection its request went out on, and a
/// `Uid` is taken per connection (see [`Connection`](crate::Connection)):
/// a call whose `Uid` is taken on the connection the pool picks (in
/// flight, or abandoned with its late answer due) goes to the least-loaded
/// connection where it is free, so a retry after a timeout with the same
/// `Uid` works as long as one connection has it free. Only when it is
/// taken on every connection in rotation does the call fail with
/// [`Error::DuplicateUid`] (waiting could last until a hung peer is
/// replaced). [`UidMode::Tagged`](crate::client::UidMode::Tagged) lifts
/// the rule altogether.
///
/// Endpoints come from the list given here, from
/// [`Endpoints::add`]/[`remove`](Endpoints::remove), and from any
/// `tower::discover::Discover` stream of addresses given to
/// [`Endpoints::discover`] (such as [`DnsDiscover`](super::DnsDiscover)).
///
/// As a `tower::load::Load`, a pool's load is the wait the next call can
/// expect on its cheapest connection, so a balancer can pick between pools
/// (one per region, say).
///
/// [`Pool::new`] and [`Pool::pair`] take the default options;
/// [`ClientBuilder::pool`](crate::ClientBuilder::pool) and
/// [`ClientBuilder::pool_pair`](crate::ClientBuilder::pool_pair) take a
/// builder's. [`Client`](crate::Client) is the ready stack over a pool.
///
/// # Examples
///
/// A pool under your own layers, its worker run by you:
///
/// ```
/// use std::time::Duration;
/// use jsonmux::{Message, Pool};
/// use tower::{ServiceBuilder, ServiceExt};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), tower::BoxError> {
/// # let server = jsonmux::Server::builder().bind("127.0.0.1:0").await?;
/// # let addr = server.local_addr().unwrap();
/// # tokio::spawn(server.serve(jsonmux::HelloService, std::future::pending::<()>()));
/// let (pool, worker) = Pool::pair([addr]);
/// tokio::spawn(worker);
/// let svc = ServiceBuilder::new()
///     .timeout(Duration::from_secs(1)) // bounds the wait for a connection too
///     .concurrency_limit(64)
///     .service(pool);
/// let resp = svc.oneshot(Message::new("pixel-1", "pixelpig!")).await?;
/// assert_eq!(resp.val, "server: hello, pixelpig!");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Pool {
    set: Arc<Set>,
    /// Stops every supervisor when the last clone is dropped.
    stop: Arc<DropGuard>,
}

impl Pool {
    /// A pool over `addrs` with the default options; its worker is spawned
    /// with `tokio::spawn`, so it must be called within a tokio runtime.
    pub fn new<A: Into<Addr>>(addrs: impl IntoIterator<Item = A>) -> Pool {
        Pool::with_options(PoolOptions::default(), addrs.into_iter().map(Into::into))
    }

    /// A pool over `addrs` with the default options, and its
    /// [`PoolWorker`] for you to run (as tower's `Buffer::pair` does):
    /// nothing is dialed until it runs.
    pub fn pair<A: Into<Addr>>(addrs: impl IntoIterator<Item = A>) -> (Pool, PoolWorker) {
        Pool::pair_with(PoolOptions::default(), addrs.into_iter().map(Into::into))
    }

    /// [`Pool::new`] with a builder's options.
    pub(crate) fn with_options(opts: PoolOptions, addrs: impl IntoIterator<Item = Addr>) -> Pool {
        let (pool, worker) = Pool::pair_with(opts, addrs);
        tokio::spawn(worker);
        pool
    }

    /// [`Pool::pair`] with a builder's options.
    pub(crate) fn pair_with(
        opts: PoolOptions,
        addrs: impl IntoIterator<Item = Addr>,
    ) -> (Pool, PoolWorker) {
        let (set, new_endpoints) = Set::new(opts);
        let set = Arc::new(set);
        for addr in addrs {
            set.add_endpoint(addr);
        }
        let worker = PoolWorker::new(set.clone(), new_endpoints);
        let stop = Arc::new(set.token.clone().drop_guard());
        (Pool { set, stop }, worker)
    }

    /// Waits until one connection is up, or every endpoint has failed to connect.
    pub(crate) async fn wait_first(&self) -> Result<(), Error> {
        loop {
            let changed = self.set.changed.clone().notified_owned();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.set.len() > 0 {
                return Ok(());
            }
            if let Some(e) = self.set.all_down() {
                return Err(e);
            }
            changed.await;
        }
    }

    /// The pool's endpoints: add or remove them, read their health.
    pub fn endpoints(&self) -> Endpoints {
        Endpoints::new(self.set.clone())
    }

    /// Connections in rotation right now.
    pub fn connections(&self) -> usize {
        self.set.len()
    }

    /// Runs `task` in the pool's [`PoolWorker`], beside its supervisors:
    /// the client stack's `Buffer` worker, which then needs no runtime of
    /// its own either.
    pub(crate) fn run_in_worker(&self, task: Pin<Box<dyn Future<Output = ()> + Send>>) {
        self.set.start(task);
    }

    /// Requests in flight over every connection in rotation, as
    /// [`Connection::in_flight`](crate::Connection::in_flight) counts them.
    pub fn in_flight(&self) -> usize {
        self.set.in_flight()
    }

    /// Closes the pool, for every clone: new calls fail at once with
    /// [`Error::ClientClosed`] (calls waiting for a connection too),
    /// nothing is dialed any more, and each connection takes no new call
    /// and closes once its calls in flight have ended. The future resolves
    /// when they all have closed; dropping it does not undo the close.
    ///
    /// Calls in flight end as always: answered, failed if their
    /// connection dies, or given up by their caller. What bounds the wait
    /// is theirs: the request timeout of a [`Client`](crate::Client) (or a
    /// `Timeout` layer of your own) over the pool, and the dead-peer rules,
    /// which keep running (a peer that answers nothing for the read timeout
    /// is cut). With neither, the wait lasts as long as the calls do.
    ///
    /// Dropping the last clone without closing also cleans up, in the
    /// background: the connections close once their calls are done.
    ///
    /// # Examples
    ///
    /// ```
    /// use jsonmux::{Error, Message, Pool};
    /// use tower::ServiceExt;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), tower::BoxError> {
    /// # let server = jsonmux::Server::builder().bind("127.0.0.1:0").await?;
    /// # let addr = server.local_addr().unwrap();
    /// # tokio::spawn(server.serve(jsonmux::HelloService, std::future::pending::<()>()));
    /// let pool = Pool::new([addr]);
    /// pool.clone().oneshot(Message::new("pixel-1", "pixelpig!")).await?;
    /// pool.close().await;
    /// let late = pool.oneshot(Message::new("pixel-2", "too late")).await;
    /// assert!(matches!(late, Err(Error::ClientClosed)));
    /// # Ok(()) }
    /// ```
    pub fn close(&self) -> impl Future<Output = ()> + Send + 'static {
        close(&self.set)
    }
}

impl Service<Message> for Pool {
    type Response = Resp;
    type Error = Error;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, msg: Message) -> ResponseFuture {
        // The common case: a connection is up; send on the one `pick`
        // chooses (with what it takes to send it again, if the pool does).
        let plan = Plan::of(&msg, &self.set);
        match self.set.send(msg) {
            Ok(sent) => ResponseFuture::sent(Attempts::new(sent, plan)),
            Err(msg) => ResponseFuture::waiting(msg, self.set.clone(), self.stop.clone()),
        }
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("connections", &self.set.len())
            .field("endpoints", &self.set.statuses())
            .finish()
    }
}

/// A balancer's view of a pool: what the next call is expected to wait
/// on its cheapest connection, in microseconds (see
/// [`Connection::cost`](crate::Connection::cost)); `u64::MAX` while no
/// connection is up.
impl Load for Pool {
    type Metric = u64;

    fn load(&self) -> u64 {
        self.set.cost()
    }
}
