//! [`Endpoints`]: a pool's endpoints, added and removed at run time (by
//! hand or from a discovery stream), and their health.

use std::fmt;
use std::future::Future;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use tower::discover::Discover;
use tower::BoxError;

use super::discovery::discover;
use super::endpoint::EndpointStatus;
use super::set::Set;
use super::stats::PoolStats;
use crate::Addr;

/// A pool's endpoints, from [`Client::endpoints`](crate::Client::endpoints)
/// or [`Pool::endpoints`](crate::Pool::endpoints): add and remove them
/// while the pool runs, feed them from a discovery stream, read their
/// health and call counts. Cheap to clone; outliving the pool is harmless.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), jsonmux::Error> {
/// # let server = jsonmux::Server::builder().bind("127.0.0.1:0").await?;
/// # let addr = server.local_addr().unwrap();
/// # tokio::spawn(server.serve(jsonmux::HelloService, std::future::pending::<()>()));
/// let client = jsonmux::Client::connect(addr).await?;
/// let endpoints = client.endpoints();
/// for ep in endpoints.status() {
///     println!("{}: {} connections up", ep.addr, ep.connections);
/// }
/// assert!(endpoints.remove(addr));
/// assert!(endpoints.status().is_empty());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Endpoints {
    set: Arc<Set>,
}

impl Endpoints {
    pub(crate) fn new(set: Arc<Set>) -> Self {
        Endpoints { set }
    }

    /// Adds `addr` with `pool_size` connections, dialed in the background
    /// by the pool's [`PoolWorker`](super::PoolWorker). Adding an address
    /// already present does nothing. Needs no runtime: the worker starts
    /// the dialing.
    ///
    /// ```
    /// let (pool, _worker) = jsonmux::Pool::pair(["127.0.0.1:3000"]);
    /// pool.endpoints().add("127.0.0.1:3001");
    /// pool.endpoints().add("127.0.0.1:3001");
    /// let addrs: Vec<String> = pool.endpoints().status().iter().map(|e| e.addr.to_string()).collect();
    /// assert_eq!(addrs, ["127.0.0.1:3000", "127.0.0.1:3001"]);
    /// ```
    pub fn add(&self, addr: impl Into<Addr>) {
        self.set.add_endpoint(addr.into());
    }

    /// Removes `addr`, given as it was added: no new requests go to it, its
    /// connections close once their requests in flight are answered.
    /// Returns false if it was not in the pool.
    ///
    /// ```
    /// let (pool, _worker) = jsonmux::Pool::pair(["127.0.0.1:3000"]);
    /// assert!(pool.endpoints().remove("127.0.0.1:3000"));
    /// assert!(!pool.endpoints().remove("127.0.0.1:3000"), "already gone");
    /// ```
    pub fn remove(&self, addr: impl Into<Addr>) -> bool {
        self.set.remove_endpoint(&addr.into())
    }

    /// Feeds the pool from `discovery`, any tower
    /// [`Discover`] stream of addresses (`Change::Insert(key, addr)`,
    /// `Change::Remove(key)`), such as [`DnsDiscover`](super::DnsDiscover),
    /// a channel of your service registry's changes, or a fixed list. The
    /// pool's [`PoolWorker`](super::PoolWorker) polls it for as long as the
    /// pool lives; this call needs no runtime.
    ///
    /// * `Insert(key, addr)` adds `addr` with `pool_size` connections, as
    ///   [`add`](Self::add) does; an `Insert` for a key already inserted
    ///   replaces its address.
    /// * `Remove(key)` removes the key's address, as [`remove`](Self::remove)
    ///   does: its connections close once their calls are answered.
    /// * An error is logged (`tracing`, at `warn`) and leaves the endpoints
    ///   as they are; the stream is polled again after a delay that grows
    ///   like the redial [`backoff`](crate::ClientBuilder::backoff) and
    ///   starts over at the next change.
    /// * The end of the stream ends discovery: the endpoints stay as they
    ///   are, and [`add`](Self::add)/[`remove`](Self::remove) still work.
    ///
    /// The pool's endpoints are addresses, whoever adds them: an address is
    /// in the pool once, and a `Remove` removes it even if it was also
    /// added by hand (unless another key of the same stream still stands
    /// for it). Several streams may feed one pool.
    ///
    /// ```
    /// use jsonmux::{Addr, Pool};
    /// use tower::discover::Change;
    ///
    /// let (pool, _worker) = Pool::pair(Vec::<Addr>::new());
    /// let (changes, mut registry) = tokio::sync::mpsc::unbounded_channel();
    /// pool.endpoints().discover(futures_util::stream::poll_fn(move |cx| registry.poll_recv(cx)));
    /// changes.send(Ok::<_, std::convert::Infallible>(Change::Insert("a", "127.0.0.1:3000"))).unwrap();
    /// changes.send(Ok(Change::Remove("a"))).unwrap();
    /// ```
    pub fn discover<D>(&self, discovery: D)
    where
        D: Discover + Send + 'static,
        D::Key: Send,
        D::Service: Into<Addr> + Send,
        D::Error: Into<BoxError> + Send,
    {
        let task = discover(self.set.clone(), discovery);
        self.set.start(Box::pin(task));
    }

    /// The health and call counts of every endpoint, in the order they
    /// were added.
    pub fn status(&self) -> Vec<EndpointStatus> {
        self.set.statuses()
    }

    /// [`Pool::close`](crate::Pool::close), for a [`Client`](crate::Client).
    pub(crate) fn close(&self) -> impl Future<Output = ()> + Send + 'static {
        super::supervisor::close(&self.set)
    }

    /// True once the pool is closed.
    #[inline]
    pub(crate) fn is_closed(&self) -> bool {
        self.set.is_closed()
    }

    /// The pool's counters, summed over its endpoints.
    ///
    /// ```
    /// let (pool, _worker) = jsonmux::Pool::pair(["127.0.0.1:3000"]);
    /// let stats = pool.endpoints().stats();
    /// assert_eq!((stats.connections, stats.calls.calls), (0, 0));
    /// ```
    pub fn stats(&self) -> PoolStats {
        let mut stats = PoolStats::sum(&self.set.statuses());
        stats.retries = self.set.counts.retries.load(Relaxed);
        stats.retries_refused = self.set.counts.retries_refused.load(Relaxed);
        if let Some(hedger) = &self.set.hedger {
            stats.hedges = hedger.sent.load(Relaxed);
            stats.hedges_won = hedger.won.load(Relaxed);
        }
        stats
    }
}

impl fmt::Debug for Endpoints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoints")
            .field("status", &self.status())
            .finish()
    }
}
