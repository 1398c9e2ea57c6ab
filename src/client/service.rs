//! [`Client`]: the ready stack, `Deadline → [Buffer] → ConcurrencyLimit → Pool`.

use std::fmt;
use std::future::Future;
use std::task::{Context, Poll};

use tower::Service;

use super::future::ResponseFuture;
use super::options::ClientOptions;
use super::stack::{stack, Stack};
use crate::pool::{Endpoints, Pool, PoolStats, PoolWorker};
use crate::{Addr, Error, Message, Resp};

/// The ready client: a pool of multiplexed connections behind a deadline
/// per call and a concurrency limit. Cheap to [`Clone`]; clones share the
/// pool and the limit.
///
/// ```text
/// call ─ Deadline ─ [Buffer] ─ ConcurrencyLimit ─ Pool ─ Connection(engine) × pool_size × endpoints
///        timeout     queue      in-flight cap     least loaded, reconnect, dead-peer checks
/// ```
///
/// The deadline (the request timeout, or the call's own when earlier) is
/// outermost, so it bounds the call, waiting for a connection included. The concurrency limit caps the calls in flight
/// over the whole pool; a caller past it waits in `poll_ready` for a
/// permit, which frees by the time the oldest call in flight reaches its
/// deadline. Build one with [`ClientBuilder`](crate::ClientBuilder); the
/// [`client`](crate::client) module documents the layers.
///
/// # A note on `Buffer`
///
/// There is none by default: the pool is `Clone` itself, so each caller
/// hands its request straight to the connection. A `Buffer` (a channel to
/// a worker task) adds a task hop per request (PERFORMANCE.md measures
/// it); [`ClientBuilder::buffer`](crate::ClientBuilder::buffer) puts one
/// in front of the concurrency limit if you want a bounded queue there.
///
/// # A note on `Uid`s
///
/// Answers are routed per connection, so an answer can never reach the
/// wrong caller. The one-request-per-`Uid` rule is per connection too: a
/// call whose `Uid` is in flight (or abandoned, its late answer due) on
/// the connection the pool picks goes to one where it is free, so a retry
/// after a timeout with the same `Uid` works on a pool of several
/// connections; with every connection holding it (always, with
/// `pool_size(1)` and one endpoint) it fails with [`Error::DuplicateUid`].
/// [`ClientBuilder::uid_mode`](crate::ClientBuilder::uid_mode) with
/// [`UidMode::Tagged`](crate::client::UidMode::Tagged) lifts the rule; a
/// fresh `Uid` per call ([`Message::with_fresh_uid`]) avoids it.
///
/// # Examples
///
/// ```
/// use jsonmux::{Client, Message};
/// use tower::{Service, ServiceExt};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), jsonmux::Error> {
/// # let server = jsonmux::Server::builder().bind("127.0.0.1:0").await?;
/// # let addr = server.local_addr().unwrap();
/// # tokio::spawn(server.serve(jsonmux::HelloService, std::future::pending::<()>()));
/// let client = Client::connect(addr).await?;
/// let calls = (0..10).map(|i| {
///     let client = client.clone();
///     tokio::spawn(client.oneshot(Message::new(format!("req-{i}"), "pig")))
/// });
/// for call in calls {
///     assert_eq!(call.await.unwrap()?.val, "server: hello, pig");
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Stack,
    pool: Endpoints,
}

impl Client {
    /// Connects to `addr` with the default options
    /// (see [`ClientBuilder`](crate::ClientBuilder)), once a first
    /// connection is up.
    ///
    /// # Errors
    ///
    /// [`Error::Connect`], [`Error::DialTimeout`] or [`Error::Unresolved`]
    /// if the address cannot be reached in time.
    pub async fn connect(addr: impl Into<Addr>) -> Result<Client, Error> {
        Client::connect_with(ClientOptions::default(), [addr.into()]).await
    }

    /// The client over `addrs` with the default options, and the
    /// [`PoolWorker`] that dials and watches its connections, for you to
    /// run (as tower's `Buffer::pair` does). Calls made before a
    /// connection is up wait for one, up to their deadline.
    ///
    /// ```
    /// # use jsonmux::{Client, Message};
    /// # use tower::ServiceExt;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), jsonmux::Error> {
    /// # let server = jsonmux::Server::builder().bind("127.0.0.1:0").await?;
    /// # let addr = server.local_addr().unwrap();
    /// # tokio::spawn(server.serve(jsonmux::HelloService, std::future::pending::<()>()));
    /// let (client, worker) = Client::pair([addr]);
    /// tokio::spawn(worker);
    /// let resp = client.oneshot(Message::new("pixel-1", "pixelpig!")).await?;
    /// assert_eq!(resp.val, "server: hello, pixelpig!");
    /// # Ok(()) }
    /// ```
    pub fn pair<A: Into<Addr>>(addrs: impl IntoIterator<Item = A>) -> (Client, PoolWorker) {
        Client::pair_with(ClientOptions::default(), addrs.into_iter().map(Into::into))
    }

