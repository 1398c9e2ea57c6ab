//! [`ClientBuilder`]: the client's options, and what to build with them.
//!
//! The setters are grouped by what they configure: the stack's layers here,
//! the pool in `pool.rs`, each connection in `connection.rs`, dialing and
//! sockets in `transport.rs`, TLS in `tls.rs`, tracing in `observe.rs`.
//! Every setter stores its value; the terminal calls (`connect`, `pool`,
//! `dial`, …) check them all, once, in [`ClientBuilder::options`].

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
use crate::client::service::Client;
use crate::connection::Connection;
use crate::pool::{Pool, PoolWorker};
use crate::{Addr, Error};

/// Configures and connects a [`Client`], a bare [`Pool`] or a bare [`Connection`].
///
/// Every option has a production default, stated in its setter's doc.
/// Setters take any value and chain; the terminal call (`connect`,
/// `connect_lazy`, `pool`, `dial`, …) checks them and refuses the first
/// invalid one with [`Error::InvalidOption`], naming it and the value
/// given. A count is at least 1 and a length of time above zero
/// (`None` turns an option off where that means something); no value is
/// adjusted silently.
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
/// # let addr = server.local_addr().unwrap();
/// # tokio::spawn(server.serve(jsonmux::HelloService, std::future::pending::<()>()));
/// let client = ClientBuilder::new()
///     .pool_size(3)
///     .request_timeout(Some(Duration::from_millis(500)))
///     .connect(addr)
///     .await?;
/// let resp = client.oneshot(Message::new("pixel-1", "pixelpig!")).await?;
/// assert_eq!(resp.val, "server: hello, pixelpig!");
/// # Ok(()) }
/// ```
///
/// A value an option cannot take is refused by the terminal call:
///
/// ```
/// use jsonmux::{ClientBuilder, Error};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let e = ClientBuilder::new().pool_size(0).connect("127.0.0.1:3000").await.unwrap_err();
/// assert!(matches!(e, Error::InvalidOption { option: "pool_size", .. }));
/// assert_eq!(e.to_string(), "invalid pool_size 0: must be at least 1");
/// # }
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct ClientBuilder {
    opts: ClientOptions,
    /// TLS settings, turned into the dialer's handshake by [`options`](Self::options).
    #[cfg(feature = "tls")]
    tls: Option<crate::tls::ClientTls>,
}

impl ClientBuilder {
    /// A builder with every option at its default.
    pub fn new() -> Self {
        ClientBuilder::default()
    }

