//! [`Connection`]: one multiplexed connection as a tower service.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite};
use tower::load::Load;
use tower::Service;

use super::dial::Dialer;
use super::dispatch::Background;
use super::future::ResponseFuture;
use super::inflight::Refused;
use super::link::Link;
use super::options::ConnectionOptions;
use super::shared::Shared;
use super::stats::{CallCounts, CallStats};
use crate::{Addr, Error, Message, Resp};

/// One connection carrying many requests at once, correlated by `Uid`.
///
/// A background task writes queued requests in batches (one write per
/// batch) and routes each answer to its caller by `Uid`, in whatever order
/// the server answers. Every call ends in exactly one typed outcome:
///
/// * a second request with a `Uid` already in flight fails with
///   [`Error::DuplicateUid`] instead of swapping answers;
/// * a call that times out or is dropped leaves a tombstone that swallows
///   its late answer, so a later request reusing the `Uid` never gets it;
/// * when the connection dies, every call in flight fails with
///   [`Error::Closed`], whose `source()` is the cause;
/// * an answer carrying an error becomes [`Error::Server`] with its code
///   (or [`Error::Overloaded`]);
/// * when the server sends a going-away notice (it is shutting down), the
///   calls in flight are still answered, new calls fail with
///   [`Error::Closed`] (its `source()` is the server's
///   [`going_away`](crate::Code::GoingAway) error), and the connection
///   closes once the last call is done. A [`Pool`](crate::Pool) moves its
///   calls to a new connection instead.
///
/// It runs over any byte stream ([`Connection::new`], [`Connection::pair`])
/// or dials TCP ([`Connection::connect`],
/// [`ClientBuilder::dial`](crate::ClientBuilder::dial)).
/// It is cheap to [`Clone`] (clones share the connection, whose task ends
/// once every clone is gone and the answers awaited have arrived) and caps
/// no number of calls (`poll_ready` is always ready while the connection
/// lives): put a `ConcurrencyLimit` over it for backpressure, or use
/// [`Client`](crate::Client). What it holds for a slow peer is bounded:
/// past [`max_queued_bytes`](crate::ClientBuilder::max_queued_bytes) of
/// requests not yet written, a call keeps its request in its own future
/// until there is room, and a request whose caller gave up before it was
/// written is never written. A bare connection is not watched for a dead
/// peer and not redialed: a [`Pool`](crate::Pool) does that.
///
/// What drives it is jsonmux's engine, or tokio-tower's (a
/// `multiplex::Client`, shared by the clones) for connections a builder makes
/// with [`ClientBuilder::engine`](crate::ClientBuilder::engine) (a pool's,
/// or [`dial`](crate::ClientBuilder::dial)'s): the same
/// guarantees either way. `new`, `pair` and `connect` use jsonmux's.
///
/// # Examples
///
/// Composing your own stack over a bare connection:
///
/// ```
/// use std::time::Duration;
/// use jsonmux::{Connection, Message};
/// use tower::{ServiceBuilder, ServiceExt};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), tower::BoxError> {
/// # let server = jsonmux::Server::builder().bind("127.0.0.1:0").await?;
/// # let addr = server.local_addr().unwrap();
/// # tokio::spawn(server.serve(jsonmux::HelloService, std::future::pending::<()>()));
/// let conn = Connection::connect(addr).await?;
/// let svc = ServiceBuilder::new()
///     .timeout(Duration::from_secs(1))
///     .buffer(64)
///     .concurrency_limit(16)
///     .service(conn);
/// let resp = svc.oneshot(Message::new("pixel-1", "pixelpig!")).await?;
/// assert_eq!(resp.val, "server: hello, pixelpig!");
/// # Ok(()) }
/// ```
///
/// Balancing over connections to several servers with tower's
/// power-of-two-choices balancer (tower's `balance` feature): a
/// connection's [`Load`] is the wait a call can expect on it
/// ([`cost`](Connection::cost)), and one that has ended
/// fails `poll_ready`, so the balancer drops it.
///
/// ```
/// use jsonmux::{Connection, Message};
/// use tower::balance::p2c::Balance;
/// use tower::discover::ServiceList;
/// use tower::{Service, ServiceExt};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), tower::BoxError> {
/// # let mut addrs = Vec::new();
/// # for _ in 0..2 {
/// #     let server = jsonmux::Server::builder().bind("127.0.0.1:0").await?;
/// #     addrs.push(server.local_addr().unwrap());
/// #     tokio::spawn(server.serve(jsonmux::HelloService, std::future::pending::<()>()));
/// # }
/// let conns = vec![Connection::connect(addrs[0]).await?, Connection::connect(addrs[1]).await?];
/// let mut balanced = Balance::new(ServiceList::new(conns));
/// let resp = balanced.ready().await?.call(Message::new("pixel-1", "pixelpig!")).await?;
/// assert_eq!(resp.val, "server: hello, pixelpig!");
/// # Ok(()) }
/// ```
///
/// # A note on abandoned `Uid`s
///
/// The wire has no way to tell a late answer from a fresh one with the same
/// `Uid`, so a `Uid` whose caller gave up stays taken until its answer
/// arrives (it is then dropped). Reusing it on this connection before that
/// fails with [`Error::DuplicateUid`]. A [`Pool`](crate::Pool) sends such a
/// retry to another connection; otherwise give retries a fresh `Uid`
/// ([`Message::with_fresh_uid`]), or let the connection tag requests itself
/// ([`UidMode::Tagged`](crate::client::UidMode::Tagged)).
///
/// A peer that loses answers would make such reservations pile up: at
/// [`max_abandoned`](crate::ClientBuilder::max_abandoned) of them, or once
/// one is older than [`abandoned_timeout`](crate::ClientBuilder::abandoned_timeout)
/// (the latter checked in a pool only), the connection *retires*: it takes
/// no new call, ends once its calls in flight are done (with
/// [`CloseReason::AnswersOverdue`](crate::CloseReason::AnswersOverdue)), and a pool replaces it. Its reservations go
/// with it, so no late answer ever reaches a later call.
#[derive(Clone)]
pub struct Connection {
    /// How calls reach the engine.
    pub(super) link: Link,
    pub(super) shared: Arc<Shared>,
}