    /// The endpoints of the pool under this client: add or remove them,
    /// read their health and call counts.
    pub fn endpoints(&self) -> &Endpoints {
        &self.pool
    }

    /// Closes the client, for every clone: new calls fail at once with
    /// [`Error::ClientClosed`], the calls in flight finish, then the
    /// connections close; the future resolves once they have. Dropping it
    /// does not undo the close.
    ///
    /// The wait is bounded by the request timeout: a call in flight ends
    /// by its deadline at the latest, and its connection closes once its
    /// last call has ended (the dead-peer rules also keep running). With no
    /// request timeout, the wait lasts as long as the calls do (see
    /// [`Pool::close`]).
    ///
    /// Dropping the last clone without closing also cleans up, in the
    /// background.
    ///
    /// # Examples
    ///
    /// ```
    /// use jsonmux::{Client, Error, Message};
    /// use tower::{Service, ServiceExt};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), jsonmux::Error> {
    /// # let server = jsonmux::Server::builder().bind("127.0.0.1:0").await?;
    /// # let addr = server.local_addr().unwrap();
    /// # tokio::spawn(server.serve(jsonmux::HelloService, std::future::pending::<()>()));
    /// let mut client = Client::connect(addr).await?;
    /// let call = client.ready().await?.call(Message::new("pixel-1", "pixelpig!"));
    /// client.close().await; // the call in flight is answered first
    /// assert_eq!(call.await?.val, "server: hello, pixelpig!");
    /// let late = client.oneshot(Message::new("pixel-2", "too late")).await;
    /// assert!(matches!(late, Err(Error::ClientClosed)));
    /// # Ok(()) }
    /// ```
    pub fn close(&self) -> impl Future<Output = ()> + Send + 'static {
        self.pool.close()
    }

    /// The client's counters: calls, failures by kind, `Uid`s in flight,
    /// reconnects (as [`Endpoints::stats`]; per endpoint with
    /// [`Endpoints::status`]).
    pub fn stats(&self) -> PoolStats {
        self.pool.stats()
    }

    /// The client over a pool over `addrs`, once a first connection is up.
    pub(crate) async fn connect_with(
        opts: ClientOptions,
        addrs: impl IntoIterator<Item = Addr>,
    ) -> Result<Client, Error> {
        let pool = Pool::with_options(opts.pool.clone(), addrs);
        pool.wait_first().await?;
        Ok(Client::over(pool, &opts))
    }

    /// The client over a pool over `addrs`, its worker spawned.
    pub(crate) fn lazy_with(opts: ClientOptions, addrs: impl IntoIterator<Item = Addr>) -> Client {
        let pool = Pool::with_options(opts.pool.clone(), addrs);
        Client::over(pool, &opts)
    }

    /// The client over a pool over `addrs`, and the pool's worker.
    pub(crate) fn pair_with(
        opts: ClientOptions,
        addrs: impl IntoIterator<Item = Addr>,
    ) -> (Client, PoolWorker) {
        let (pool, worker) = Pool::pair_with(opts.pool.clone(), addrs);
        (Client::over(pool, &opts), worker)
    }

    /// The client's stack over `pool`; the stack's `Buffer` worker, if
    /// any, runs in the pool's worker.
    fn over(pool: Pool, opts: &ClientOptions) -> Client {
        let handle = pool.endpoints();
        let runs_workers = pool.clone();
        let (inner, buffer) = stack(pool, opts);
        if let Some(buffer) = buffer {
            runs_workers.run_in_worker(buffer);
        }
        Client {
            inner,
            pool: handle,
        }
    }
}

// Clones go to many tasks, and a `Client` may sit in an `Arc` or a static.
const _: fn() = || {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<Client>();
};

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("pool", &self.pool)
            .finish_non_exhaustive()
    }
}

impl Service<Message> for Client {
    type Response = Resp;
    type Error = Error;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        // Closed: fail now rather than wait for a permit.
        if self.pool.is_closed() {
            return Poll::Ready(Err(Error::ClientClosed));
        }
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, msg: Message) -> ResponseFuture {
        ResponseFuture::new(self.inner.call(msg))
    }
}
