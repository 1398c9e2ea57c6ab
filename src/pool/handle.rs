//! [`PoolHandle`]: add and remove endpoints at run time, read their health.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::endpoint::{Endpoint, EndpointStatus};
use super::supervisor::supervise;
use crate::client::{Connection, ConnectionFuture, Options};
use crate::{Addr, Error, Message};

/// A connection in rotation, and the endpoint it belongs to.
#[derive(Debug)]
struct Live {
    id: u64,
    endpoint: Arc<Endpoint>,
    conn: Connection,
}

/// The connections of `conns` that can take a request.
fn up(conns: &[Live]) -> impl Iterator<Item = &Live> {
    conns
        .iter()
        .filter(|l| !l.conn.is_closed() && !l.endpoint.is_retired())
}

/// The usable connection with the fewest requests in flight.
fn least_loaded(conns: &[Live]) -> Option<&Live> {
    up(conns).min_by_key(|l| l.conn.in_flight())
}

/// What a pool (all its clones), its handles and its supervisors share.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub(crate) opts: Options,
    /// The connections in rotation; supervisors add and remove them.
    conns: RwLock<Vec<Live>>,
    next_id: AtomicU64,
    /// Parent of every endpoint's token; cancelled when the pool is dropped.
    pub(crate) token: CancellationToken,
    endpoints: Mutex<Vec<Arc<Endpoint>>>,
    /// Woken on every change: a connection up or down, a dial failed.
    pub(crate) changed: Arc<Notify>,
}

impl Ctx {
    pub(crate) fn new(opts: Options) -> Self {
        Ctx {
            opts,
            conns: RwLock::new(Vec::new()),
            next_id: AtomicU64::new(0),
            token: CancellationToken::new(),
            endpoints: Mutex::new(Vec::new()),
            changed: Arc::new(Notify::new()),
        }
    }

    /// Puts a new connection in rotation; returns its id for [`Ctx::remove`].
    pub(crate) fn add(&self, endpoint: Arc<Endpoint>, conn: Connection) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut conns = self.conns.write().unwrap_or_else(|p| p.into_inner());
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

    /// Sends `msg` on the connection [`Ctx::pick`] chooses, or gives it
    /// back if none is up. (Sending in place, not on a clone: cloning a
    /// connection per call costs shared atomic counts.)
    pub(crate) fn send(&self, msg: Message) -> Result<ConnectionFuture, Message> {
        let conns = self.conns.read().unwrap_or_else(|p| p.into_inner());
        match self.pick(&conns) {
            Some(live) => Ok(live.conn.send(msg)),
            None => Err(msg),
        }
    }

    /// The connection for the next request: the least-loaded usable one,
    /// or with packing, the first one under the limit on the least-loaded
    /// endpoint (see [`ClientBuilder::pack_up_to`](crate::ClientBuilder::pack_up_to)).
    fn pick<'a>(&self, conns: &'a [Live]) -> Option<&'a Live> {
        match self.opts.pack_up_to {
            None => least_loaded(conns),
            Some(n) => conns
                .chunk_by(|a, b| Arc::ptr_eq(&a.endpoint, &b.endpoint))
                .filter_map(|endpoint| {
                    let load: usize = up(endpoint).map(|l| l.conn.in_flight()).sum();
                    let under = up(endpoint).find(|l| l.conn.in_flight() < n);
                    Some((load, under.or_else(|| least_loaded(endpoint))?))
                })
                .min_by_key(|&(load, _)| load)
                .map(|(_, l)| l),
        }
    }

    /// Connections in rotation.
    pub(crate) fn len(&self) -> usize {
        self.conns.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    fn endpoints(&self) -> MutexGuard<'_, Vec<Arc<Endpoint>>> {
        self.endpoints.lock().unwrap_or_else(|p| p.into_inner())
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

/// Adds and removes a pool's endpoints while it runs, and reports their
/// health. Cheap to clone; outliving the pool is harmless.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), jsonmux::Error> {
/// # let server = jsonmux::Server::builder().bind("127.0.0.1:0").await?;
/// # let addr = server.local_addr()?;
/// # tokio::spawn(server.serve(jsonmux::HelloService, std::future::pending::<()>()));
/// let client = jsonmux::ClientBuilder::new().connect(addr).await?;
/// let pool = client.pool();
/// for ep in pool.endpoints() {
///     println!("{}: {} connections up", ep.addr, ep.connections);
/// }
/// assert!(pool.remove(addr));
/// assert!(pool.endpoints().is_empty());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PoolHandle {
    pub(crate) ctx: Arc<Ctx>,
}

impl PoolHandle {
    /// Adds `addr` with `pool_size` connections, dialed in the background.
    /// Adding an address already present does nothing.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let pool = jsonmux::ClientBuilder::new().pool(["127.0.0.1:3000"]);
    /// pool.handle().add("127.0.0.1:3001");
    /// let addrs: Vec<String> = pool.handle().endpoints().iter().map(|e| e.addr.to_string()).collect();
    /// assert_eq!(addrs, ["127.0.0.1:3000", "127.0.0.1:3001"]);
    /// # }
    /// ```
    pub fn add(&self, addr: impl Into<Addr>) {
        let addr = addr.into();
        let mut endpoints = self.ctx.endpoints();
        if endpoints.iter().any(|e| e.addr == addr) {
            return;
        }
        let endpoint = Arc::new(Endpoint::new(addr, self.ctx.token.child_token()));
        for _ in 0..self.ctx.opts.pool_size {
            tokio::spawn(supervise(self.ctx.clone(), endpoint.clone()));
        }
        endpoints.push(endpoint);
    }

    /// Removes `addr`: no new requests go to it, its connections close once
    /// their requests in flight are answered. Returns false if it was not
    /// in the pool.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let pool = jsonmux::ClientBuilder::new().pool(["127.0.0.1:3000"]);
    /// assert!(pool.handle().remove("127.0.0.1:3000"));
    /// assert!(!pool.handle().remove("127.0.0.1:3000"), "already gone");
    /// # }
    /// ```
    pub fn remove(&self, addr: impl Into<Addr>) -> bool {
        let addr = addr.into();
        let mut endpoints = self.ctx.endpoints();
        let Some(i) = endpoints.iter().position(|e| e.addr == addr) else {
            return false;
        };
        endpoints.remove(i).retire();
        true
    }

    /// The health of every endpoint, in the order they were added.
    pub fn endpoints(&self) -> Vec<EndpointStatus> {
        self.ctx.endpoints().iter().map(|e| e.status()).collect()
    }
}

impl fmt::Debug for PoolHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolHandle")
            .field("endpoints", &self.endpoints())
            .finish()
    }
}