impl Connection {
    /// Dials `addr` (TCP, or a Unix socket for `unix:/path`) with the
    /// default options and spawns the connection's task; see
    /// [`ClientBuilder::dial`](crate::ClientBuilder::dial)
    /// for dial timeout, keepalive, TLS and your own connector.
    ///
    /// # Errors
    ///
    /// [`Error::Connect`], [`Error::DialTimeout`] or [`Error::Unresolved`]
    /// if the address cannot be reached in time.
    pub async fn connect(addr: impl Into<Addr>) -> Result<Connection, Error> {
        Dialer::default()
            .connect(&addr.into(), &ConnectionOptions::default())
            .await
    }

    /// Runs the protocol over an open stream (TCP, Unix, TLS, in-memory…)
    /// with the default options, and spawns the connection's task with
    /// `tokio::spawn`, so it must be called within a tokio runtime
    /// ([`Connection::pair`] leaves the task to you).
    ///
    /// # Examples
    ///
    /// Over an in-memory pipe, with a peer that answers by hand:
    ///
    /// ```
    /// use jsonmux::{Connection, Message};
    /// use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    /// use tower::ServiceExt;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), jsonmux::Error> {
    /// let (ours, theirs) = tokio::io::duplex(4096);
    /// tokio::spawn(async move {
    ///     let mut peer = BufReader::new(theirs);
    ///     let mut request = String::new();
    ///     peer.read_line(&mut request).await?;
    ///     // The Go peers' fields, and jsonmux's number for the request, which
    ///     // a peer that does not know it ignores.
    ///     assert_eq!(request, "{\"Uid\":\"pixel-1\",\"Val\":\"pixelpig!\",\"Sq\":0}\n");
    ///     peer.write_all(b"{\"Uid\":\"pixel-1\",\"Val\":\"oink\"}\n").await
    /// });
    /// let resp = Connection::new(ours).oneshot(Message::new("pixel-1", "pixelpig!")).await?;
    /// assert_eq!(resp.val, "oink");
    /// # Ok(()) }
    /// ```
    pub fn new<T>(io: T) -> Connection
    where
        T: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        Connection::with_options(io, &ConnectionOptions::default())
    }

    /// Like [`Connection::new`], but returns the connection's task instead
    /// of spawning it (as tower's `Buffer::pair` does): run it on the
    /// executor of your choice, in a `JoinSet`, under a tracing span….
    /// Calls are answered only while it runs.
    ///
    /// # Examples
    ///
    /// ```
    /// use jsonmux::{Connection, Message};
    /// use tower::ServiceExt;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let server = jsonmux::Server::builder().bind("127.0.0.1:0").await?;
    /// # let addr = server.local_addr().unwrap();
    /// # tokio::spawn(server.serve(jsonmux::HelloService, std::future::pending::<()>()));
    /// let stream = tokio::net::TcpStream::connect(addr).await?;
    /// let (conn, background) = Connection::pair(stream);
    /// let task = tokio::spawn(background);
    /// let resp = conn.oneshot(Message::new("pixel-1", "pixelpig!")).await?;
    /// assert_eq!(resp.val, "server: hello, pixelpig!");
    /// task.await?; // the last clone is gone: the task has finished
    /// # Ok(()) }
    /// ```
    pub fn pair<T>(io: T) -> (Connection, Background<T>)
    where
        T: AsyncRead + AsyncWrite + Unpin,
    {
        Connection::pair_with(io, &ConnectionOptions::default())
    }

    /// [`Connection::new`] with a builder's or pool's options, on the
    /// engine they name.
    pub(crate) fn with_options<T>(io: T, opts: &ConnectionOptions) -> Connection
    where
        T: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        let shared = Arc::new(Shared::new(opts));
        let link = Link::start(io, opts, &shared);
        Connection { link, shared }
    }

    /// [`Connection::pair`] with a builder's or pool's options, on
    /// jsonmux's engine (tokio-tower's spawns its own tasks).
    fn pair_with<T>(io: T, opts: &ConnectionOptions) -> (Connection, Background<T>)
    where
        T: AsyncRead + AsyncWrite + Unpin,
    {
        let shared = Arc::new(Shared::new(opts));
        let (link, background) = Link::jsonmux(io, opts, &shared);
        (Connection { link, shared }, background)
    }

    /// True once the connection has ended; every later call fails with
    /// [`Error::Closed`].
    pub fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }

    /// How many `Uid`s are taken on this connection: requests waiting for
    /// their answer plus abandoned ones whose late answer has not arrived.
    pub fn in_flight(&self) -> usize {
        self.shared.len()
    }

    /// What the next call can expect to wait on this connection, in
    /// microseconds: `(in_flight + 1) × latency`, where latency is the
    /// delay per request its server reports (a jsonmux server tells a
    /// jsonmux client on every answer, the same for every client) or else
    /// this client's own recent round trips on it (a slower one counts at
    /// once, faster ones bring the average down gradually, as tower's
    /// `PeakEwma`). Before any answer, latency counts as 1 µs: the cost is
    /// the load. It is what tower's balancers and a [`Pool`](crate::Pool)
    /// pick by: a server that is slow for everybody is avoided, not only
    /// one that is busy with this client's calls.
    ///
    /// # Examples
    ///
    /// ```
    /// use jsonmux::{Connection, Message};
    /// use tower::ServiceExt;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), tower::BoxError> {
    /// # let server = jsonmux::Server::builder().bind("127.0.0.1:0").await?;
    /// # let addr = server.local_addr().unwrap();
    /// # tokio::spawn(server.serve(jsonmux::HelloService, std::future::pending::<()>()));
    /// let conn = Connection::connect(addr).await?;
    /// assert_eq!(conn.cost(), 1, "nothing known yet: one call's worth");
    /// conn.clone().oneshot(Message::new("pixel-1", "pixelpig!")).await?;
    /// assert!(conn.cost() >= 1);
    /// # Ok(()) }
    /// ```
    pub fn cost(&self) -> u64 {
        let latency = self.shared.latency.expected_us().unwrap_or(1);
        super::latency::cost(self.in_flight(), latency)
    }

    /// How long calls take on it, as the answers tell.
    pub(crate) fn latency(&self) -> &Arc<super::latency::Latency> {
        &self.shared.latency
    }

    /// Bytes of requests taken by this connection and not yet written
    /// (requests waiting in their calls' futures for room aside): at most
    /// [`max_queued_bytes`](crate::ClientBuilder::max_queued_bytes), give
    /// or take one request.
    pub fn queued_bytes(&self) -> usize {
        self.shared.backlog.bytes()
    }

    /// What became of the calls made on this connection so far.
    pub fn stats(&self) -> CallCounts {
        self.shared.stats.snapshot()
    }

    /// The counters behind [`Connection::stats`], to sum them elsewhere.
    pub(crate) fn call_stats(&self) -> Arc<CallStats> {
        self.shared.stats.clone()
    }
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("in_flight", &self.in_flight())
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl Service<Message> for Connection {
    type Response = Resp;
    type Error = Error;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Error>> {
        // Nothing to reserve: the queue is unbounded (limits belong to the
        // layers above). A dead or draining connection says why it takes
        // no more calls.
        if self.shared.is_closed() {
            return Poll::Ready(Err(self.shared.closed_error()));
        }
        if self.shared.is_draining() {
            return Poll::Ready(Err(self.shared.refusal(Refused::Draining, "")));
        }
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, msg: Message) -> ResponseFuture {
        self.send(msg)
    }
}

/// A balancer's view of a connection: the wait the next call can expect,
/// in microseconds, as [`Connection::cost`] reckons it.
impl Load for Connection {
    type Metric = u64;

    fn load(&self) -> u64 {
        self.cost()
    }
}
