//! [`Server`]: a source of connections with the options to serve them.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Mutex;

use futures_core::Stream;
use tokio::io::{AsyncRead, AsyncWrite};
use tower::{BoxError, Service};

use super::ServerBuilder;
use crate::server::incoming::Listener;
use crate::server::options::ServerOptions;
use crate::server::stats::StatsHandle;
use crate::{Addr, ConnInfo, Error, Message, Resp};

/// A source of connections (a bound [`Listener`] by default, or any stream
/// of accepted connections from [`ServerBuilder::incoming`]) ready to
/// serve a tower service.
///
/// Each connection gets its own service: a clone of the one given to
/// [`serve`](Server::serve), or the one [`serve_with`](Server::serve_with)
/// makes for it from its [`ConnInfo`]. Its requests run concurrently, and
/// the answers are written as they become ready, all the answers of one
/// read in one write. A handler error or panic becomes an error answer to
/// that request only, and every answer carries its request's `Uid`,
/// whatever the handler put in it.
pub struct Server<I = Listener> {
    incoming: I,
    opts: ServerOptions,
    stats: StatsHandle,
}

impl<I> Server<I> {
    /// A server of `incoming`'s connections, with options already checked.
    pub(super) fn new(incoming: I, opts: ServerOptions) -> Self {
        Server {
            incoming,
            opts,
            stats: StatsHandle::default(),
        }
    }
}

impl Server {
    /// A builder for the server's limits.
    pub fn builder() -> ServerBuilder {
        ServerBuilder::new()
    }

    /// The TCP address the listener is bound to.
    ///
    /// # Errors
    ///
    /// The socket's error, if its address cannot be read, or `Unsupported`
    /// for a Unix socket (see [`endpoint`](Server::endpoint)).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.incoming.local_addr()
    }

    /// The address clients connect to: `ip:port`, or `unix:/path`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), tower::BoxError> {
    /// let path = std::env::temp_dir().join(format!("jsonmux-doc-{}.sock", std::process::id()));
    /// let server = jsonmux::Server::builder().bind_unix(&path).await?;
    /// assert_eq!(server.endpoint()?, jsonmux::Addr::Unix(path));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// The socket's error, if its address cannot be read.
    pub fn endpoint(&self) -> io::Result<Addr> {
        self.incoming.endpoint()
    }
}

impl<I> Server<I> {
    /// A handle on the server's live counters: take it before
    /// [`serve`](Server::serve), read it while the server serves.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), tower::BoxError> {
    /// let server = jsonmux::Server::builder().bind("127.0.0.1:0").await?;
    /// let stats = server.stats();
    /// tokio::spawn(server.serve(jsonmux::HelloService, std::future::pending::<()>()));
    /// assert_eq!(stats.snapshot().requests, 0);
    /// # Ok(()) }
    /// ```
    pub fn stats(&self) -> StatsHandle {
        self.stats.clone()
    }

    /// Serves `svc` until `shutdown` completes (or the stream of
    /// connections ends), then drains and returns once every connection is
    /// closed.
    ///
    /// The drain loses nothing a client sent in time: the listener closes
    /// at once (a new server can take the port), and every connection is
    /// sent a going-away notice (an error answer with an empty `Uid` and
    /// code [`going_away`](crate::Code::GoingAway), which the Go client
    /// ignores). A connection keeps reading and answering for the
    /// [`drain_grace`](ServerBuilder::drain_grace), and closes once it is
    /// quiet: nothing in flight, and the client has closed its side (a
    /// jsonmux client does as soon as its calls in flight are answered) or
    /// has sent nothing for a second. After the grace it reads nothing
    /// more, answers what it has read and closes. Connections still open at
    /// the [`drain_timeout`](ServerBuilder::drain_timeout) are cut.
    ///
    /// Each connection gets its own clone of `svc`, wrapped in the
    /// server's per-request rules: a failed or panicking request becomes an
    /// error answer to that request, a handler past the handler timeout is answered
    /// `timeout`, and past the server-wide cap requests are shed with
    /// `overloaded` (or wait, with
    /// [`Overload::Queue`](crate::server::Overload::Queue)). It is [`serve_with`](Server::serve_with) with a
    /// make-service that clones `svc`.
    ///
    /// # Examples
    ///
    /// ```
    /// use jsonmux::{HelloService, Server};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), tower::BoxError> {
    /// let server = Server::builder().bind("127.0.0.1:0").await?;
    /// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    /// let serving = tokio::spawn(server.serve(HelloService, stopped));
    /// // ... later:
    /// stop.send(()).unwrap();
    /// serving.await.unwrap()?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// None today: accept errors are logged and retried with backoff. The
    /// `Result` leaves room for fatal listener errors.
    pub async fn serve<S, T, E>(self, svc: S, shutdown: impl Future) -> Result<(), Error>
    where
        I: Stream<Item = Result<(T, ConnInfo), E>>,
        T: AsyncRead + AsyncWrite + Send + Unpin + 'static,
        E: Into<BoxError>,
        S: Service<Message, Response = Resp> + Clone + Send + 'static,
        S::Error: Into<BoxError>,
        S::Future: Send + 'static,
    {
        // The lock only makes `S` shareable with the connections' tasks
        // without asking it to be `Sync`; it is taken once per connection.
        let svc = Mutex::new(svc);
        let make = move |_: &ConnInfo| svc.lock().unwrap_or_else(|p| p.into_inner()).clone();
        self.serve_with(make, shutdown).await
    }

    /// Serves a service of its own to each connection, made by `make`
    /// from the connection's [`ConnInfo`] (its peer's address, its
    /// verified client certificate), until `shutdown` completes; then
    /// drains as [`serve`](Server::serve) does.
    ///
    /// The service needs no `Clone`, so layers that keep state per
    /// connection work here (tower's `RateLimit`, say: each connection gets
    /// its own rate), and handlers can see who calls. `make` runs once per
    /// connection, in the connection's task, after its TLS handshake.
    ///
    /// # Examples
    ///
    /// A handler that answers with the caller's address:
    ///
    /// ```
    /// use jsonmux::{ConnInfo, Message, Resp, Server};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), tower::BoxError> {
    /// let server = Server::builder().bind("127.0.0.1:0").await?;
    /// let make = |conn: &ConnInfo| {
    ///     let peer = conn.peer_addr;
    ///     tower::service_fn(move |msg: Message| async move {
    ///         Ok::<_, std::convert::Infallible>(Resp::new(msg.uid, format!("you are {peer:?}")))
    ///     })
    /// };
    /// let serving = tokio::spawn(server.serve_with(make, async {}));
    /// serving.await.unwrap()?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`serve`](Server::serve).
    pub async fn serve_with<F, S, T, E>(self, make: F, shutdown: impl Future) -> Result<(), Error>
    where
        I: Stream<Item = Result<(T, ConnInfo), E>>,
        T: AsyncRead + AsyncWrite + Send + Unpin + 'static,
        E: Into<BoxError>,
        F: Fn(&ConnInfo) -> S + Send + Sync + 'static,
        S: Service<Message, Response = Resp> + Send + 'static,
        S::Error: Into<BoxError>,
        S::Future: Send + 'static,
    {
        crate::server::listener::run(self.incoming, make, self.opts, self.stats, shutdown).await
    }
}

impl<I> fmt::Debug for Server<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("incoming", &std::any::type_name::<I>())
            .field("opts", &self.opts)
            .finish()
    }
}
