//! [`ClientBuilder`]: the client's options, and what to build with them.
//!
//! The setters are grouped by what they configure: the stack's layers here,
//! the pool in `builder/pool.rs`, each connection in
//! `builder/connection.rs`, dialing and sockets in `builder/transport.rs`,
//! TLS in `builder/tls.rs`, tracing in `builder/observe.rs`.

mod connection;
mod observe;
mod pool;
#[cfg(feature = "tls")]
mod tls;
mod transport;

use std::time::Duration;

use tower::discover::Discover;
use tower::BoxError;

use super::options::ClientOptions;
use super::Client;
use crate::connection::Connection;
use crate::pool::{Pool, PoolWorker};
use crate::{Addr, Error};

/// Configures and connects a [`Client`], a bare [`Pool`] or a bare [`Connection`].
///
/// Every option has a production default, named in a `DEFAULT_*` constant
/// of the [`client`](crate::client) module. A setter whose value can be
/// invalid returns `Result<Self, Error>` and refuses it with
/// [`Error::InvalidOption`]; no value is adjusted silently.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use jsonmux::{ClientBuilder, Message};
/// use tower::ServiceExt;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), jsonmux::Error> {
/// # let server = jsonmux::Server::builder().bind("127.0.0.1:0").await?;
/// # let addr = server.local_addr()?;
/// # tokio::spawn(server.serve(jsonmux::HelloService, std::future::pending::<()>()));
/// let client = ClientBuilder::new()
///     .pool_size(2)?
///     .request_timeout(Some(Duration::from_millis(500)))
///     .connect(addr)
///     .await?;
/// let resp = client.oneshot(Message::new("pixel-1", "pixelpig!")).await?;
/// assert_eq!(resp.val, "server: hello, pixelpig!");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct ClientBuilder {
    opts: ClientOptions,
}

/// The error of a setter given a value it cannot take.
fn invalid(option: &'static str, reason: &'static str) -> Error {
    Error::InvalidOption { option, reason }
}

impl ClientBuilder {
    /// A builder with every option at its default.
    pub fn new() -> Self {
        ClientBuilder::default()
    }

