//! [`Client`]: the ready stack, `Timeout → ConcurrencyLimit → Pool`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use pin_project::pin_project;
use tower::limit::ConcurrencyLimitLayer;
use tower::timeout::{Timeout, TimeoutLayer};
use tower::util::{Either, MapErr};
use tower::{BoxError, Service, ServiceBuilder};

use super::options::Options;
use crate::pool::{Pool, PoolHandle};
use crate::{Addr, Error, Message, Resp};

type Limited = Either<tower::limit::ConcurrencyLimit<Pool>, Pool>;
/// `Timeout` fails with `BoxError`; both arms of the `Either` must agree.
type Boxed = MapErr<Limited, fn(Error) -> BoxError>;
type Stack = Either<Timeout<Boxed>, Boxed>;

/// The ready client: a pool of multiplexed connections behind a timeout and
/// a concurrency limit. Cheap to [`Clone`]; clones share the pool and the limit.
///
/// ```text
/// call ─ Timeout ─ ConcurrencyLimit ─ Pool ─ Connection × pool_size × endpoints
///        deadline   in-flight cap     least loaded, reconnect, dead-peer checks
/// ```
///
/// The timeout is outermost, so it bounds the call, waiting for a
/// connection included. The concurrency limit caps the requests on the wire
/// over the whole pool; a caller past it waits in `poll_ready` for a permit,
/// which frees by the time the oldest call in flight reaches its deadline.
/// Build one with [`ClientBuilder`](crate::ClientBuilder).
///
/// # A note on `Buffer`
///
/// There is none: the pool is `Clone` itself, so each caller hands its
/// request straight to the connection's task. A `Buffer` (a channel to a
/// worker task) would add a task hop per request, which measured at about
/// 0.7x the throughput of a hand-written client at one request in flight.
/// Add one with `ServiceBuilder` over a [`Pool`] if you want a bounded
/// queue in front.
///
/// # A note on `Uid`s
///
/// Answers are routed per connection, so an answer can never reach the
/// wrong caller. The one-request-per-`Uid` rule is per connection too:
/// with `pool_size(1)` a second call with a `Uid` in flight fails with
/// [`Error::DuplicateUid`]; with a larger pool it may go out on another
/// connection and both calls are answered, each with its own answer.
///
/// # Examples
///
/// ```
/// use jsonmux::{Client, Message};
/// use tower::{Service, ServiceExt};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), jsonmux::Error> {
/// # let server = jsonmux::Server::builder().bind("127.0.0.1:0").await?;
/// # let addr = server.local_addr()?;
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
    pool: PoolHandle,
}

impl Client {
    /// Connects to `addr` with the default options
    /// (see [`ClientBuilder`](crate::ClientBuilder)).
    ///
    /// # Errors
    ///
    /// [`Error::Connect`] if the address cannot be reached in time.
    pub async fn connect(addr: impl Into<Addr>) -> Result<Client, Error> {
        super::ClientBuilder::new().connect(addr).await
    }

    /// The pool under this client: add or remove endpoints, read their health.
    pub fn pool(&self) -> &PoolHandle {
        &self.pool
    }

    /// Assembles the stack over a pool: the one place the layer order is decided.
    pub(crate) fn from_pool(pool: Pool, opts: &Options) -> Client {
        let handle = pool.handle();
        let to_box: fn(Error) -> BoxError = |e| Box::new(e);
        let inner = ServiceBuilder::new()
            .option_layer(opts.request_timeout.map(TimeoutLayer::new))
            .map_err(to_box)
            .option_layer(opts.concurrency_limit.map(ConcurrencyLimitLayer::new))
            .service(pool);
        Client {
            inner,
            pool: handle,
        }
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client").finish_non_exhaustive()
    }
}

impl Service<Message> for Client {
    type Response = Resp;
    type Error = Error;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner.poll_ready(cx).map_err(Error::from)
    }

    fn call(&mut self, msg: Message) -> ResponseFuture {
        ResponseFuture {
            inner: self.inner.call(msg),
        }
    }
}

/// The future a [`Client`] call returns.
#[pin_project]
pub struct ResponseFuture {
    #[pin]
    inner: <Stack as Service<Message>>::Future,
}

impl fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl Future for ResponseFuture {
    type Output = Result<Resp, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Poll::Ready(ready!(self.project().inner.poll(cx)).map_err(Error::from))
    }
}
