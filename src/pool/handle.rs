//! [`PoolHandle`]: add and remove endpoints at run time, read their health.

use std::fmt;
use std::sync::Arc;

use super::endpoint::EndpointStatus;
use super::set::Set;
use crate::Addr;

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
    set: Arc<Set>,
}

impl PoolHandle {
    pub(crate) fn new(set: Arc<Set>) -> Self {
        PoolHandle { set }
    }

    /// Adds `addr` with `pool_size` connections, dialed in the background
    /// by the pool's [`PoolWorker`](super::PoolWorker). Adding an address
    /// already present does nothing. Needs no runtime: the worker starts
    /// the dialing.
    ///
    /// ```
    /// let (pool, _worker) = jsonmux::Pool::pair(["127.0.0.1:3000"]);
    /// pool.handle().add("127.0.0.1:3001");
    /// pool.handle().add("127.0.0.1:3001");
    /// let addrs: Vec<String> = pool.handle().endpoints().iter().map(|e| e.addr.to_string()).collect();
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
    /// assert!(pool.handle().remove("127.0.0.1:3000"));
    /// assert!(!pool.handle().remove("127.0.0.1:3000"), "already gone");
    /// ```
    pub fn remove(&self, addr: impl Into<Addr>) -> bool {
        self.set.remove_endpoint(&addr.into())
    }

    /// The health of every endpoint, in the order they were added.
    pub fn endpoints(&self) -> Vec<EndpointStatus> {
        self.set.statuses()
    }
}

impl fmt::Debug for PoolHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolHandle")
            .field("endpoints", &self.endpoints())
            .finish()
    }
}