    /// Deadline for a call, from `call` to its answer, waiting for a
    /// connection to come up included; `None` for none. (A caller past the
    /// concurrency limit first waits in `poll_ready` for a permit; every
    /// call holding one ends by its own deadline, so that wait is bounded
    /// too.) Default: [`DEFAULT_REQUEST_TIMEOUT`](crate::client::DEFAULT_REQUEST_TIMEOUT).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = jsonmux::ClientBuilder::new().request_timeout(Some(Duration::from_secs(1)));
    /// ```
    pub fn request_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.opts.request_timeout = timeout;
        self
    }

    /// Calls in flight at once over the whole pool; `None` for no limit
    /// (not advised: connections cap nothing themselves).
    /// Default: [`DEFAULT_CONCURRENCY_LIMIT`](crate::client::DEFAULT_CONCURRENCY_LIMIT).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidOption`] for `Some(0)`.
    ///
    /// ```
    /// let b = jsonmux::ClientBuilder::new().concurrency_limit(Some(128))?;
    /// assert!(jsonmux::ClientBuilder::new().concurrency_limit(Some(0)).is_err());
    /// # Ok::<(), jsonmux::Error>(())
    /// ```
    pub fn concurrency_limit(mut self, limit: Option<usize>) -> Result<Self, Error> {
        if limit == Some(0) {
            return Err(invalid(
                "concurrency_limit",
                "must be at least 1, or None for no limit",
            ));
        }
        self.opts.concurrency_limit = limit;
        Ok(self)
    }

    /// Puts tower's `Buffer` in the stack, in front of the concurrency
    /// limit: calls are queued (up to `capacity`, then callers wait in
    /// `poll_ready`) and handed to the pool by the buffer's worker task.
    /// `None`: no buffer, callers reach the pool directly.
    ///
    /// The pool is `Clone` already, so a buffer adds no sharing; what it
    /// adds is a bounded queue in front, for the stack the product brief
    /// names (`Timeout → Buffer → ConcurrencyLimit`), at the cost of a
    /// task hop per call (PERFORMANCE.md measures it). The worker is
    /// spawned by [`connect`](Self::connect) and its kin, and run by the
    /// [`PoolWorker`] from [`pair`](Self::pair).
    /// Default: [`DEFAULT_BUFFER`](crate::client::DEFAULT_BUFFER) (none).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidOption`] for `Some(0)`.
    ///
    /// ```
    /// let b = jsonmux::ClientBuilder::new().buffer(Some(1024))?;
    /// assert!(jsonmux::ClientBuilder::new().buffer(Some(0)).is_err());
    /// # Ok::<(), jsonmux::Error>(())
    /// ```
    pub fn buffer(mut self, capacity: Option<usize>) -> Result<Self, Error> {
        if capacity == Some(0) {
            return Err(invalid(
                "buffer",
                "must hold at least 1 call, or None for no buffer",
            ));
        }
        self.opts.buffer = capacity;
        Ok(self)
    }

    /// Dials one connection to `addr`, on the builder's
    /// [`engine`](Self::engine), for composing your own stack without a
    /// pool (no reconnect, no dead-peer detection).
    ///
    /// # Errors
    ///
    /// [`Error::Connect`], [`Error::DialTimeout`] or [`Error::Unresolved`]
    /// if `addr` cannot be reached within the dial timeout.
    pub async fn connect_bare(&self, addr: impl Into<Addr>) -> Result<Connection, Error> {
        let opts = &self.opts.pool;
        opts.dialer.connect(&addr.into(), &opts.connection).await
    }

    /// A [`Pool`] over `addrs`, dialed in the background, for composing
    /// your own stack. Spawns its [`PoolWorker`], so it must be called
    /// within a tokio runtime ([`pool_pair`](Self::pool_pair) does not).
    pub fn pool<A: Into<Addr>>(&self, addrs: impl IntoIterator<Item = A>) -> Pool {
        Pool::with_options(self.opts.pool.clone(), addrs.into_iter().map(Into::into))
    }

    /// A [`Pool`] over `addrs` and its [`PoolWorker`], for you to run; see
    /// [`Pool::pair`].
    pub fn pool_pair<A: Into<Addr>>(
        &self,
        addrs: impl IntoIterator<Item = A>,
    ) -> (Pool, PoolWorker) {
        Pool::pair_with(self.opts.pool.clone(), addrs.into_iter().map(Into::into))
    }

    /// The ready [`Client`] over one endpoint, once a first connection is up.
    ///
    /// # Errors
    ///
    /// [`Error::Connect`], [`Error::DialTimeout`] or [`Error::Unresolved`]
    /// if `addr` cannot be reached within the dial timeout.
    pub async fn connect(&self, addr: impl Into<Addr>) -> Result<Client, Error> {
        self.connect_all([addr]).await
    }

    /// The ready [`Client`] over several endpoints, once a first connection
    /// to any of them is up; the others keep being dialed in the background.
    ///
    /// # Errors
    ///
    /// The last dial error if every endpoint failed its first dial.
    pub async fn connect_all<A: Into<Addr>>(
        &self,
        addrs: impl IntoIterator<Item = A>,
    ) -> Result<Client, Error> {
        Client::connect_with(self.opts.clone(), addrs.into_iter().map(Into::into)).await
    }

    /// The ready [`Client`] at once, connecting in the background: calls
    /// made before a connection is up wait for one (or fail fast).
    /// Spawns the pool's [`PoolWorker`], so it must be called within a
    /// tokio runtime ([`pair`](Self::pair) does not).
    pub fn connect_lazy<A: Into<Addr>>(&self, addrs: impl IntoIterator<Item = A>) -> Client {
        Client::lazy_with(self.opts.clone(), addrs.into_iter().map(Into::into))
    }

    /// The ready [`Client`] at once, its endpoints fed by `discovery`: any
    /// tower `Discover` stream of addresses, such as
    /// [`DnsDiscover`](crate::pool::DnsDiscover) (see
    /// [`PoolHandle::discover`](crate::PoolHandle::discover) for what each
    /// change, an error and the end of the stream do). Calls made before
    /// a connection is up wait for one (or fail fast). Spawns the pool's
    /// [`PoolWorker`], so it must be called within a tokio runtime
    /// ([`pair`](Self::pair) with no address, then
    /// [`PoolHandle::discover`](crate::PoolHandle::discover), does not).
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # #[tokio::main] async fn main() {
    /// let pods = jsonmux::pool::DnsDiscover::new("pigs.default.svc.cluster.local:3000", Duration::from_secs(5));
    /// let client = jsonmux::ClientBuilder::new().discover(pods);
    /// # }
    /// ```
    pub fn discover<D>(&self, discovery: D) -> Client
    where
        D: Discover + Send + 'static,
        D::Key: Send,
        D::Service: Into<Addr> + Send,
        D::Error: Into<BoxError> + Send,
    {
        let client = Client::lazy_with(self.opts.clone(), []);
        client.pool().discover(discovery);
        client
    }

    /// The ready [`Client`] at once and its pool's [`PoolWorker`], for you
    /// to run; see [`Client::pair`].
    pub fn pair<A: Into<Addr>>(&self, addrs: impl IntoIterator<Item = A>) -> (Client, PoolWorker) {
        Client::pair_with(self.opts.clone(), addrs.into_iter().map(Into::into))
    }
}