    /// Time limit for a call, from `call` to its answer, waiting for a
    /// connection to come up included; `None` for none. A call's own
    /// deadline ([`Message::with_deadline`](crate::Message::with_deadline))
    /// is kept when it is earlier. (A caller past the concurrency limit
    /// first waits in `poll_ready` for a permit; every call holding one
    /// ends by its own deadline, so that wait is bounded too.) Default: 5 s.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = jsonmux::ClientBuilder::new().request_timeout(Some(Duration::from_secs(1)));
    /// ```
    pub fn request_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.opts.request_timeout = timeout;
        self
    }

    /// A call made from inside a jsonmux handler keeps to the deadline of
    /// the request being handled, when that is earlier than its own: so in
    /// a chain of services A → B → C, every hop stops when A's caller gives
    /// up, and none starts work for a caller gone. (A call made from a task
    /// the handler spawned does not see it: give it
    /// [`Message::deadline`](crate::Message::deadline) yourself.)
    /// Default: `true`.
    ///
    /// ```
    /// let b = jsonmux::ClientBuilder::new().inherit_deadline(false);
    /// ```
    pub fn inherit_deadline(mut self, inherit: bool) -> Self {
        self.opts.inherit_deadline = inherit;
        self
    }

    /// Calls in flight at once over the whole pool; `None` for no limit
    /// (not advised: connections cap nothing themselves). Default: 1024.
    ///
    /// ```
    /// let b = jsonmux::ClientBuilder::new().concurrency_limit(Some(128));
    /// ```
    pub fn concurrency_limit(mut self, limit: Option<usize>) -> Self {
        self.opts.concurrency_limit = limit;
        self
    }

    /// Puts tower's `Buffer` in the stack, in front of the concurrency
    /// limit: calls are queued (up to `capacity`, then callers wait in
    /// `poll_ready`) and handed to the pool by the buffer's worker task.
    /// `None`: no buffer, callers reach the pool directly. Default: `None`.
    ///
    /// The pool is `Clone` already, so a buffer adds no sharing; what it
    /// adds is a bounded queue in front, at the cost of a task hop per call
    /// (PERFORMANCE.md measures it). The worker is spawned by
    /// [`connect`](Self::connect) and its kin, and run by the
    /// [`PoolWorker`] from [`pair`](Self::pair).
    ///
    /// ```
    /// let b = jsonmux::ClientBuilder::new().buffer(Some(1024));
    /// ```
    pub fn buffer(mut self, capacity: Option<usize>) -> Self {
        self.opts.buffer = capacity;
        self
    }

    /// Dials one connection to `addr`, on the builder's
    /// [`engine`](Self::engine), for composing your own stack without a
    /// pool (no reconnect, no dead-peer detection).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), jsonmux::Error> {
    /// # let server = jsonmux::Server::builder().bind("127.0.0.1:0").await?;
    /// # let addr = server.local_addr().unwrap();
    /// # tokio::spawn(server.serve(jsonmux::HelloService, std::future::pending::<()>()));
    /// let conn = jsonmux::ClientBuilder::new().max_frame_len(64 * 1024).dial(addr).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidOption`] for an option that cannot be used;
    /// [`Error::Connect`], [`Error::DialTimeout`] or [`Error::Unresolved`]
    /// if `addr` cannot be reached within the dial timeout.
    pub async fn dial(&self, addr: impl Into<Addr>) -> Result<Connection, Error> {
        let opts = self.options()?.pool;
        opts.dialer.connect(&addr.into(), &opts.connection).await
    }

    /// A [`Pool`] over `addrs`, dialed in the background, for composing
    /// your own stack. Spawns its [`PoolWorker`], so it must be called
    /// within a tokio runtime ([`pool_pair`](Self::pool_pair) does not).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidOption`] for an option that cannot be used.
    pub fn pool<A: Into<Addr>>(&self, addrs: impl IntoIterator<Item = A>) -> Result<Pool, Error> {
        let opts = self.options()?.pool;
        Ok(Pool::with_options(opts, addrs.into_iter().map(Into::into)))
    }

    /// A [`Pool`] over `addrs` and its [`PoolWorker`], for you to run; see
    /// [`Pool::pair`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidOption`] for an option that cannot be used.
    pub fn pool_pair<A: Into<Addr>>(
        &self,
        addrs: impl IntoIterator<Item = A>,
    ) -> Result<(Pool, PoolWorker), Error> {
        let opts = self.options()?.pool;
        Ok(Pool::pair_with(opts, addrs.into_iter().map(Into::into)))
    }

    /// The ready [`Client`] over one endpoint, once a first connection is up.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidOption`] for an option that cannot be used;
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
    /// [`Error::InvalidOption`] for an option that cannot be used; the
    /// last dial error if every endpoint failed its first dial.
    pub async fn connect_all<A: Into<Addr>>(
        &self,
        addrs: impl IntoIterator<Item = A>,
    ) -> Result<Client, Error> {
        Client::connect_with(self.options()?, addrs.into_iter().map(Into::into)).await
    }

    /// The ready [`Client`] at once, connecting in the background: calls
    /// made before a connection is up wait for one (or fail fast).
    /// Spawns the pool's [`PoolWorker`], so it must be called within a
    /// tokio runtime ([`pair`](Self::pair) does not).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidOption`] for an option that cannot be used.
    pub fn connect_lazy<A: Into<Addr>>(
        &self,
        addrs: impl IntoIterator<Item = A>,
    ) -> Result<Client, Error> {
        Ok(Client::lazy_with(
            self.options()?,
            addrs.into_iter().map(Into::into),
        ))
    }

    /// The ready [`Client`] at once, its endpoints fed by `discovery`: any
    /// tower `Discover` stream of addresses, such as
    /// [`DnsDiscover`](crate::pool::DnsDiscover) (see
    /// [`Endpoints::discover`](crate::pool::Endpoints::discover) for what
    /// each change, an error and the end of the stream do). Calls made
    /// before a connection is up wait for one (or fail fast). Spawns the
    /// pool's [`PoolWorker`], so it must be called within a tokio runtime
    /// ([`pair`](Self::pair) with no address, then
    /// [`Endpoints::discover`](crate::pool::Endpoints::discover), does not).
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # #[tokio::main] async fn main() -> Result<(), jsonmux::Error> {
    /// let pods = jsonmux::pool::DnsDiscover::new("pigs.default.svc.cluster.local:3000", Duration::from_secs(5));
    /// let client = jsonmux::ClientBuilder::new().discover(pods)?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidOption`] for an option that cannot be used.
    pub fn discover<D>(&self, discovery: D) -> Result<Client, Error>
    where
        D: Discover + Send + 'static,
        D::Key: Send,
        D::Service: Into<Addr> + Send,
        D::Error: Into<BoxError> + Send,
    {
        let client = Client::lazy_with(self.options()?, []);
        client.endpoints().discover(discovery);
        Ok(client)
    }

    /// The ready [`Client`] at once and its pool's [`PoolWorker`], for you
    /// to run; see [`Client::pair`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidOption`] for an option that cannot be used.
    pub fn pair<A: Into<Addr>>(
        &self,
        addrs: impl IntoIterator<Item = A>,
    ) -> Result<(Client, PoolWorker), Error> {
        Ok(Client::pair_with(
            self.options()?,
            addrs.into_iter().map(Into::into),
        ))
    }

    /// Every option, checked: what the terminal calls build with.
    fn options(&self) -> Result<ClientOptions, Error> {
        self.opts.check()?;
        #[cfg_attr(not(feature = "tls"), allow(unused_mut))]
        let mut opts = self.opts.clone();
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.tls {
            opts.pool.dialer.tls = Some(tls.build()?);
        }
        Ok(opts)
    }
}
